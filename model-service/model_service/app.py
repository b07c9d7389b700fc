"""The model service application: load and check the model, then register in Consul."""

from __future__ import annotations

import asyncio
import logging
from importlib.metadata import version

from fastapi import FastAPI

from servicekit import create_service_app

from .artifacts import ArtifactError, known_models, load_model
from .estimators import canonical_name
from .predictor import Predictor
from .routes import router
from .settings import ModelSettings
from .state import ModelState

__all__ = ["create_app"]

log = logging.getLogger("model_service")


def create_app(settings: ModelSettings | None = None) -> FastAPI:
    settings = settings or ModelSettings()
    # Aliases resolve here so the Consul tag/meta carry the canonical name the gateway routes on.
    model_name = canonical_name(settings.gdp_model_name, known_models(settings.model_dir))
    state = ModelState(model_name)

    async def on_startup(app: FastAPI) -> None:
        try:
            loaded = await asyncio.to_thread(load_model, settings.model_dir, settings.gdp_model_name)
        except ArtifactError as exc:
            # One clear line naming the file and the reason; the raise stops the service
            # before it registers, and uvicorn exits non-zero.
            log.error("cannot serve model %s: %s: %s", settings.gdp_model_name, exc.path, exc.reason)
            raise
        trained_with = loaded.metadata.versions.get("scikit-learn")
        if trained_with and trained_with != version("scikit-learn"):
            log.warning(
                "model %s trained with scikit-learn %s, running %s",
                loaded.name,
                trained_with,
                version("scikit-learn"),
            )
        # Compiling the evaluator checks it against scikit-learn: seconds of CPU at most, off the loop.
        predictor = await asyncio.to_thread(Predictor, loaded, settings.predict_threads)
        state.predictor = predictor
        log.info(
            "loaded model %s from %s (sha256 %s, test RMSE %.4f), predicting with %s",
            loaded.name,
            loaded.path,
            loaded.metadata.sha256[:12],
            loaded.metadata.test_metrics.rmse,
            predictor.engine,
        )

    async def on_shutdown(app: FastAPI) -> None:
        if state.predictor is not None:
            state.predictor.close()

    app = create_service_app(
        settings,
        title="gdp-growth-model",
        description="Predicts a quarter's annualized US real GDP growth (%) with one trained model.",
        routers=[router],
        readiness=state.readiness,
        liveness_info=state.liveness_info,
        tags=["model", "gdp", f"model:{model_name}"],
        meta={"model": model_name},
        on_startup=on_startup,
        on_shutdown=on_shutdown,
    )
    app.state.model_state = state
    return app
