"""Typed upstream failures, each mapped once to an HTTP status at the edge.

    UpstreamError                  (base; .status_code, .service, .detail)
     ├── NoHealthyInstance         503  no passing (or matching) instance in the routing table
     ├── UpstreamTimeout           504  the instance took longer than the timeout
     └── UpstreamUnavailable       502  no instance answered after the retries

An upstream that answers with 4xx/5xx is *not* an error here: its response is returned.
"""

from __future__ import annotations

from typing import Any

__all__ = ["NoHealthyInstance", "UpstreamError", "UpstreamTimeout", "UpstreamUnavailable"]


class UpstreamError(Exception):
    status_code = 502

    def __init__(self, service: str, detail: str, *, attempts: int = 0, instance: str | None = None) -> None:
        super().__init__(detail)
        self.service = service
        self.detail = detail
        self.attempts = attempts
        # "addr:port" of the instance the last attempt went to; None when none was tried.
        self.instance = instance

    def to_body(self) -> dict[str, Any]:
        """The JSON error body every gateway route returns: ``{"detail", "service"}``."""
        return {"detail": self.detail, "service": self.service}


class NoHealthyInstance(UpstreamError):
    status_code = 503


class UpstreamTimeout(UpstreamError):
    status_code = 504


class UpstreamUnavailable(UpstreamError):
    status_code = 502
