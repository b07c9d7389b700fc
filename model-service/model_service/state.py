"""What the app knows about its model: nothing yet (starting), or the loaded predictor."""

from __future__ import annotations

from servicekit import HealthReport

from .predictor import Predictor

__all__ = ["ModelState"]


class ModelState:
    """Shared by the routes and the readiness probe; set once by the start-up hook."""

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name
        self.predictor: Predictor | None = None

    def readiness(self) -> HealthReport:
        """``starting`` (503 on /health) until the model is loaded, then ``ok``."""
        if self.predictor is None:
            return HealthReport("starting", {"model": self.model_name, "loaded": False})
        return HealthReport("ok", {"model": self.model_name, "loaded": True})

    def liveness_info(self) -> dict[str, object]:
        return {"model": self.model_name}
