"""Model files: written with skops in a canonical byte form, loaded only after checks.

Loading (``load_model``) refuses to run anything it has not checked:

1. the metadata JSON exists and is valid;
2. the model file exists and its sha256 equals the metadata's (detects corruption and
   a file swapped without its metadata);
3. every type in the file that skops does not trust by default is in ``TRUSTED_TYPES``
   (anything else is rejected, naming the type), and the file is loaded with
   ``skops.io.loads(..., trusted=TRUSTED_TYPES)``: never pickle;
4. the loaded object is the estimator class the metadata names, with 4 input features.

``sklearn.tree._tree.Tree`` is trusted because the forest and boosting models need it and our
files are our own build artefacts whose hash is checked first. Never point the service at a
model directory you do not control.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import skops.io as sio

from .estimators import UnknownModelError, resolve_name
from .features import FEATURES
from .metadata import MetadataError, ModelMetadata, read_metadata

__all__ = [
    "MODEL_SUFFIX",
    "TRUSTED_TYPES",
    "ArtifactError",
    "LoadedModel",
    "canonical_skops_bytes",
    "known_models",
    "load_model",
    "model_bytes",
    "sha256_hex",
]

MODEL_SUFFIX = ".skops"
TRUSTED_TYPES: list[str] = ["sklearn.tree._tree.Tree"]
_EPOCH = (1980, 1, 1, 0, 0, 0)


class ArtifactError(Exception):
    """A model file or its metadata cannot be used; names the file and the reason."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


@dataclass(frozen=True)
class LoadedModel:
    name: str
    estimator: Any
    metadata: ModelMetadata
    path: Path


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_skops_bytes(raw: bytes) -> bytes:
    """The same skops archive with deterministic member names, object ids and timestamps.

    skops names array members and memo ids after ``id()`` of the objects, and stamps the
    zip with the current time; renumbering both in schema order makes two trainings of the
    same model produce byte-identical files (same sha256).
    """
    src = zipfile.ZipFile(io.BytesIO(raw))
    schema = json.loads(src.read("schema.json"))
    files: dict[str, str] = {}
    ids: dict[int, int] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "file" and isinstance(value, str) and value in src.NameToInfo:
                    node[key] = files.setdefault(value, f"{len(files):06d}.npy")
                elif key == "__id__" and isinstance(value, int):
                    node[key] = ids.setdefault(value, len(ids) + 1)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(schema)
    missing = set(src.namelist()) - set(files) - {"schema.json"}
    if missing:
        raise ValueError(f"unexpected members in skops archive: {sorted(missing)[:3]}")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:

        def put(name: str, data: bytes) -> None:
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, data)

        put("schema.json", json.dumps(schema, indent=2).encode())
        for old, new in sorted(files.items(), key=lambda item: item[1]):
            put(new, src.read(old))
    return out.getvalue()


def model_bytes(estimator: Any) -> bytes:
    """The canonical skops serialization of a fitted estimator."""
    return canonical_skops_bytes(sio.dumps(estimator))


def known_models(model_dir: Path) -> list[str]:
    """Names of the models in ``model_dir`` (one ``<name>.json`` metadata file each)."""
    if not model_dir.is_dir():
        return []
    return sorted(p.stem for p in model_dir.glob("*.json"))


def load_model(model_dir: Path, requested: str) -> LoadedModel:
    """Check and load one model (see module doc); ``ArtifactError`` names the file and reason."""
    if not model_dir.is_dir():
        raise ArtifactError(model_dir, "model directory not found")
    try:
        name = resolve_name(requested, known_models(model_dir))
    except UnknownModelError as exc:
        raise ArtifactError(model_dir, str(exc)) from exc
    meta_path = model_dir / f"{name}.json"
    try:
        metadata = read_metadata(meta_path)
    except MetadataError as exc:
        raise ArtifactError(exc.path, exc.reason) from exc
    path = model_dir / metadata.model_file
    if path.parent != model_dir or path.suffix != MODEL_SUFFIX:
        raise ArtifactError(
            meta_path, f"model_file {metadata.model_file!r} must be a {MODEL_SUFFIX} file here"
        )
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ArtifactError(path, "model file not found") from exc
    except OSError as exc:
        raise ArtifactError(path, f"cannot read model file: {exc}") from exc
    digest = sha256_hex(data)
    if digest != metadata.sha256:
        raise ArtifactError(
            path, f"sha256 mismatch: file has {digest}, metadata {meta_path.name} expects {metadata.sha256}"
        )
    estimator = _safe_load(path, data)
    if type(estimator).__name__ != metadata.estimator:
        raise ArtifactError(path, f"holds a {type(estimator).__name__}, metadata says {metadata.estimator}")
    if not callable(getattr(estimator, "predict", None)) or getattr(estimator, "n_features_in_", None) != len(
        FEATURES
    ):
        raise ArtifactError(path, f"not a fitted regressor with {len(FEATURES)} features")
    return LoadedModel(name=name, estimator=estimator, metadata=metadata, path=path)


def _safe_load(path: Path, data: bytes) -> Any:
    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:  # skops raises many types (BadZipFile, KeyError, JSON errors) on junk
        raise ArtifactError(path, f"not a valid skops file ({type(exc).__name__}: {exc})") from exc
    rejected = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if rejected:
        raise ArtifactError(path, f"untrusted types in model file: {', '.join(rejected)}")
    try:
        return sio.loads(data, trusted=TRUSTED_TYPES)
    except Exception as exc:
        raise ArtifactError(path, f"cannot load skops file ({type(exc).__name__}: {exc})") from exc
