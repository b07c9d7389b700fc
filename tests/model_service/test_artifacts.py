"""Safe loading: hash check, trusted types only, clear errors naming the file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.linear_model import LinearRegression

from model_service.artifacts import (
    TRUSTED_TYPES,
    ArtifactError,
    known_models,
    load_model,
    model_bytes,
    sha256_hex,
)
from model_service.settings import default_model_dir


class EvilRegressor(LinearRegression):  # type: ignore[misc]
    """A type nobody reviewed: its module is not sklearn, so skops reports it as untrusted."""


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    target = tmp_path / "models"
    shutil.copytree(default_model_dir(), target)
    return target


def _rewrite(model_dir: Path, name: str, data: bytes, **meta_changes: object) -> None:
    (model_dir / f"{name}.skops").write_bytes(data)
    meta_path = model_dir / f"{name}.json"
    meta = json.loads(meta_path.read_text())
    meta.update({"sha256": sha256_hex(data), "size_bytes": len(data), **meta_changes})
    meta_path.write_text(json.dumps(meta))


def test_committed_models_load_and_predict() -> None:
    directory = default_model_dir()
    assert known_models(directory) == ["GradientBoosting", "LinearRegression", "RandomForest"]
    row = np.array([[50000.0, 5.2, 2.1, 2.3]])
    for name in known_models(directory):
        loaded = load_model(directory, name)
        assert loaded.name == name
        assert np.isfinite(loaded.estimator.predict(row)).all()


def test_alias_resolves_to_canonical_name() -> None:
    assert load_model(default_model_dir(), "RandomForestRegressor").name == "RandomForest"


def test_unknown_name_lists_known_models() -> None:
    with pytest.raises(
        ArtifactError, match="unknown model 'XGBoost'.*GradientBoosting, LinearRegression, RandomForest"
    ):
        load_model(default_model_dir(), "XGBoost")


def test_missing_model_file_names_the_file(model_dir: Path) -> None:
    (model_dir / "LinearRegression.skops").unlink()
    with pytest.raises(ArtifactError) as info:
        load_model(model_dir, "LinearRegression")
    assert info.value.path == model_dir / "LinearRegression.skops"
    assert "not found" in str(info.value)


def test_hash_mismatch_is_rejected(model_dir: Path) -> None:
    path = model_dir / "LinearRegression.skops"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match="LinearRegression.skops: sha256 mismatch"):
        load_model(model_dir, "LinearRegression")


def test_corrupt_file_with_matching_hash_is_rejected(model_dir: Path) -> None:
    _rewrite(model_dir, "LinearRegression", b"this is not a zip archive")
    with pytest.raises(ArtifactError, match="LinearRegression.skops: not a valid skops file"):
        load_model(model_dir, "LinearRegression")


def test_corrupt_metadata_is_rejected(model_dir: Path) -> None:
    (model_dir / "RandomForest.json").write_text("{not json")
    with pytest.raises(ArtifactError, match="RandomForest.json: invalid metadata"):
        load_model(model_dir, "RandomForest")


def test_untrusted_type_is_rejected_before_loading(model_dir: Path) -> None:
    evil = EvilRegressor().fit(np.eye(4), np.arange(4.0))
    data = model_bytes(evil)
    assert any("EvilRegressor" in t for t in sio.get_untrusted_types(data=data))
    _rewrite(model_dir, "LinearRegression", data, estimator="EvilRegressor")
    with pytest.raises(ArtifactError, match=r"untrusted types in model file: .*EvilRegressor"):
        load_model(model_dir, "LinearRegression")


def test_trusted_list_is_explicit_and_minimal() -> None:
    assert TRUSTED_TYPES == ["sklearn.tree._tree.Tree"]


def test_wrong_estimator_class_is_rejected(model_dir: Path) -> None:
    _rewrite(
        model_dir, "LinearRegression", (model_dir / "LinearRegression.skops").read_bytes(), estimator="Ridge"
    )
    with pytest.raises(ArtifactError, match="holds a LinearRegression, metadata says Ridge"):
        load_model(model_dir, "LinearRegression")


def test_model_file_outside_the_directory_is_refused(model_dir: Path) -> None:
    meta_path = model_dir / "LinearRegression.json"
    meta = json.loads(meta_path.read_text())
    meta["model_file"] = "../LinearRegression.skops"
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ArtifactError, match="must be a .skops file here"):
        load_model(model_dir, "LinearRegression")
