"""The models we train, by the names clients use (``GDP_MODEL_NAME``, tag ``model:<name>``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sklearn.base import RegressorMixin
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import LinearRegression

__all__ = [
    "ALIASES",
    "DEFAULT_MODEL",
    "MODEL_FACTORIES",
    "UnknownModelError",
    "canonical_name",
    "resolve_name",
]

SEED = 0
DEFAULT_MODEL = "LinearRegression"

# Bounded sizes keep each artifact well under a few MB; n_jobs=1 and fixed seeds make
# training reproducible bit for bit.
MODEL_FACTORIES: dict[str, Callable[[], RegressorMixin]] = {
    "LinearRegression": lambda: LinearRegression(),
    "RandomForest": lambda: RandomForestRegressor(
        n_estimators=100, max_depth=6, min_samples_leaf=2, random_state=SEED, n_jobs=1
    ),
    "GradientBoosting": lambda: GradientBoostingRegressor(
        n_estimators=200, max_depth=2, learning_rate=0.05, subsample=1.0, random_state=SEED
    ),
}

# The seed's file names (sklearn class names) keep working as GDP_MODEL_NAME values.
ALIASES: dict[str, str] = {
    "RandomForestRegressor": "RandomForest",
    "GradientBoostingRegressor": "GradientBoosting",
}


class UnknownModelError(ValueError):
    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        self.known = sorted(known)
        super().__init__(f"unknown model {name!r}; known models: {', '.join(self.known) or '(none)'}")


def canonical_name(name: str) -> str:
    """The canonical name for ``name`` (aliases resolved; unknown names returned unchanged)."""
    return ALIASES.get(name, name)


def resolve_name(name: str, known: Iterable[str]) -> str:
    """Canonical name of ``name`` if it is among ``known``, else ``UnknownModelError``."""
    known_set = set(known)
    canonical = canonical_name(name)
    if canonical not in known_set:
        raise UnknownModelError(name, known_set)
    return canonical
