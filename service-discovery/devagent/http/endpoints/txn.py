"""PUT /v1/txn (Consul's agent/txn_endpoint.go): KV operations applied all-or-nothing."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ...acl import PermissionDenied
from ...agent import Agent
from ...errors import ApiError
from ...txn import WRITE_VERBS, KVOp, entry_result, run_kv_txn
from ..query import check_dc, parse_query
from ..request import Request
from ..response import Response, json_response
from .kv import entry_json

__all__ = ["TxnEndpoints", "MAX_TXN_OPS"]

MAX_TXN_OPS = 128  # agent/txn_endpoint.go maxTxnOps (documented: "Up to 128 operations")
_OTHER_KINDS = ("Node", "Service", "Check")


class _ParseError(ValueError):
    pass


def _field(obj: dict[str, Any], name: str) -> Any:
    for key, value in obj.items():
        if key.lower() == name.lower():
            return value
    return None


def _uint(value: Any, name: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or value != int(value):
        raise _ParseError(
            f"json: cannot unmarshal {json.dumps(value)} into Go struct field KVTxnOp.KV.{name}"
        )
    return int(value)


def _str(value: Any, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _ParseError(
            f"json: cannot unmarshal {json.dumps(value)} into Go struct field KVTxnOp.KV.{name}"
        )
    return value


def parse_ops(raw: bytes) -> list[KVOp]:
    try:
        data = json.loads(raw) if raw.strip() else None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _ParseError(f"invalid character in request body: {exc}") from None
    if data is None:
        raise _ParseError("EOF")
    if not isinstance(data, list):
        raise _ParseError("json: cannot unmarshal object into Go value of type api.TxnOps")
    ops: list[KVOp] = []
    for item in data:
        if not isinstance(item, dict):
            raise _ParseError("json: cannot unmarshal into Go value of type api.TxnOp")
        kv = _field(item, "KV")
        if kv is None:
            kind = next((k for k in _OTHER_KINDS if _field(item, k) is not None), "")
            ops.append(KVOp(verb="", key="", unsupported=kind or "none"))
            continue
        if not isinstance(kv, dict):
            raise _ParseError("json: cannot unmarshal into Go struct field TxnOp.KV of type api.KVTxnOp")
        value = _field(kv, "Value")
        if value is None:
            decoded = b""
        elif isinstance(value, str):
            try:
                decoded = base64.b64decode(value, validate=True)
            except binascii.Error:
                raise _ParseError("illegal base64 data in KV Value") from None
        else:
            raise _ParseError("json: cannot unmarshal into Go struct field KVTxnOp.KV.Value of type []uint8")
        ops.append(
            KVOp(
                verb=_str(_field(kv, "Verb"), "Verb"),
                key=_str(_field(kv, "Key"), "Key"),
                value=decoded,
                flags=_uint(_field(kv, "Flags"), "Flags"),
                index=_uint(_field(kv, "Index"), "Index"),
                session=_str(_field(kv, "Session"), "Session"),
            )
        )
    return ops


class TxnEndpoints:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    async def txn(self, req: Request, _rest: str) -> Response:
        limit = self.agent.config.kv_max_value_size  # TxnMaxReqLen defaults to the same 512 KiB
        too_large = ApiError(413, f"Request body too large, max size: {limit} bytes")
        length = req.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            raise too_large
        raw = await req.body(limit=limit, too_large=too_large)
        try:
            ops = parse_ops(raw)
        except _ParseError as exc:
            raise ApiError(400, f"Failed to parse body: {exc}") from None
        if len(ops) > MAX_TXN_OPS:
            raise ApiError(413, f"Transaction contains too many operations ({len(ops)} > {MAX_TXN_OPS})")
        for op in ops:
            if len(op.value) > self.agent.config.kv_max_value_size:
                raise ApiError(
                    413,
                    f'Value for key "{op.key}" is too large '
                    f"({len(op.value)} > {self.agent.config.kv_max_value_size} bytes)",
                )
        writes = sum(1 for op in ops if op.verb in WRITE_VERBS or op.unsupported)
        headers: dict[str, str] = {}
        if writes == 0:
            parse_query(req, self.agent.config)
            headers = {"X-Consul-Knownleader": "true", "X-Consul-Lastcontact": "0"}
        else:
            check_dc(req, self.agent.config)
        denied = _acl_errors(req, ops)
        if denied:
            body = {"Results": None, "Errors": [{"OpIndex": i, "What": what} for i, what in denied]}
            return json_response(body, headers, status=409)
        outcome = run_kv_txn(self.agent.kv, ops)
        if not req.authz.unrestricted:  # FilterTxnResults: entries the token may not read are dropped
            outcome.results = [r for r in outcome.results if req.authz.allowed("key", r[0].key, "read")]
        if outcome.errors:
            body = {"Results": None, "Errors": [{"OpIndex": i, "What": what} for i, what in outcome.errors]}
            return json_response(body, headers, status=409)
        results = [entry_result(entry, with_value, entry_json) for entry, with_value in outcome.results]
        return json_response({"Results": results or None, "Errors": None}, headers)


def _acl_errors(req: Request, ops: list[KVOp]) -> list[tuple[int, str]]:
    """kvsPreApply's ACL part: reads are filtered later, checks need key:read, the rest key:write."""
    errors: list[tuple[int, str]] = []
    for i, op in enumerate(ops):
        if op.unsupported or op.verb in ("get", "get-or-empty", "get-tree", "check-not-exists"):
            continue
        level = "read" if op.verb in ("check-session", "check-index") else "write"
        try:
            req.authz.require("key", op.key, level)
        except PermissionDenied as exc:
            errors.append((i, exc.text))
    return errors
