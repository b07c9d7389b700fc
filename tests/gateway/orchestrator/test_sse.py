"""What a node after a streaming node receives (``sse.stream_document``) and the size bound."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from gateway.orchestrator import NodeCallError
from gateway.orchestrator.observer import NullObserver
from gateway.orchestrator.sse import MAX_COLLECTED, StreamHandle, stream_document


def test_sse_events_are_joined_without_done() -> None:
    doc = stream_document(b"data: Hel\n\ndata: lo\n\nevent: x\ndata: !\n\ndata: [DONE]\n\n")
    assert doc == {"text": "Hello!", "events": ["Hel", "lo", "!", "[DONE]"]}


def test_opea_bytes_framing_is_unwrapped() -> None:
    doc = stream_document(b"data: b' OPEA'\n\ndata: b' is \\xc3\\xa9'\n\ndata: [DONE]\n\n")
    assert doc["text"] == " OPEA is \u00e9"


def test_raw_tokens_pass_whole() -> None:
    assert stream_document(b" OPEA is great. I think  so.") == {
        "text": " OPEA is great. I think  so.",
        "events": [],
    }


def test_text_mixing_sse_lines_and_other_lines_passes_whole() -> None:
    raw = b"data: a\n\nnot an sse line\n"
    assert stream_document(raw) == {"text": raw.decode(), "events": []}


def test_bytes_literal_lookalike_is_not_evaluated_as_code() -> None:
    assert stream_document(b"data: b'x' + b'y'\n\n")["text"] == "b'x' + b'y'"


async def test_a_stream_too_large_to_collect_fails_the_node() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        block = b"x" * (1024 * 1024)
        for _ in range(MAX_COLLECTED // len(block) + 2):
            yield block

    handle = StreamHandle(chunks(), None, NullObserver(), "f", "n")
    with pytest.raises(NodeCallError, match="cannot be passed to the next node"):
        await handle.collect()
    assert handle.closed
