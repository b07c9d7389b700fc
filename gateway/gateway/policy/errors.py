"""A declaration that was ignored, and why."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PolicyError"]


@dataclass(frozen=True, slots=True)
class PolicyError:
    """``source`` says where it came from: ``tag``, ``meta``, ``kv`` or ``route``."""

    service: str
    source: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"service {self.service!r}: {self.source} {self.key}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        return {"service": self.service, "source": self.source, "key": self.key, "message": self.message}
