"""Which model names a replica may be launched for (unknown names are refused, never defaulted)."""

from __future__ import annotations

import importlib.util
import json
import logging
from collections.abc import Iterable
from pathlib import Path

__all__ = ["ModelCatalog", "default_models_dir"]

log = logging.getLogger("gateway.replicas")


def default_models_dir() -> Path | None:
    """The model service's artifact folder: next to its package (found without importing it,
    which would load scikit-learn), else the image's /app copy, else the repo layout."""
    candidates: list[Path] = []
    spec = importlib.util.find_spec("model_service")
    if spec is not None and spec.origin:
        candidates.append(Path(spec.origin).resolve().parent.parent / "predictive_models" / "gdp_growth_rate")
    candidates += [
        Path("/app/predictive_models/gdp_growth_rate"),
        Path("model-service/predictive_models/gdp_growth_rate"),
    ]
    return next((p for p in candidates if p.is_dir()), None)


class ModelCatalog:
    """Canonical model names plus their aliases (from the artifacts' metadata JSON files)."""

    def __init__(self, names: Iterable[str], aliases: dict[str, str] | None = None) -> None:
        self.names = tuple(sorted(set(names)))
        self._lookup = {n.lower(): n for n in self.names}
        for alias, name in (aliases or {}).items():
            self._lookup.setdefault(alias.lower(), name)

    @classmethod
    def from_dir(cls, directory: Path) -> ModelCatalog:
        names: list[str] = []
        aliases: dict[str, str] = {}
        for meta in sorted(directory.glob("*.json")):
            try:
                data = json.loads(meta.read_text())
            except (OSError, ValueError) as exc:
                log.warning("skipping model metadata %s: %s", meta, exc)
                continue
            if not isinstance(data, dict) or not isinstance(data.get("name"), str):
                continue
            names.append(data["name"])
            for alias in data.get("aliases") or []:
                if isinstance(alias, str):
                    aliases[alias] = data["name"]
        return cls(names, aliases)

    def resolve(self, model: str) -> str | None:
        """The canonical name of ``model`` (case-insensitive, aliases allowed), else None."""
        return self._lookup.get(model.lower())

    def __bool__(self) -> bool:
        return bool(self.names)
