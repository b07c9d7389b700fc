"""``python -m echo_service``: run the echo service (configured from the environment)."""

from __future__ import annotations

from servicekit import run_service

from .app import create_app
from .settings import EchoSettings


def main() -> None:
    settings = EchoSettings()
    run_service(create_app(settings), settings)


if __name__ == "__main__":
    main()
