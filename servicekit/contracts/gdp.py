"""The GDP-growth prediction input: validated identically by the gateway and the model service.

Strict: every field required, a JSON number (no numeric strings, no booleans), finite, in a
sane range, no extra fields. The seed defaulted every field to 0.0, so a missing field
silently became 0; here it is a 422 whose ``detail[].loc`` names the field.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["GDP_EXAMPLE", "GDP_FEATURES", "GDPGrowthInput"]

# Same names and order as the training data's columns.
GDP_FEATURES: tuple[str, ...] = (
    "gdp_per_capita",
    "unemployment_rate",
    "gdp_growth_rate_lag",
    "gdp_growth_rate_ma",
)

# The documented example (Swagger) and the sample row of tests and benchmarks.
GDP_EXAMPLE: dict[str, float] = {
    "gdp_per_capita": 50000.0,
    "unemployment_rate": 5.2,
    "gdp_growth_rate_lag": 2.1,
    "gdp_growth_rate_ma": 2.3,
}


class GDPGrowthInput(BaseModel):
    """One quarter's features."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        allow_inf_nan=False,
        # a fresh dict, typed as JSON for pydantic (a dict[str, float] is not a JsonDict to mypy)
        json_schema_extra={"examples": [{name: value for name, value in GDP_EXAMPLE.items()}]},
    )

    gdp_per_capita: float = Field(gt=0, le=1_000_000, description="real GDP per person, dollars")
    unemployment_rate: float = Field(ge=0, le=100, description="percent")
    gdp_growth_rate_lag: float = Field(ge=-100, le=100, description="previous quarter's annualized growth, %")
    gdp_growth_rate_ma: float = Field(
        ge=-100, le=100, description="mean annualized growth of the 4 previous quarters, %"
    )

    def features(self) -> dict[str, float]:
        """The feature values by name, in training order."""
        return {name: float(getattr(self, name)) for name in GDP_FEATURES}
