"""Request and response bodies. Strict: every field required, finite, in range, no extras.

The seed defaulted every field to 0.0, so a missing field silently became 0; here a
missing, non-numeric (including numeric strings and booleans), NaN/inf, out-of-range or
unknown field is a 422 whose ``detail[].loc`` names the field.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from servicekit.contracts import GDPGrowthInput

__all__ = [
    "MAX_BATCH_ROWS",
    "BatchPredictionRequest",
    "BatchPredictionResponse",
    "GDPGrowthInput",
    "ModelsResponse",
    "PredictionResponse",
]

MAX_BATCH_ROWS = 1000
_STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class PredictionResponse(BaseModel):
    message: str
    input: GDPGrowthInput
    model: str
    prediction: list[float]


class BatchPredictionRequest(BaseModel):
    model_config = _STRICT

    rows: list[GDPGrowthInput] = Field(min_length=1, max_length=MAX_BATCH_ROWS)


class BatchPredictionResponse(BaseModel):
    message: str
    model: str
    count: int
    predictions: list[float]


class ModelsResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    service: str
    models: list[dict[str, object]]
