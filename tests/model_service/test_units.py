"""Units: readiness probe, predictions off the event loop, settings defaults."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from model_service import ModelSettings, default_model_dir, load_model
from model_service.artifacts import LoadedModel
from model_service.estimators import UnknownModelError, resolve_name
from model_service.predictor import Predictor
from model_service.schemas import GDPGrowthInput
from model_service.state import ModelState

ROW = GDPGrowthInput(
    gdp_per_capita=50000, unemployment_rate=5.2, gdp_growth_rate_lag=2.1, gdp_growth_rate_ma=2.3
)


def test_readiness_probe_starting_until_loaded() -> None:
    state = ModelState("RandomForest")
    report = state.readiness()
    assert (report.status, report.serving, report.details["loaded"]) == ("starting", False, False)
    state.predictor = Predictor(load_model(default_model_dir(), "RandomForest"))
    try:
        report = state.readiness()
        assert (report.status, report.serving) == ("ok", True)
        assert state.liveness_info() == {"model": "RandomForest"}
    finally:
        state.predictor.close()


class SlowEstimator:
    """Blocks like a heavy model would; records which thread ran it."""

    def __init__(self) -> None:
        self.threads: list[int] = []

    def predict(self, X: np.ndarray) -> np.ndarray:
        self.threads.append(threading.get_ident())
        time.sleep(0.3)
        return np.full(len(X), 1.5)


async def test_predictions_run_off_the_event_loop() -> None:
    real = load_model(default_model_dir(), "LinearRegression")
    slow = SlowEstimator()
    predictor = Predictor(LoadedModel("slow", slow, real.metadata, real.path), threads=1)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    try:
        assert await predictor.predict([ROW, ROW]) == [1.5, 1.5]
    finally:
        task.cancel()
        predictor.close()
    assert slow.threads and slow.threads[0] != threading.get_ident()
    assert ticks >= 10  # the loop kept running during the 0.3 s prediction


def test_settings_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("GDP_MODEL_NAME", "GDP_MODEL_DIR", "SERVICE_PORT", "SERVICE_NAME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)  # any working directory: artifacts are found from the package
    settings = ModelSettings()
    assert (settings.service_name, settings.service_port, settings.gdp_model_name) == (
        "gdp-growth-model",
        8101,
        "LinearRegression",
    )
    assert (settings.model_dir / "LinearRegression.json").is_file()
    monkeypatch.setenv("GDP_MODEL_DIR", str(tmp_path))
    monkeypatch.setenv("GDP_MODEL_NAME", "RandomForest")
    settings = ModelSettings()
    assert (settings.model_dir, settings.gdp_model_name) == (tmp_path, "RandomForest")


def test_resolve_name() -> None:
    known = ["LinearRegression", "RandomForest"]
    assert resolve_name("RandomForestRegressor", known) == "RandomForest"
    assert (
        resolve_name("randomforest", known) == "RandomForest"
    )  # the gateway matches names case-insensitively
    assert resolve_name("linearregression", known) == "LinearRegression"
    with pytest.raises(UnknownModelError):
        resolve_name("GradientBoostingRegressor", known)  # alias of a model that is not in the directory
    with pytest.raises(UnknownModelError, match="known models: LinearRegression, RandomForest"):
        resolve_name("Lasso", known)
