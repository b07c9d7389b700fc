"""model_service: serves one trained GDP growth model and registers it in Consul."""

from __future__ import annotations

from .app import create_app
from .artifacts import TRUSTED_TYPES, ArtifactError, LoadedModel, known_models, load_model
from .estimators import ALIASES, DEFAULT_MODEL, UnknownModelError
from .features import FEATURES, TARGET
from .settings import ModelSettings, default_model_dir

__all__ = [
    "ALIASES",
    "DEFAULT_MODEL",
    "FEATURES",
    "TARGET",
    "TRUSTED_TYPES",
    "ArtifactError",
    "LoadedModel",
    "ModelSettings",
    "UnknownModelError",
    "create_app",
    "default_model_dir",
    "known_models",
    "load_model",
]
