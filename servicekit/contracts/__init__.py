"""API contracts two services share, defined once (the seed duplicated them, and they drifted)."""

from __future__ import annotations

from .gdp import GDP_EXAMPLE, GDP_FEATURES, GDPGrowthInput

__all__ = ["GDP_EXAMPLE", "GDP_FEATURES", "GDPGrowthInput"]
