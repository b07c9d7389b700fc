"""``python -m model_service``: serve the model named by ``GDP_MODEL_NAME`` (settings from the env)."""

from __future__ import annotations

from servicekit import run_service

from .app import create_app
from .settings import ModelSettings


def main() -> None:
    settings = ModelSettings()
    run_service(create_app(settings), settings)


if __name__ == "__main__":
    main()
