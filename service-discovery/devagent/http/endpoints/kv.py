"""/v1/kv/<key> GET/PUT/DELETE (contract §8)."""

from __future__ import annotations

import base64
import re
from typing import Any

from ...agent import Agent
from ...errors import ApiError
from ...model import KVEntry
from ..blocking import block
from ..query import check_dc, meta_headers, parse_query
from ..request import Request
from ..response import Response, json_response

__all__ = ["KVEndpoints", "entry_json"]

_KEY_CHARS = re.compile(r"^[a-zA-Z0-9,\-_./]*$")
_SUSPICIOUS = {
    "js",
    "css",
    "htm",
    "html",
    "xml",
    "json",
    "txt",
    "log",
    "php",
    "asp",
    "jsp",
    "cgi",
    "pl",
    "py",
    "rb",
    "sh",
    "exe",
    "dll",
    "bat",
    "cmd",
    "com",
    "scr",
    "vbs",
    "pdf",
    "doc",
    "docx",
    "xls",
    "xlsx",
    "ppt",
    "pptx",
    "zip",
    "rar",
    "tar",
    "gz",
    "7z",
    "bz2",
    "jpg",
    "jpeg",
    "png",
    "gif",
    "svg",
    "ico",
    "bmp",
    "mp3",
    "mp4",
    "avi",
    "mov",
    "wmv",
    "flv",
    "swf",
    "woff",
    "woff2",
    "ttf",
    "eot",
    "otf",
}


def entry_json(entry: KVEntry) -> dict[str, Any]:
    out: dict[str, Any] = {
        "LockIndex": entry.lock_index,
        "Key": entry.key,
        "Flags": entry.flags,
        "Value": base64.b64encode(entry.value).decode() if entry.value else None,
        "CreateIndex": entry.create_index,
        "ModifyIndex": entry.modify_index,
    }
    if entry.session:
        out["Session"] = entry.session
    return out


def _parse_uint(text: str) -> int:
    if not text.isdigit() or int(text) >= 2**64:
        raise ApiError(500, f'strconv.ParseUint: parsing "{text}": invalid syntax')
    return int(text)


class KVEndpoints:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.kv = agent.kv

    async def handle(self, req: Request, key: str) -> Response:
        if req.method == "GET":
            return await self.get(req, key)
        if req.method == "PUT":
            return await self.put(req, key)
        return await self.delete(req, key)

    def _validate_key(self, key: str) -> None:
        if not self.agent.config.kv_key_validation:
            return
        if not _KEY_CHARS.match(key):
            raise ApiError(
                400, "key contains invalid characters. Only alphanumeric characters and ,-_./ are allowed"
            )
        if key.startswith("/") or ".." in key.split("/"):
            raise ApiError(400, "key contains invalid path traversal or leading slash")
        ext = key.rsplit(".", 1)[-1].lower() if "." in key.rsplit("/", 1)[-1] else ""
        if ext in _SUSPICIOUS:
            raise ApiError(
                400, "key contains suspicious file extension that may be cached by proxies or exploited"
            )

    async def get(self, req: Request, key: str) -> Response:
        opts = parse_query(req, self.agent.config)
        if req.has("keys"):
            return await self._keys(req, key, opts)
        recurse = req.has("recurse")
        if not recurse and not key:
            raise ApiError(400, "Missing key name")
        if recurse:
            index = await block(self.agent.hub, opts, lambda: self.kv.prefix_index(key), lambda: ["kv"])
            entries = self.kv.prefix_entries(key)
        else:
            index = await block(self.agent.hub, opts, lambda: self.kv.key_index(key), lambda: ["kv:" + key])
            found = self.kv.get(key)
            entries = [found] if found else []
        headers = meta_headers(index, opts)
        if not entries:
            return Response(404, b"", headers)
        if req.has("raw"):
            headers["Content-Type"] = "text/plain"
            return Response(200, entries[0].value, headers)
        return json_response([entry_json(e) for e in entries], headers)

    async def _keys(self, req: Request, prefix: str, opts: Any) -> Response:
        sep = req.get("separator") or req.get("seperator")
        index = await block(self.agent.hub, opts, lambda: self.kv.prefix_index(prefix), lambda: ["kv"])
        keys: list[str] = []
        seen: set[str] = set()
        for entry in self.kv.prefix_entries(prefix):
            name = entry.key
            if sep:
                pos = name.find(sep, len(prefix))
                if pos >= 0:
                    name = name[: pos + len(sep)]
            if name not in seen:
                seen.add(name)
                keys.append(name)
        headers = meta_headers(index, opts)
        if not keys and prefix:
            return Response(404, b"", headers)
        return json_response(keys, headers)

    def _conflicting(self, req: Request, *names: str) -> None:
        if sum(1 for n in names if req.has(n)) > 1:
            raise ApiError(400, f"Conflicting flags: {req.raw_query}\n")

    async def put(self, req: Request, key: str) -> Response:
        check_dc(req, self.agent.config)
        self._conflicting(req, "cas", "acquire", "release")
        if not key:
            raise ApiError(400, "Missing key name")
        self._validate_key(key)
        flags = _parse_uint(req.get("flags")) if req.has("flags") else None
        cas = _parse_uint(req.get("cas")) if req.has("cas") else None
        body = await req.body(limit=self.agent.config.kv_max_value_size)
        try:
            if req.has("acquire"):
                return json_response(self.kv.lock(key, body, flags, req.get("acquire")))
            if req.has("release"):
                return json_response(self.kv.unlock(key, body, flags, req.get("release")))
        except ValueError as exc:  # an RPC error in Consul: 500 with its text
            raise ApiError(500, str(exc)) from None
        return json_response(self.kv.put(key, body, flags, cas))

    async def delete(self, req: Request, key: str) -> Response:
        check_dc(req, self.agent.config)
        self._conflicting(req, "recurse", "cas")
        if req.has("recurse"):
            return json_response(self.kv.delete_tree(key))
        if not key:
            raise ApiError(400, "Missing key name")
        cas = _parse_uint(req.get("cas")) if req.has("cas") else None
        return json_response(self.kv.delete(key, cas))
