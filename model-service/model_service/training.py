"""``python -m model_service.training``: fit every model, write ``<name>.skops`` + ``<name>.json``.

Needs the ``train`` extra (statsmodels, pandas). Deterministic: fixed seeds, ``n_jobs=1``
and canonical skops bytes, so two runs write identical files.
"""

from __future__ import annotations

import argparse
import logging
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import skops.io as sio

from .artifacts import MODEL_SUFFIX, TRUSTED_TYPES, model_bytes, sha256_hex
from .dataset import TEST_START, Split, load_feature_table, time_split
from .estimators import ALIASES, MODEL_FACTORIES
from .features import FEATURES, TARGET, FeatureTable
from .metadata import ModelMetadata, QuarterRange, Scores, write_metadata
from .settings import default_model_dir

__all__ = ["TrainResult", "baseline_predictions", "main", "scores", "train_all", "train_one"]

log = logging.getLogger("model_service.training")

DEFINITIONS = {
    "source": "statsmodels.datasets.macrodata (US quarterly, 1959Q1-2009Q3)",
    "annualized_growth": "g_t = ((realgdp_t / realgdp_{t-1}) ** 4 - 1) * 100, percent",
    "gdp_per_capita": "realgdp_t * 1e9 / (pop_t * 1e6), dollars (chained 2005) per person",
    "unemployment_rate": "unemp_t, percent",
    "gdp_growth_rate_lag": "g_{t-1}",
    "gdp_growth_rate_ma": "mean(g_{t-1}, g_{t-2}, g_{t-3}, g_{t-4})",
    "gdp_growth_rate": "target: g_t",
    "split": f"time-ordered: train = quarters before {TEST_START}, test = {TEST_START} onwards; no shuffling",
}
BASELINE = "naive: predict gdp_growth_rate_lag (this quarter's growth = last quarter's)"


@dataclass(frozen=True)
class TrainResult:
    metadata: ModelMetadata
    model_path: Path
    metadata_path: Path


def scores(y_true: np.ndarray, y_pred: np.ndarray) -> Scores:
    err = y_true - y_pred
    ss_res = float(np.sum(err**2))
    ss_tot = float(np.sum((y_true - y_true.mean()) ** 2))
    return Scores(
        rmse=float(np.sqrt(np.mean(err**2))),
        mae=float(np.mean(np.abs(err))),
        r2=1.0 - ss_res / ss_tot,
    )


def baseline_predictions(table: FeatureTable) -> np.ndarray:
    """ "Same as last quarter": the lag feature is the prediction."""
    return table.X[:, FEATURES.index("gdp_growth_rate_lag")].copy()


def _range(table: FeatureTable) -> QuarterRange:
    return QuarterRange(first=table.quarters[0], last=table.quarters[-1], rows=len(table))


def _versions() -> dict[str, str]:
    packages = ("numpy", "scikit-learn", "skops", "statsmodels", "pandas")
    return {"python": platform.python_version(), **{p: version(p) for p in packages}}


def _params(estimator: Any) -> dict[str, object]:
    params: dict[str, Any] = estimator.get_params()
    return {k: v for k, v in sorted(params.items()) if isinstance(v, str | int | float | bool | type(None))}


def train_one(name: str, split: Split, out_dir: Path) -> TrainResult:
    estimator = MODEL_FACTORIES[name]()
    estimator.fit(split.train.X, split.train.y)
    data = model_bytes(estimator)
    # The file must load back with the service's safe loader and predict the same numbers.
    reloaded = sio.loads(data, trusted=TRUSTED_TYPES)
    if not np.array_equal(reloaded.predict(split.test.X), estimator.predict(split.test.X)):
        raise RuntimeError(f"{name}: reloaded model predicts differently")
    model_path = out_dir / f"{name}{MODEL_SUFFIX}"
    model_path.write_bytes(data)
    metadata = ModelMetadata(
        name=name,
        aliases=sorted(alias for alias, target in ALIASES.items() if target == name),
        estimator=type(estimator).__name__,
        params=_params(estimator),
        features=list(FEATURES),
        target=TARGET,
        definitions=DEFINITIONS,
        train=_range(split.train),
        test=_range(split.test),
        test_metrics=scores(split.test.y, estimator.predict(split.test.X)),
        baseline=BASELINE,
        baseline_metrics=scores(split.test.y, baseline_predictions(split.test)),
        versions=_versions(),
        model_file=model_path.name,
        sha256=sha256_hex(data),
        size_bytes=len(data),
    )
    metadata_path = out_dir / f"{name}.json"
    write_metadata(metadata_path, metadata)
    return TrainResult(metadata, model_path, metadata_path)


def train_all(out_dir: Path, names: Sequence[str] | None = None) -> list[TrainResult]:
    out_dir.mkdir(parents=True, exist_ok=True)
    split = time_split(load_feature_table())
    return [train_one(name, split, out_dir) for name in (names or list(MODEL_FACTORIES))]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m model_service.training", description=__doc__)
    parser.add_argument("--out", type=Path, default=default_model_dir(), help="artifact directory")
    parser.add_argument(
        "--models",
        default=",".join(MODEL_FACTORIES),
        help=f"comma-separated subset of {','.join(MODEL_FACTORIES)}",
    )
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in MODEL_FACTORIES]
    if unknown:
        parser.error(f"unknown models {unknown}; known: {', '.join(MODEL_FACTORIES)}")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for result in train_all(args.out, names):
        m = result.metadata
        log.info(
            "%-17s test RMSE %.4f MAE %.4f R2 %.4f | naive RMSE %.4f | %s (%d bytes, sha256 %s)",
            m.name,
            m.test_metrics.rmse,
            m.test_metrics.mae,
            m.test_metrics.r2,
            m.baseline_metrics.rmse,
            result.model_path,
            m.size_bytes,
            m.sha256[:12],
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
