"""Check execution: HTTP/TCP/script probes, success/failure thresholds and the per-check loop."""

from __future__ import annotations

from .alias import alias_status
from .probes import http_probe, script_probe, tcp_probe
from .thresholds import Thresholds
from .truncate import truncate_output
from .udp import udp_probe

__all__ = [
    "Thresholds",
    "alias_status",
    "http_probe",
    "script_probe",
    "tcp_probe",
    "truncate_output",
    "udp_probe",
]
