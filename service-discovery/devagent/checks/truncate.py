"""Output size limits (Consul's check_output_max_size, 4096 bytes by default)."""

from __future__ import annotations

__all__ = ["tail_bytes", "truncate_output"]


def truncate_output(output: str, limit: int) -> str:
    """TTL-update truncation: ``<first limit bytes> ... (captured limit of N bytes)``."""
    raw = output.encode()
    if len(raw) <= limit:
        return output
    head = raw[:limit].decode(errors="ignore")
    return f"{head} ... (captured {limit} of {len(raw)} bytes)"


def tail_bytes(data: bytes, limit: int) -> str:
    """Monitor output goes through a circular buffer in Consul: only the last ``limit`` bytes survive."""
    return data[-limit:].decode(errors="replace") if len(data) > limit else data.decode(errors="replace")
