"""OPEA's enums, with OPEA's values, so megaservice code keeps working after an import change."""

from __future__ import annotations

from enum import IntEnum, StrEnum

__all__ = ["MegaServiceEndpoint", "ServiceRoleType", "ServiceType"]


class ServiceRoleType(IntEnum):
    MICROSERVICE = 0
    MEGASERVICE = 1


class ServiceType(IntEnum):
    GATEWAY = 0
    EMBEDDING = 1
    RETRIEVER = 2
    RERANK = 3
    LLM = 4
    ASR = 5
    TTS = 6
    GUARDRAIL = 7
    VECTORSTORE = 8
    DATAPREP = 9
    UNDEFINED = 10
    RAGAS = 11
    LVM = 12
    KNOWLEDGE_GRAPH = 13
    WEB_RETRIEVER = 14
    IMAGE2VIDEO = 15
    TEXT2IMAGE = 16
    ANIMATION = 17
    IMAGE2IMAGE = 18
    TEXT2SQL = 19
    TEXT2GRAPH = 20
    TEXT2CYPHER = 21
    TEXT2KG = 22
    STRUCT2GRAPH = 23
    LANGUAGE_DETECTION = 24
    PROMPT_TEMPLATE = 25
    PROMPT_REGISTRY = 26
    TEXT2QUERY = 27
    ARB_POST_HEARING_ASSISTANT = 28


class MegaServiceEndpoint(StrEnum):
    """A few of OPEA's well-known megaservice paths (metadata only)."""

    CHAT_QNA = "/v1/chatqna"
    CODE_GEN = "/v1/codegen"
    DOC_SUMMARY = "/v1/docsum"
    CHAT = "/v1/chat/completions"
    EMBEDDINGS = "/v1/embeddings"
    RETRIEVAL = "/v1/retrieval"
    RERANKING = "/v1/reranking"
    LIST_SERVICE = "/v1/list_service"
    LIST_PARAMETERS = "/v1/list_parameters"

    def __str__(self) -> str:
        return self.value
