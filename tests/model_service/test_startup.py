"""The start-up hook in-process: a bad artifact fails the lifespan with one clear log line."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from model_service import ArtifactError, ModelSettings, create_app, default_model_dir


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    target = tmp_path / "models"
    shutil.copytree(default_model_dir(), target)
    return target


def _start(model_dir: Path, model: str) -> None:
    settings = ModelSettings(service_register=False, gdp_model_name=model, gdp_model_dir=model_dir)
    with TestClient(create_app(settings)):
        pass


def _corrupt_with_matching_hash(path: Path) -> None:
    junk = b"PK\x03\x04 truncated"
    path.write_bytes(junk)
    meta_path = path.with_suffix(".json")
    meta = json.loads(meta_path.read_text())
    meta.update(sha256=hashlib.sha256(junk).hexdigest(), size_bytes=len(junk))
    meta_path.write_text(json.dumps(meta))


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda p: p.unlink(), "model file not found"),
        (lambda p: p.write_bytes(p.read_bytes()[:-10]), "sha256 mismatch"),
        (_corrupt_with_matching_hash, "not a valid skops file"),
        (lambda p: p.with_suffix(".json").write_text("[]"), "invalid metadata"),
    ],
    ids=["missing", "hash-mismatch", "corrupt", "bad-metadata"],
)
def test_bad_artifact_fails_startup_naming_file(model_dir: Path, damage, reason: str, caplog) -> None:
    target = model_dir / "GradientBoosting.skops"
    damage(target)
    caplog.set_level(logging.ERROR, logger="model_service")
    with pytest.raises(ArtifactError):
        _start(model_dir, "GradientBoosting")
    [record] = [r for r in caplog.records if r.name == "model_service"]
    assert "cannot serve model GradientBoosting" in record.getMessage()
    assert reason in record.getMessage()
    assert "GradientBoosting." in record.getMessage()


def test_empty_model_dir_fails_startup(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="known models: \\(none\\)"):
        _start(tmp_path, "LinearRegression")


def test_unknown_model_name_fails_startup_listing_known_ones(model_dir: Path, caplog) -> None:
    caplog.set_level(logging.ERROR, logger="model_service")
    with pytest.raises(ArtifactError):
        _start(model_dir, "XGBoost")
    assert (
        "unknown model 'XGBoost'; known models: GradientBoosting, LinearRegression, RandomForest"
        in caplog.text
    )
