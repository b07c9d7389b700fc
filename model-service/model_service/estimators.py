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


def canonical_name(name: str, known: Iterable[str] = MODEL_FACTORIES) -> str:
    """The canonical spelling of ``name``: aliases resolved, case ignored; unknown names unchanged."""
    lookup = {k.lower(): k for k in known}
    lookup.update({alias.lower(): target for alias, target in ALIASES.items() if target in lookup.values()})
    return lookup.get(name.lower(), name)


def resolve_name(name: str, known: Iterable[str]) -> str:
    """Canonical name of ``name`` among ``known`` (aliases, any case), else ``UnknownModelError``."""
    known_list = list(known)
    canonical = canonical_name(name, known_list)
    if canonical not in known_list:
        raise UnknownModelError(name, known_list)
    return canonical
