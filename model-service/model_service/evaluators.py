"""Numpy evaluators compiled from the loaded scikit-learn estimators, for service-speed predictions.

scikit-learn's ``predict`` costs 0.3 ms (linear, boosting) to 10-20 ms (the forest: a joblib
dispatch per tree) for a single row, whatever the input size. These evaluators read the fitted
arrays once (coefficients, or every tree's nodes stacked into flat arrays) and predict a row in
tens of microseconds, with the same numbers:

- linear: ``X @ coef + intercept``;
- trees: scikit-learn compares ``float32(x) <= threshold`` (it casts inputs to float32), so we
  do the same; every tree of the ensemble walks one level per step, all at once;
- forest: mean of the trees; boosting: ``init + sum(learning_rate * leaf value)``.

Nothing new is stored: the evaluator is built from the estimator that ``load_model`` already
checked (hash, trusted types). ``compile_estimator`` returns ``None`` for any other estimator
(the service then calls its ``predict``), and ``check_agreement`` compares an evaluator with
scikit-learn on probe rows at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import LinearRegression

__all__ = [
    "MAX_ABS_DIFF",
    "Evaluator",
    "LinearEvaluator",
    "TreeEnsembleEvaluator",
    "check_agreement",
    "compile_estimator",
    "probe_rows",
]

FloatArray = npt.NDArray[np.float64]
MAX_ABS_DIFF = 1e-6  # largest accepted difference with scikit-learn's predictions


class Evaluator:
    """``predict(X)`` for an ``(n, n_features)`` float64 matrix, returning ``n`` floats."""

    kind = "evaluator"

    def predict(self, X: FloatArray) -> FloatArray:
        raise NotImplementedError


class LinearEvaluator(Evaluator):
    kind = "numpy linear"

    def __init__(self, coef: FloatArray, intercept: float) -> None:
        self.coef = np.ascontiguousarray(coef, dtype=np.float64)
        self.intercept = float(intercept)

    def predict(self, X: FloatArray) -> FloatArray:
        result: FloatArray = X @ self.coef + self.intercept
        return result


class TreeEnsembleEvaluator(Evaluator):
    """Regression trees stacked in flat arrays; leaves point to themselves, so ``depth`` steps
    take every row of every tree to its leaf. ``value`` is already scaled (boosting: by the
    learning rate); the prediction is ``offset + scale * sum over trees``."""

    kind = "numpy trees"

    def __init__(self, trees: list[Any], *, value_scale: float, offset: float, mean: bool) -> None:
        sizes = [int(tree.node_count) for tree in trees]
        starts = np.cumsum([0, *sizes[:-1]])
        feature, threshold, left, right, value = [], [], [], [], []
        for start, tree in zip(starts, trees, strict=True):
            nodes = np.arange(tree.node_count)
            leaf = tree.children_left == -1
            feature.append(np.where(leaf, 0, tree.feature))
            threshold.append(np.where(leaf, 0.0, tree.threshold))
            left.append(np.where(leaf, nodes, tree.children_left) + start)
            right.append(np.where(leaf, nodes, tree.children_right) + start)
            # single-output regression: value has shape (nodes, 1, 1)
            value.append(value_scale * tree.value[:, 0, 0])
        self.feature = np.concatenate(feature).astype(np.intp)
        self.threshold = np.concatenate(threshold).astype(np.float64)
        self.left = np.concatenate(left).astype(np.intp)
        self.right = np.concatenate(right).astype(np.intp)
        self.value = np.concatenate(value).astype(np.float64)
        self.roots = starts.astype(np.intp)[:, None]  # (trees, 1)
        self.depth = max(int(tree.max_depth) for tree in trees)
        self.offset = float(offset)
        self.divisor = float(len(trees)) if mean else 1.0

    def predict(self, X: FloatArray) -> FloatArray:
        # scikit-learn's trees see float32 inputs: round them the same way before comparing.
        Xr = X.astype(np.float32).astype(np.float64)
        rows = np.arange(len(Xr))[None, :]
        node = np.repeat(self.roots, len(Xr), axis=1)  # (trees, rows)
        for _ in range(self.depth):
            go_left = Xr[rows, self.feature[node]] <= self.threshold[node]
            node = np.where(go_left, self.left[node], self.right[node])
        result: FloatArray = self.value[node].sum(axis=0) / self.divisor + self.offset
        return result


def _linear(est: LinearRegression) -> Evaluator | None:
    coef = np.asarray(est.coef_, dtype=np.float64)
    if coef.ndim != 1:
        return None
    return LinearEvaluator(coef, float(np.asarray(est.intercept_).reshape(-1)[0]))


def _forest(est: RandomForestRegressor) -> Evaluator | None:
    if getattr(est, "n_outputs_", 1) != 1:
        return None
    trees = [tree.tree_ for tree in est.estimators_]
    return TreeEnsembleEvaluator(trees, value_scale=1.0, offset=0.0, mean=True)


def _boosting(est: GradientBoostingRegressor) -> Evaluator | None:
    init = est.init_
    if isinstance(init, str) and init == "zero":
        offset = 0.0
    elif isinstance(init, DummyRegressor) and init.strategy == "mean":
        offset = float(np.asarray(init.constant_).reshape(-1)[0])
    else:
        return None
    if est.estimators_.shape[1] != 1:
        return None
    trees = [stage[0].tree_ for stage in est.estimators_]
    return TreeEnsembleEvaluator(trees, value_scale=float(est.learning_rate), offset=offset, mean=False)


_COMPILERS: dict[type, Callable[[Any], Evaluator | None]] = {
    LinearRegression: _linear,
    RandomForestRegressor: _forest,
    GradientBoostingRegressor: _boosting,
}


def compile_estimator(estimator: Any) -> Evaluator | None:
    """A numpy evaluator for one of the shipped estimator types, else ``None``."""
    compiler = _COMPILERS.get(type(estimator))
    return compiler(estimator) if compiler is not None else None


def probe_rows(estimator: Any, n_random: int = 256, seed: int = 0) -> FloatArray:
    """Rows that exercise every split: each tree threshold exactly (the ``<=`` edge), just
    above it, and random rows spanning the thresholds' range (or [-10, 10] for linear models)."""
    n_features = int(estimator.n_features_in_)
    rng = np.random.default_rng(seed)
    thresholds: list[list[float]] = [[] for _ in range(n_features)]
    for tree in _trees(estimator):
        split = tree.children_left != -1
        for f, t in zip(tree.feature[split], tree.threshold[split], strict=True):
            thresholds[int(f)].append(float(t))
    columns = []
    for values in thresholds:
        pool = np.array(values or [-10.0, 10.0])
        edges = np.concatenate([pool, np.nextafter(pool.astype(np.float32), np.float32(np.inf))])
        low, high = float(pool.min()), float(pool.max())
        span = max(high - low, 1.0)
        uniform = rng.uniform(low - 0.1 * span, high + 0.1 * span, n_random)
        columns.append(np.concatenate([rng.permutation(edges), uniform]))
    n = max(len(c) for c in columns)  # shorter columns are padded with their own values
    padded = [np.concatenate([c, rng.choice(c, n - len(c))]) for c in columns]
    return np.column_stack(padded).astype(np.float64)


def _trees(estimator: Any) -> list[Any]:
    estimators = getattr(estimator, "estimators_", None)
    if estimators is None:
        return []
    return [e.tree_ for e in np.asarray(estimators).ravel()]


def check_agreement(evaluator: Evaluator, estimator: Any, X: FloatArray) -> float:
    """The largest absolute difference between the evaluator and ``estimator.predict`` on ``X``."""
    ours = evaluator.predict(X)
    theirs = np.asarray(estimator.predict(X), dtype=np.float64).ravel()
    return float(np.max(np.abs(ours - theirs))) if len(X) else 0.0
