"""The compiled numpy evaluators predict what scikit-learn predicts (max abs diff <= 1e-6)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from model_service import ModelSettings, create_app, known_models, load_model
from model_service.artifacts import LoadedModel
from model_service.dataset import load_feature_table, time_split
from model_service.evaluators import (
    MAX_ABS_DIFF,
    LinearEvaluator,
    TreeEnsembleEvaluator,
    check_agreement,
    compile_estimator,
    probe_rows,
)
from model_service.features import FEATURES
from model_service.predictor import INLINE_ROWS, Predictor
from model_service.settings import default_model_dir

MODELS = known_models(default_model_dir())


@pytest.fixture(scope="module")
def test_set() -> np.ndarray:
    X: np.ndarray = time_split(load_feature_table()).test.X
    return X


def test_every_shipped_model_is_compiled() -> None:
    assert MODELS == ["GradientBoosting", "LinearRegression", "RandomForest"]
    kinds = {
        name: type(compile_estimator(load_model(default_model_dir(), name).estimator)) for name in MODELS
    }
    assert kinds == {
        "GradientBoosting": TreeEnsembleEvaluator,
        "LinearRegression": LinearEvaluator,
        "RandomForest": TreeEnsembleEvaluator,
    }


@pytest.mark.parametrize("name", MODELS)
def test_same_predictions_as_scikit_learn_on_the_test_set(name: str, test_set: np.ndarray) -> None:
    estimator = load_model(default_model_dir(), name).estimator
    evaluator = compile_estimator(estimator)
    assert evaluator is not None
    assert len(test_set) == 39
    assert check_agreement(evaluator, estimator, test_set) <= MAX_ABS_DIFF
    # one row at a time too: the service's single-row path
    for row in test_set[:10]:
        assert check_agreement(evaluator, estimator, row[None, :]) <= MAX_ABS_DIFF


@pytest.mark.parametrize("name", ["RandomForest", "GradientBoosting"])
def test_split_edges_follow_scikit_learns_float32_comparison(name: str) -> None:
    # probe rows put every feature exactly on a threshold and one float32 step above it
    estimator = load_model(default_model_dir(), name).estimator
    evaluator = compile_estimator(estimator)
    assert evaluator is not None
    rows = probe_rows(estimator)
    assert len(rows) > 256
    assert check_agreement(evaluator, estimator, rows) <= MAX_ABS_DIFF


def test_http_predictions_match_scikit_learn_on_the_test_set(test_set: np.ndarray) -> None:
    rows = [dict(zip(FEATURES, map(float, x), strict=True)) for x in test_set]
    for name in MODELS:
        expected = load_model(default_model_dir(), name).estimator.predict(test_set)
        with TestClient(create_app(ModelSettings(service_register=False, gdp_model_name=name))) as client:
            batch = client.post("/api/predict/gdp_growth_rate/batch", json={"rows": rows}).json()[
                "predictions"
            ]
            single = [
                client.post("/api/predict/gdp_growth_rate", json=rows[i]).json()["prediction"][0]
                for i in (0, 38)
            ]
        assert np.max(np.abs(np.array(batch) - expected)) <= MAX_ABS_DIFF, name
        assert np.max(np.abs(np.array(single) - expected[[0, 38]])) <= MAX_ABS_DIFF, name


def test_other_estimators_are_not_compiled() -> None:
    from sklearn.tree import DecisionTreeRegressor

    tree = DecisionTreeRegressor(max_depth=2).fit(np.arange(8.0).reshape(4, 2), [1.0, 2.0, 3.0, 4.0])
    assert compile_estimator(tree) is None


class _WrongEvaluator:
    kind = "broken"

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.zeros(len(X))


@pytest.fixture
def linear() -> Iterator[LoadedModel]:
    yield load_model(default_model_dir(), "LinearRegression")


def test_predictor_uses_the_evaluator_and_predicts_small_inputs_inline(linear: LoadedModel) -> None:
    predictor = Predictor(linear, threads=1)
    try:
        assert (predictor.engine, predictor.inline_rows) == ("numpy linear", INLINE_ROWS)
    finally:
        predictor.close()


def test_predictor_falls_back_to_scikit_learn_when_the_evaluator_disagrees(
    linear: LoadedModel, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def wrong(estimator: Any) -> _WrongEvaluator:
        return _WrongEvaluator()

    monkeypatch.setattr("model_service.predictor.compile_estimator", wrong)
    predictor = Predictor(linear, threads=1)
    try:
        assert (predictor.engine, predictor.inline_rows) == ("scikit-learn", 0)
        X = np.array([[50000.0, 5.2, 2.1, 2.3]])
        assert predictor.predict_sync(X) == [float(v) for v in linear.estimator.predict(X)]
    finally:
        predictor.close()
    assert "differs from scikit-learn" in caplog.text
