"""Where the default extensions are collected.

Helpers adding an extension import their module here so that its factory is appended to
``gateway.app.DEFAULT_EXTENSIONS`` when ``create_app(extensions=None)`` runs, e.g.::

    from .orchestrator import extension as _flows  # noqa: F401  (appends FlowsExtension)
"""

from __future__ import annotations

__all__: list[str] = []
from .replicas import register as _replicas  # noqa: F401,E402  (appends ReplicasExtension)
from .orchestrator import extension as _flows  # noqa: F401,E402  (appends FlowsExtension)
