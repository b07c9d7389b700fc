"""Run predictions off the event loop, so CPU work never delays ``/health``."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .artifacts import LoadedModel
from .features import FEATURES
from .schemas import GDPGrowthInput

__all__ = ["Predictor", "rows_to_matrix"]


def rows_to_matrix(rows: Sequence[GDPGrowthInput]) -> np.ndarray:
    """An (n, 4) float matrix with the columns in training order."""
    return np.array([[getattr(row, name) for name in FEATURES] for row in rows], dtype=np.float64)


class Predictor:
    """One loaded model and the small thread pool its predictions run on."""

    def __init__(self, model: LoadedModel, threads: int = 2) -> None:
        self.model = model
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"predict-{model.name}")

    @property
    def name(self) -> str:
        return self.model.name

    def predict_sync(self, X: np.ndarray) -> list[float]:
        result = self.model.estimator.predict(X)
        values = [float(v) for v in np.asarray(result, dtype=np.float64).ravel()]
        if len(values) != len(X) or not all(np.isfinite(values)):
            raise RuntimeError(f"model {self.name} returned an invalid prediction")
        return values

    async def predict(self, rows: Sequence[GDPGrowthInput]) -> list[float]:
        X = rows_to_matrix(rows)
        return await asyncio.get_running_loop().run_in_executor(self._pool, self.predict_sync, X)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
