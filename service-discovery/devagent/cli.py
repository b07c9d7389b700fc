"""Command line: ``python -m devagent --port 8500 [--host 127.0.0.1] [--node NAME] [--log-level info]``."""

from __future__ import annotations

import argparse
import logging
import os
import socket
from collections.abc import Sequence
from typing import TYPE_CHECKING

import uvicorn

from servicekit.durations import DurationError, parse_duration

from .config import AgentConfig

if TYPE_CHECKING:
    from .http import DevAgentApp

__all__ = ["build_parser", "config_from_args", "main"]


class _Server(uvicorn.Server):
    """Answers open blocking queries when it stops (they would wait out the graceful timeout
    and end as cancelled tasks, a traceback per query in the log of every Ctrl-C)."""

    def __init__(self, config: uvicorn.Config, app: DevAgentApp) -> None:
        super().__init__(config)
        self.agent_app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.agent_app.agent.hub.close()
        await super().shutdown(sockets)


def _env(name: str, default: str) -> str:
    return os.environ.get(f"DEVAGENT_{name}", default)


def _duration(text: str) -> float:
    """A Go duration (``30s``, ``100ms``) or plain seconds (``0.5``)."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return parse_duration(text) / 1e9
    except DurationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _flag(name: str, default: bool = False) -> bool:
    value = _env(name, "").lower()
    if not value:
        return default
    return value in ("1", "true", "yes", "on")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m devagent", description="Consul-compatible single-node dev agent"
    )
    p.add_argument("--host", default=_env("HOST", "127.0.0.1"), help="bind address (0.0.0.0 in containers)")
    p.add_argument("--port", type=int, default=int(_env("PORT", "8500")), help="HTTP API port")
    p.add_argument("--node", default=_env("NODE", socket.gethostname() or "devagent"), help="node name")
    p.add_argument("--datacenter", default=_env("DATACENTER", "dc1"))
    p.add_argument("--advertise", default=_env("ADVERTISE", "127.0.0.1"), help="node address in the catalog")
    p.add_argument(
        "--log-level",
        default=_env("LOG_LEVEL", "info"),
        choices=["trace", "debug", "info", "warning", "warn", "error"],
    )
    p.add_argument(
        "--check-update-interval",
        type=_duration,
        default=_env("CHECK_UPDATE_INTERVAL", "5m"),
        help="delay before output-only check changes reach the catalog (0 = immediately)",
    )
    p.add_argument("--check-reap-interval", type=_duration, default=_env("CHECK_REAP_INTERVAL", "30s"))
    p.add_argument(
        "--deregister-min",
        type=_duration,
        default=_env("DEREGISTER_MIN", "1m"),
        help="minimum DeregisterCriticalServiceAfter",
    )
    p.add_argument("--min-check-interval", type=_duration, default=_env("MIN_CHECK_INTERVAL", "1s"))
    p.add_argument(
        "--immediate-first-check",
        action="store_true",
        default=_flag("IMMEDIATE_FIRST_CHECK"),
        help="run interval checks at once instead of after a random part of the interval",
    )
    p.add_argument("--default-query-time", type=_duration, default=_env("DEFAULT_QUERY_TIME", "5m"))
    p.add_argument("--max-query-time", type=_duration, default=_env("MAX_QUERY_TIME", "10m"))
    p.add_argument("--enable-script-checks", action="store_true", default=_flag("ENABLE_SCRIPT_CHECKS"))
    p.add_argument(
        "--kv-key-validation",
        action="store_true",
        default=_flag("KV_KEY_VALIDATION"),
        help="reject KV keys like very recent Consul releases do",
    )
    p.add_argument(
        "--session-ttl-min",
        type=_duration,
        default=_env("SESSION_TTL_MIN", "10s"),
        help="smallest session TTL accepted (Consul's session_ttl_min)",
    )
    p.add_argument(
        "--prometheus-retention-time",
        type=_duration,
        default=_env("PROMETHEUS_RETENTION_TIME", "0"),
        help="serve /v1/agent/metrics?format=prometheus (Consul answers 415 while this is 0)",
    )
    p.add_argument(
        "--acl-enabled",
        action="store_true",
        default=_flag("ACL_ENABLED"),
        help="enable ACLs (default-deny; tokens from X-Consul-Token, Authorization: Bearer or ?token=)",
    )
    p.add_argument(
        "--acl-default-policy",
        choices=["allow", "deny"],
        default=_env("ACL_DEFAULT_POLICY", "deny"),
        help="what ACLs answer where no rule applies",
    )
    p.add_argument(
        "--acl-initial-management-token",
        default=_env("ACL_INITIAL_MANAGEMENT_TOKEN", ""),
        help="secret of the management token created at start (Consul's acl.tokens.initial_management)",
    )
    p.add_argument(
        "--pretty",
        action=argparse.BooleanOptionalAction,
        default=_flag("PRETTY", default=True),
        help="indent every JSON body like `consul agent -dev` does (default); --no-pretty sends compact "
        "JSON like a non-dev agent (half the bytes; ?pretty still indents one response)",
    )
    return p


def config_from_args(argv: Sequence[str] | None = None) -> AgentConfig:
    args = build_parser().parse_args(argv)

    # argparse does not run `type` on string defaults taken from the environment for non-str types
    def dur(value: object) -> float:
        return value if isinstance(value, float) else _duration(str(value))

    return AgentConfig(
        host=args.host,
        port=args.port,
        node_name=args.node,
        datacenter=args.datacenter,
        advertise_addr=args.advertise,
        log_level="warning" if args.log_level == "warn" else args.log_level,
        check_update_interval=dur(args.check_update_interval),
        check_reap_interval=dur(args.check_reap_interval),
        deregister_min=dur(args.deregister_min),
        min_check_interval=dur(args.min_check_interval),
        immediate_first_check=args.immediate_first_check,
        default_query_time=dur(args.default_query_time),
        max_query_time=dur(args.max_query_time),
        enable_script_checks=args.enable_script_checks,
        kv_key_validation=args.kv_key_validation,
        session_ttl_min=dur(args.session_ttl_min),
        prometheus_retention_time=dur(args.prometheus_retention_time),
        acl_enabled=args.acl_enabled,
        acl_default_policy=args.acl_default_policy,
        acl_initial_management_token=args.acl_initial_management_token,
        pretty=args.pretty,
    )


def main(argv: Sequence[str] | None = None) -> None:
    config = config_from_args(argv)
    level = "debug" if config.log_level == "trace" else config.log_level
    logging.basicConfig(level=level.upper(), format="%(asctime)s [%(levelname)s] %(name)s: %(message)s")
    # httpx logs every check probe at INFO (one line per service every interval); the log
    # should show what happens, so probes are only shown at debug level.
    if level != "debug":
        logging.getLogger("httpx").setLevel(logging.WARNING)
    from .http import DevAgentApp

    app = DevAgentApp(config)
    logging.getLogger("devagent").info(
        "devagent listening on http://%s:%d (node %s, dc %s)",
        config.host,
        config.port,
        config.node_name,
        config.datacenter,
    )
    server_config = uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        log_level=level,
        access_log=level == "debug",
        lifespan="on",
        server_header=False,
        # "auto" = httptools + uvloop when installed (uvicorn[standard]); pure-Python fallbacks otherwise
        http="auto",
        loop="auto",
        timeout_graceful_shutdown=2,
    )
    server = _Server(server_config, app)

    def leave() -> None:  # PUT /v1/agent/leave: a graceful stop, as `consul leave` does
        server.should_exit = True

    app.agent.on_leave = leave
    server.run()
