"""The metadata JSON written next to each model file (``<name>.json``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["MetadataError", "ModelMetadata", "QuarterRange", "Scores", "read_metadata", "write_metadata"]


class QuarterRange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    first: str
    last: str
    rows: int = Field(gt=0)


class Scores(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rmse: float
    mae: float
    r2: float


class ModelMetadata(BaseModel):
    """Everything needed to check, load and describe one trained model."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    name: str
    aliases: list[str] = Field(default_factory=list)
    estimator: str = Field(description="class name of the fitted estimator")
    params: dict[str, object]
    features: list[str]
    target: str
    definitions: dict[str, str]
    train: QuarterRange
    test: QuarterRange
    test_metrics: Scores
    baseline: str
    baseline_metrics: Scores
    versions: dict[str, str]
    model_file: str
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    size_bytes: int = Field(gt=0)


class MetadataError(Exception):
    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def read_metadata(path: Path) -> ModelMetadata:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise MetadataError(path, "metadata file not found") from exc
    except OSError as exc:
        raise MetadataError(path, f"cannot read metadata: {exc}") from exc
    try:
        return ModelMetadata.model_validate_json(text)
    except ValidationError as exc:
        raise MetadataError(
            path, f"invalid metadata: {exc.errors()[0]['msg']} at {exc.errors()[0]['loc']}"
        ) from exc


def write_metadata(path: Path, metadata: ModelMetadata) -> None:
    path.write_text(metadata.model_dump_json(indent=2) + "\n", encoding="utf-8")
