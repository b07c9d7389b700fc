"""Run predictions: small ones inline with the compiled evaluator, the rest off the event loop.

The compiled numpy evaluator (``evaluators``) answers a few rows in tens of microseconds, less
than a hop to a thread, so inputs of up to ``INLINE_ROWS`` rows run on the event loop. Larger
batches, and any estimator without an evaluator (``estimator.predict`` can take milliseconds),
run on a small thread pool, so CPU work never delays ``/health``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .artifacts import LoadedModel
from .evaluators import MAX_ABS_DIFF, check_agreement, compile_estimator, probe_rows
from .features import FEATURES
from .schemas import GDPGrowthInput

__all__ = ["INLINE_ROWS", "Predictor", "rows_to_matrix"]

log = logging.getLogger("model_service.predictor")

INLINE_ROWS = 8  # at most ~0.3 ms on the loop with the largest shipped model


def rows_to_matrix(rows: Sequence[GDPGrowthInput]) -> np.ndarray:
    """An (n, 4) float matrix with the columns in training order."""
    return np.array([[getattr(row, name) for name in FEATURES] for row in rows], dtype=np.float64)


class Predictor:
    """One loaded model, the function that predicts with it, and the pool for large inputs."""

    def __init__(self, model: LoadedModel, threads: int = 2) -> None:
        self.model = model
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"predict-{model.name}")
        self._predict, self.engine, self.inline_rows = self._choose_engine(model)

    @staticmethod
    def _choose_engine(model: LoadedModel) -> tuple[Callable[[np.ndarray], object], str, int]:
        """The compiled evaluator if it matches scikit-learn on probe rows, else ``predict``."""
        estimator = model.estimator
        evaluator = compile_estimator(estimator)
        if evaluator is None:
            return estimator.predict, "scikit-learn", 0
        diff = check_agreement(evaluator, estimator, probe_rows(estimator))
        if diff > MAX_ABS_DIFF:
            log.warning(
                "model %s: %s evaluator differs from scikit-learn by %.3g; using scikit-learn",
                model.name,
                evaluator.kind,
                diff,
            )
            return estimator.predict, "scikit-learn", 0
        return evaluator.predict, evaluator.kind, INLINE_ROWS

    @property
    def name(self) -> str:
        return self.model.name

    def predict_sync(self, X: np.ndarray) -> list[float]:
        result = np.asarray(self._predict(X), dtype=np.float64).ravel()
        if len(result) != len(X) or not np.isfinite(result).all():
            raise RuntimeError(f"model {self.name} returned an invalid prediction")
        return result.tolist()

    async def predict(self, rows: Sequence[GDPGrowthInput]) -> list[float]:
        X = rows_to_matrix(rows)
        if len(rows) <= self.inline_rows:
            return self.predict_sync(X)
        return await asyncio.get_running_loop().run_in_executor(self._pool, self.predict_sync, X)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
