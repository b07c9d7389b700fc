"""OPEA's request-parameter documents (``LLMParams``, ``RetrieverParms``, ``RerankerParms``, ``TextDoc``).

Field names and defaults follow ``comps/cores/proto/docarray.py``; they are plain pydantic
models here (no docarray dependency).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["LLMParams", "RerankerParms", "RetrieverParms", "TextDoc", "TopologyInfo"]


class LLMParams(BaseModel):
    model_config = ConfigDict(extra="allow", protected_namespaces=())

    model: str | None = None
    max_tokens: int = 1024
    max_new_tokens: int = 1024
    top_k: int = 10
    top_p: float = 0.95
    typical_p: float = 0.95
    temperature: float = 0.01
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    repetition_penalty: float = 1.03
    stream: bool = True
    language: str = "auto"
    index_name: str | None = None
    chat_template: str | None = None


class RetrieverParms(BaseModel):
    search_type: str = "similarity"
    k: int = 4
    distance_threshold: float | None = None
    fetch_k: int = 20
    lambda_mult: float = 0.5
    score_threshold: float = 0.2


class RerankerParms(BaseModel):
    top_n: int = 1


class TopologyInfo(BaseModel):
    downstream_black_list: list[str] | None = []


class TextDoc(TopologyInfo):
    model_config = ConfigDict(extra="allow")

    text: str | list[str] | None = None
