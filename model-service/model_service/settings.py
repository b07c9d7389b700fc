"""Model service settings: the kit's service settings plus which model to serve and from where."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from servicekit import ServiceSettings

from .estimators import DEFAULT_MODEL

__all__ = ["ModelSettings", "default_model_dir"]


def default_model_dir() -> Path:
    """``model-service/predictive_models/gdp_growth_rate``, found from this package (any cwd)."""
    return Path(__file__).resolve().parent.parent / "predictive_models" / "gdp_growth_rate"


class ModelSettings(ServiceSettings):
    service_name: str = Field(default="gdp-growth-model", min_length=1)
    service_port: int = Field(default=8101, ge=0, le=65535)
    gdp_model_name: str = Field(
        default=DEFAULT_MODEL, min_length=1, description="model this replica serves (GDP_MODEL_NAME)"
    )
    gdp_model_dir: Path | None = Field(
        default=None,
        description="artifact directory (GDP_MODEL_DIR); default: the package's predictive_models",
    )
    predict_threads: int = Field(default=2, ge=1, le=64, description="threads running model predictions")

    @property
    def model_dir(self) -> Path:
        return self.gdp_model_dir or default_model_dir()
