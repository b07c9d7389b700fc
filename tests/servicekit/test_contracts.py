"""servicekit.contracts: the GDP input both the gateway and the model service validate with."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from servicekit.contracts import GDP_FEATURES, GDPGrowthInput

ROW = {
    "gdp_per_capita": 42000,
    "unemployment_rate": 5.2,
    "gdp_growth_rate_lag": 2.1,
    "gdp_growth_rate_ma": 2.3,
}


def test_features_in_training_order() -> None:
    assert list(GDPGrowthInput(**ROW).features()) == list(GDP_FEATURES)
    assert GDPGrowthInput(**ROW).features()["gdp_per_capita"] == 42000.0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("gdp_per_capita", 0),
        ("gdp_per_capita", "42000"),
        ("unemployment_rate", 101),
        ("unemployment_rate", True),
        ("gdp_growth_rate_lag", math.nan),
        ("gdp_growth_rate_ma", math.inf),
        ("gdp_growth_rate_ma", None),
    ],
)
def test_each_bad_value_names_its_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as info:
        GDPGrowthInput(**{**ROW, field: value})
    assert {err["loc"][0] for err in info.value.errors()} == {field}


def test_missing_and_extra_fields_are_named() -> None:
    row = dict(ROW)
    del row["unemployment_rate"]
    with pytest.raises(ValidationError, match="unemployment_rate"):
        GDPGrowthInput(**row)
    with pytest.raises(ValidationError, match="inflation"):
        GDPGrowthInput(**ROW, inflation=2.0)
