"""orchestrator.documents: fast copy/encode/decode of flow documents, same results as the json module."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import pytest

from gateway.orchestrator.documents import copy_document, decode_document, encode_document

DOC: dict[str, Any] = {"a": [1, 2.5, {"b": None, "c": [True, "x"]}], "d": {"e": {"f": []}}, "g": "é"}


def test_copy_is_deep_and_equal() -> None:
    copied = copy_document(DOC)
    assert copied == DOC == copy.deepcopy(DOC)
    copied["a"][2]["c"].append("y")
    copied["d"]["e"]["f"].append(1)
    assert DOC["a"][2]["c"] == [True, "x"] and DOC["d"]["e"]["f"] == []


def test_copy_of_other_objects_is_a_deepcopy() -> None:
    class Box:
        def __init__(self) -> None:
            self.items = [1]

    box = Box()
    copied = copy_document({"box": box, "t": (1, [2])})
    assert copied["box"] is not box and copied["box"].items == [1]
    assert copied["t"] == (1, [2]) and copied["t"][1] is not None


def test_encode_decode_round_trip_matches_the_json_module() -> None:
    assert json.loads(encode_document(DOC)) == DOC
    assert decode_document(json.dumps(DOC).encode()) == DOC


def test_what_orjson_refuses_falls_back_to_the_json_module() -> None:
    assert json.loads(encode_document({1: "int key", "big": 2**70})) == {"1": "int key", "big": 2**70}
    assert math.isinf(decode_document(b'{"x": Infinity}')["x"])
    with pytest.raises(ValueError):
        decode_document(b"{not json")
