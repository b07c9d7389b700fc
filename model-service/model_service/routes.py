"""Prediction and model-info routes (shapes from the seed, strict inputs)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request

from .predictor import Predictor
from .schemas import (
    BatchPredictionRequest,
    BatchPredictionResponse,
    GDPGrowthInput,
    ModelsResponse,
    PredictionResponse,
)
from .state import ModelState

__all__ = ["router"]

router = APIRouter()
MESSAGE = "GDP growth prediction endpoint"


def _state(request: Request) -> ModelState:
    state: ModelState = request.app.state.model_state
    return state


def _predictor(state: Annotated[ModelState, Depends(_state)]) -> Predictor:
    if state.predictor is None:
        raise HTTPException(status_code=503, detail=f"model {state.model_name} is not loaded yet")
    return state.predictor


@router.post("/api/predict/gdp_growth_rate", tags=["predict"], summary="Predict this quarter's growth, %")
async def predict(
    body: GDPGrowthInput, predictor: Annotated[Predictor, Depends(_predictor)]
) -> PredictionResponse:
    values = await predictor.predict([body])
    return PredictionResponse(message=MESSAGE, input=body, model=predictor.name, prediction=values)


# The seed's gateway forwarded to this path; kept so old gateways still work.
router.add_api_route(
    "/api/predict/", predict, methods=["POST"], tags=["predict"], deprecated=True, summary="Seed alias"
)


@router.post(
    "/api/predict/gdp_growth_rate/batch", tags=["predict"], summary="Predict up to 1000 rows at once"
)
async def predict_batch(
    body: BatchPredictionRequest, predictor: Annotated[Predictor, Depends(_predictor)]
) -> BatchPredictionResponse:
    values = await predictor.predict(body.rows)
    return BatchPredictionResponse(
        message=MESSAGE, model=predictor.name, count=len(values), predictions=values
    )


@router.get("/api/models", tags=["models"], summary="The model this instance serves, with test metrics")
async def models(request: Request, predictor: Annotated[Predictor, Depends(_predictor)]) -> ModelsResponse:
    metadata = predictor.model.metadata.model_dump(mode="json", exclude={"definitions"})
    metadata["definitions"] = predictor.model.metadata.definitions
    return ModelsResponse(service=request.app.state.settings.service_name, models=[metadata])


@router.get("/api/status/available_models", tags=["models"], summary="Seed alias: names of the served models")
async def available_models(predictor: Annotated[Predictor, Depends(_predictor)]) -> dict[str, list[str]]:
    return {"models": [predictor.name]}
