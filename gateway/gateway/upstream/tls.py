"""The TLS context of upstream HTTPS calls: verification on by default, an optional CA file."""

from __future__ import annotations

import ssl

__all__ = ["upstream_tls_context"]


def upstream_tls_context(*, verify: bool = True, ca_file: str | None = None) -> ssl.SSLContext:
    """A client context: the system CAs (or ``ca_file``), certificate and host name checked.

    ``verify=False`` accepts any certificate (a self-signed test upstream); the connection is
    still encrypted.
    """
    context = ssl.create_default_context(cafile=ca_file)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
