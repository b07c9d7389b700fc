"""Training: reproducible, honest metrics, and the committed artifacts are what training writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from model_service.dataset import load_feature_table, time_split
from model_service.estimators import MODEL_FACTORIES
from model_service.settings import default_model_dir
from model_service.training import main, train_all

MAX_ARTIFACT_BYTES = 5 * 1024 * 1024


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    first, second = tmp_path_factory.mktemp("run1"), tmp_path_factory.mktemp("run2")
    train_all(first)
    assert main(["--out", str(second)]) == 0  # the CLI `make train` calls
    return first, second


def _meta(directory: Path, name: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((directory / f"{name}.json").read_text())
    return result


def test_training_twice_gives_identical_metrics_and_files(two_runs) -> None:
    first, second = two_runs
    for name in MODEL_FACTORIES:
        a, b = _meta(first, name), _meta(second, name)
        assert a["test_metrics"] == b["test_metrics"]
        assert a == b  # includes sha256 of the model file
        assert (first / f"{name}.skops").read_bytes() == (second / f"{name}.skops").read_bytes()


def test_artifacts_are_small_and_complete(two_runs) -> None:
    first, _ = two_runs
    names = sorted(p.stem for p in first.glob("*.json"))
    assert names == sorted(["LinearRegression", "RandomForest", "GradientBoosting"])
    assert not list(first.glob("*.pkl"))
    for name in names:
        meta = _meta(first, name)
        assert (first / meta["model_file"]).stat().st_size == meta["size_bytes"] <= MAX_ARTIFACT_BYTES
        assert meta["features"] == [
            "gdp_per_capita",
            "unemployment_rate",
            "gdp_growth_rate_lag",
            "gdp_growth_rate_ma",
        ]
        assert meta["target"] == "gdp_growth_rate"
        assert meta["train"] == {"first": "1960Q2", "last": "1999Q4", "rows": 159}
        assert meta["test"] == {"first": "2000Q1", "last": "2009Q3", "rows": 39}
        assert set(meta["versions"]) >= {"python", "numpy", "scikit-learn", "skops"}
        assert set(meta["test_metrics"]) == {"rmse", "mae", "r2"}


def test_committed_artifacts_match_a_fresh_training(two_runs) -> None:
    """The files in the repository are reproducible from `make train` (same environment)."""
    first, _ = two_runs
    committed = default_model_dir()
    for name in MODEL_FACTORIES:
        fresh, repo = _meta(first, name), _meta(committed, name)
        assert repo["test_metrics"] == pytest.approx(fresh["test_metrics"], rel=1e-9)
        assert repo["baseline_metrics"] == pytest.approx(fresh["baseline_metrics"], rel=1e-9)
        if repo["versions"] == fresh["versions"]:
            assert repo["sha256"] == fresh["sha256"]


def test_linear_rmse_equals_an_independent_least_squares_fit(two_runs) -> None:
    first, _ = two_runs
    split = time_split(load_feature_table())
    design = np.column_stack([np.ones(len(split.train)), split.train.X])
    coef, *_ = np.linalg.lstsq(design, split.train.y, rcond=None)
    pred = np.column_stack([np.ones(len(split.test)), split.test.X]) @ coef
    rmse = float(np.sqrt(np.mean((split.test.y - pred) ** 2)))
    assert _meta(first, "LinearRegression")["test_metrics"]["rmse"] == pytest.approx(rmse, abs=1e-9, rel=0)


def test_baseline_is_same_as_last_quarter(two_runs) -> None:
    first, _ = two_runs
    split = time_split(load_feature_table())
    # the test target of quarter t is the lag feature of quarter t+1: check the naive rule independently
    lag_next = split.test.X[1:, 2]
    assert np.allclose(lag_next, split.test.y[:-1])
    naive = np.sqrt(np.mean((split.test.y - split.test.X[:, 2]) ** 2))
    for name in MODEL_FACTORIES:
        assert _meta(first, name)["baseline_metrics"]["rmse"] == pytest.approx(naive, abs=1e-12)
