"""``seedance-mock`` / ``python -m mock_server``: run the mock server."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import math
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from mock_server.config import MockConfig

_DEFAULTS = MockConfig()

DESCRIPTION = """\
A local fake of GPTProto's Seedance video-generation API: the Ark tasks family (/api/v3/contents/...) and
the predictions family (/api/v3/bytedance/..., /api/v3/predictions/...), with the real lifecycle, upstream
errors, real MP4 files, and a control plane under /_mock/ (see README). With --upstream it is a validation
proxy in front of the real API; `seedance-mock drift-report` prints the drift a running proxy found."""


def build_parser() -> argparse.ArgumentParser:
    """The command line, one option per MockConfig field."""
    p = argparse.ArgumentParser(
        prog="seedance-mock",
        description=DESCRIPTION,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--host", default=_DEFAULTS.host, help="interface to bind")
    p.add_argument("--port", type=int, default=_DEFAULTS.port, help="port to bind (0 = any free port)")
    p.add_argument(
        "--time-scale",
        type=float,
        default=_DEFAULTS.time_scale,
        help="mock seconds per real second; 0 freezes time (only POST /_mock/clock/advance moves it)",
    )
    p.add_argument(
        "--queue-seconds", type=float, default=_DEFAULTS.queue_seconds, help="mock seconds a task waits queued"
    )
    p.add_argument(
        "--run-seconds", type=float, default=_DEFAULTS.run_seconds, help="mock seconds a task spends running"
    )
    p.add_argument(
        "--max-running",
        type=int,
        default=_DEFAULTS.max_running_per_key,
        help="tasks one API key may have running at once; the rest wait queued",
    )
    p.add_argument(
        "--max-queued",
        type=int,
        default=_DEFAULTS.max_queued_per_key,
        help="queued tasks one key may have before creates answer 429 QuotaExceeded",
    )
    p.add_argument(
        "--balance",
        type=int,
        default=_DEFAULTS.default_balance,
        help="starting balance of every API key, in completion tokens",
    )
    p.add_argument(
        "--rpm", type=int, default=None, help="requests per minute per API key (default: no limit)"
    )
    p.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help="accept only these keys (repeatable); by default any well-formed key is accepted",
    )
    p.add_argument(
        "--max-tasks",
        type=int,
        default=_DEFAULTS.max_tasks,
        help="stored tasks beyond this make the oldest finished ones forgotten (0 = keep every task)",
    )
    p.add_argument(
        "--journal-size", type=int, default=_DEFAULTS.journal_size, help="requests kept by GET /_mock/requests"
    )
    p.add_argument(
        "--journal-mb",
        type=float,
        default=_DEFAULTS.journal_mb,
        help="and about this many MiB at most (0.1-4096): bodies are kept summed up, a data: URI as its "
        "media type, size and sha256",
    )
    p.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="where generated MP4/PNG files are cached (default: the user's cache dir, seedance-mock/media)",
    )
    p.add_argument(
        "--cache-max-mb",
        type=int,
        default=_DEFAULTS.cache_max_mb,
        help="largest total size of the media cache in MiB (1-1048576); least recently used files go first",
    )
    p.add_argument(
        "--media-ttl",
        type=float,
        default=_DEFAULTS.media_ttl_seconds,
        help="mock seconds a video URL stays valid after its task finished",
    )
    p.add_argument(
        "--max-body-mb", type=int, default=_DEFAULTS.max_body_bytes // 2**20, help="largest request body (MiB)"
    )
    p.add_argument(
        "--public-url",
        default=None,
        help="origin to use in the URLs the mock hands out (default: the origin each request came in on)",
    )
    p.add_argument(
        "--random-seed", type=int, default=None, help="seed task ids and random generation seeds (reproducible)"
    )
    p.add_argument(
        "--admin-token",
        default=None,
        metavar="TOKEN",
        help="require the header X-Admin-Token: TOKEN on every /_mock/* request (except the dashboard page "
        "GET /_mock/ui and the callback receiver /_mock/sink/*)",
    )
    p.add_argument(
        "--sync-timeout",
        type=float,
        default=_DEFAULTS.sync_timeout_seconds,
        help="mock seconds a predictions enable_sync_mode submit waits before answering the gateway's sync "
        "timeout (data.code 5004) while the task goes on",
    )
    p.add_argument(
        "--flex-queue-seconds",
        type=float,
        default=_DEFAULTS.flex_queue_seconds,
        help="extra mock seconds a service_tier flex task waits queued",
    )
    p.add_argument(
        "--retention",
        type=float,
        default=_DEFAULTS.retention_seconds,
        help="mock seconds a task stays visible after its creation (upstream: 7 days)",
    )
    p.add_argument(
        "--cancelled-retention",
        type=float,
        default=_DEFAULTS.cancelled_retention_seconds,
        help="mock seconds a cancelled task stays visible after its cancellation (upstream: 24 h)",
    )
    p.add_argument("--quiet", action="store_true", help="no per-request log lines")
    _add_callback_options(p)
    proxy = p.add_argument_group("validation proxy, recording and replay (issue 14; see README)")
    proxy.add_argument(
        "--upstream",
        metavar="URL",
        default=None,
        help="forward every /api/ request to URL (e.g. https://gptproto.com), check both sides against the "
        "contracts, report drift at GET /_mock/drift",
    )
    proxy.add_argument(
        "--upstream-timeout",
        type=float,
        default=_DEFAULTS.upstream_timeout,
        metavar="S",
        help="seconds to wait for the upstream's answer before answering 502",
    )
    proxy.add_argument(
        "--record", type=Path, default=None, metavar="DIR", help="with --upstream: write each exchange, per task"
    )
    proxy.add_argument(
        "--replay", type=Path, default=None, metavar="DIR", help="answer creates and reads from recordings in DIR"
    )
    proxy.add_argument(
        "--replay-strict", action="store_true", help="with --replay: unrecorded requests are 404 (no simulation)"
    )
    proxy.add_argument(
        "--replay-ignore",
        action="append",
        default=[],
        metavar="FIELD",
        help="with --replay: a create-body field (dotted path, repeatable) that may differ from the recording",
    )
    return p


_TEN_YEARS = 10 * 365 * 86400
#: The valid range of every numeric option, by argparse dest: (option, lowest, highest) [FIDELITY §12].
RANGES: dict[str, tuple[str, float, float]] = {
    "port": ("--port", 0, 65535),
    "time_scale": ("--time-scale", 0, 1_000_000),  # the same bound as PUT /_mock/clock
    "queue_seconds": ("--queue-seconds", 0, _TEN_YEARS),
    "run_seconds": ("--run-seconds", 0, _TEN_YEARS),
    "max_running": ("--max-running", 1, 1_000_000),  # 0 would mean no task ever runs
    "max_queued": ("--max-queued", 1, 1_000_000),
    "balance": ("--balance", 0, 10**18),
    "rpm": ("--rpm", 1, 1_000_000),
    "max_tasks": ("--max-tasks", 0, 100_000_000),  # 0 = keep every task
    "journal_size": ("--journal-size", 1, 1_000_000),
    "media_ttl": ("--media-ttl", 1, _TEN_YEARS),
    "max_body_mb": ("--max-body-mb", 1, 4096),  # aiohttp takes 0 as "unlimited": never what was meant
    "random_seed": ("--random-seed", -(2**63), 2**64 - 1),
    "sync_timeout": ("--sync-timeout", 0, 1e9),
    "flex_queue_seconds": ("--flex-queue-seconds", 0, 1e9),
    "retention": ("--retention", 0, 1e9),
    "cancelled_retention": ("--cancelled-retention", 0, 1e9),
}
_TOKEN = re.compile(r"[\x21-\x7e]{1,256}")  # what an HTTP header can carry unchanged
_PUBLIC_URL = re.compile(r"https?://[^/?#\s]+(/[^?#\s]*)?")


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def check_args(args: argparse.Namespace) -> str | None:
    """The first option outside its valid range, as a one-line message; None when all are valid."""
    for dest, (option, low, high) in RANGES.items():
        value = getattr(args, dest, None)
        if value is None:
            continue
        if not (math.isfinite(value) and low <= value <= high):
            return f"{option} must be from {_number(low)} to {_number(high)}, not {_number(value)}"
    if args.admin_token is not None and not _TOKEN.fullmatch(args.admin_token):
        return "--admin-token must be 1 to 256 printable ASCII characters without spaces"
    if args.public_url is not None and not _PUBLIC_URL.fullmatch(args.public_url):
        return f"--public-url must be an http(s) origin such as http://mock.local:8000, not {args.public_url!r}"
    for key in args.api_keys or ():
        if not re.fullmatch(r"[A-Za-z0-9._\-]{1,256}", key):
            return f"--api-key {key!r} is not a well-formed key (letters, digits, '.', '_', '-')"
    return None


def exposure_warning(host: str, admin_token: str | None) -> str | None:
    """What binding to ``host`` exposes, when it is not a loopback address (None when it is)."""
    if host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host.strip("[]")).is_loopback:
            return None
    except ValueError:
        pass  # a host name: it may resolve to anything
    guard = (
        "the control plane needs X-Admin-Token"
        if admin_token
        else "the control plane is open to all of them: set --admin-token"
    )
    return (
        f"seedance-mock: warning: listening on {host or 'every interface'} exposes the mock to every machine "
        "that can reach it: its control plane (/_mock/: reset, fault rules, key settings, the request journal "
        f"with prompts and images), every task and every video URL; {guard}"
    )


#: Valid ranges (inclusive) of the memory and disk bounds: a value outside is refused at start.
BOUNDS_RANGES = {"journal_mb": (0.1, 4096.0), "cache_max_mb": (1, 2**20)}


def check_bounds(args: argparse.Namespace) -> str | None:
    """A one-line complaint about the first bound outside its range, else None."""
    for name, (low, high) in BOUNDS_RANGES.items():
        value = getattr(args, name, None)
        if value is None:
            continue
        if not (low <= value <= high):  # NaN fails this too
            return f"--{name.replace('_', '-')} must be from {low} to {high}, not {value}"
    return None


def _add_callback_options(p: argparse.ArgumentParser) -> None:
    """Options for callbacks and webhooks (docs/FIDELITY.md §8)."""
    g = p.add_argument_group("callbacks and webhooks")
    g.add_argument(
        "--callback-allow",
        action="append",
        metavar="PATTERN",
        help="call back only URLs matching this shell-style pattern, e.g. 'http://127.0.0.1:*' (repeatable); "
        "by default any http(s) URL; a refused URL is a 400 at create",
    )
    g.add_argument(
        "--callback-timeout",
        type=float,
        default=_DEFAULTS.callback_timeout,
        help="real seconds (0.1-300) a receiver has to answer one delivery",
    )
    g.add_argument(
        "--callback-retries",
        type=int,
        default=_DEFAULTS.callback_retries,
        help="extra attempts (0-10) for an unanswered succeeded/failed callback or a webhook",
    )
    g.add_argument(
        "--callback-retry-seconds",
        type=float,
        default=_DEFAULTS.callback_retry_seconds,
        help="mock seconds (0-86400) between attempts, counted from the status change",
    )
    g.add_argument(
        "--callback-concurrency",
        type=int,
        default=_DEFAULTS.callback_concurrency,
        help="delivery attempts (1-1000) in flight at once",
    )
    g.add_argument(
        "--callback-events",
        default=",".join(_DEFAULTS.callback_events),
        help="comma-separated statuses an Ark callback reports",
    )


def callback_args_error(args: argparse.Namespace) -> str | None:
    """A one-line complaint about an out-of-range callback option, or None."""
    from mock_server.callbacks import CALLBACK_EVENTS

    if not 0.1 <= args.callback_timeout <= 300:
        return "--callback-timeout must be from 0.1 to 300 seconds"
    if not 0 <= args.callback_retries <= 10:
        return "--callback-retries must be from 0 to 10"
    if not 0 <= args.callback_retry_seconds <= 86400:
        return "--callback-retry-seconds must be from 0 to 86400"
    if not 1 <= args.callback_concurrency <= 1000:
        return "--callback-concurrency must be from 1 to 1000"
    events = [e.strip() for e in args.callback_events.split(",") if e.strip()]
    unknown = [e for e in events if e not in CALLBACK_EVENTS]
    if unknown:
        return f"--callback-events: unknown status {unknown[0]!r} (choose from {', '.join(CALLBACK_EVENTS)})"
    for pattern in args.callback_allow or ():
        if not pattern.strip():
            return "--callback-allow needs a non-empty pattern"
    return None


def config_from_args(args: argparse.Namespace) -> MockConfig:
    """The MockConfig an argument namespace describes."""
    return MockConfig(
        host=args.host,
        port=args.port,
        time_scale=args.time_scale,
        queue_seconds=args.queue_seconds,
        run_seconds=args.run_seconds,
        max_running_per_key=args.max_running,
        max_queued_per_key=args.max_queued,
        default_balance=args.balance,
        default_rpm=args.rpm,
        api_keys=tuple(args.api_keys) if args.api_keys else None,
        max_tasks=args.max_tasks or None,
        journal_size=args.journal_size,
        journal_mb=args.journal_mb,
        cache_dir=args.cache_dir,
        cache_max_mb=args.cache_max_mb,
        media_ttl_seconds=args.media_ttl,
        max_body_bytes=args.max_body_mb * 2**20,
        public_url=args.public_url,
        random_seed=args.random_seed,
        log_requests=not args.quiet,
        admin_token=args.admin_token,
        callback_allow=tuple(args.callback_allow) if args.callback_allow else None,
        callback_timeout=args.callback_timeout,
        callback_retries=args.callback_retries,
        callback_retry_seconds=args.callback_retry_seconds,
        callback_concurrency=args.callback_concurrency,
        callback_events=tuple(e.strip() for e in args.callback_events.split(",") if e.strip()),
        sync_timeout_seconds=args.sync_timeout,
        flex_queue_seconds=args.flex_queue_seconds,
        retention_seconds=args.retention,
        cancelled_retention_seconds=args.cancelled_retention,
        upstream=args.upstream,
        upstream_timeout=args.upstream_timeout,
        record_dir=args.record,
        replay_dir=args.replay,
        replay_strict=args.replay_strict,
        replay_ignore=tuple(args.replay_ignore),
    )


def proxy_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the proxy / record / replay options, or None."""
    from mock_server.proxy import check_upstream
    from mock_server.recording import load

    if args.upstream is not None:
        try:
            check_upstream(args.upstream)
        except ValueError as exc:
            return str(exc)
    if not 0 < args.upstream_timeout <= 3600:
        return "--upstream-timeout must be in (0, 3600] seconds"
    if args.record is not None:
        if args.upstream is None:
            return "--record needs --upstream (it records proxied traffic)"
        if args.record.exists() and not args.record.is_dir():
            return f"--record {args.record}: not a directory"
    if args.replay is not None:
        if args.upstream is not None:
            return "--replay answers offline: it cannot be combined with --upstream"
        if not args.replay.is_dir():
            return f"--replay {args.replay}: no such directory"
        try:
            load(args.replay)
        except ValueError as exc:
            return f"--replay: {exc}"
    elif args.replay_strict or args.replay_ignore:
        return "--replay-strict and --replay-ignore need --replay DIR"
    return None


def banner(base: str) -> str:
    """What to paste into an SDK or a shell to use the mock at ``base``."""
    return "\n".join(
        [
            f"seedance-mock listening on {base}",
            f"  Ark SDK        Ark(base_url=\"{base}/api/v3\", api_key=\"sk-mock\")",
            f"  wavespeed SDK  wavespeed.Client(base_url=\"{base}\", api_key=\"sk-mock\")",
            f"  seedance CLI   export GPTPROTO_BASE_URL={base} GPTPROTO_API_KEY=sk-mock",
            f"  control plane  {base}/_mock/health   (OpenAPI: {base}/openapi.json)",
            f"  dashboard      {base}/_mock/ui",
        ]
    )


async def serve(config: MockConfig, ready: asyncio.Event | None = None) -> None:
    """Run the server until cancelled."""
    from aiohttp import web

    from mock_server import logline
    from mock_server.app import create_app

    runner = web.AppRunner(create_app(config), access_log=None, handle_signals=True)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    await site.start()
    port = runner.addresses[0][1]
    host = config.host if ":" not in config.host else f"[{config.host}]"
    print(banner(f"http://{host}:{port}"), flush=True)
    warning = exposure_warning(config.host, config.admin_token)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    if config.upstream:
        print(f"  proxy          /api/ → {config.upstream}   drift: http://{host}:{port}/_mock/drift", flush=True)
    if config.replay_dir:
        print(f"  replay         {config.replay_dir}{' (strict)' if config.replay_strict else ''}", flush=True)
    if ready is not None:
        ready.set()
    handler = logline.installed()
    if handler is not None:
        handler.attach(asyncio.get_running_loop())  # log lines go out in batches from here on
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        if handler is not None:
            handler.detach()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``seedance-mock`` (and of ``seedance-mock drift-report``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["drift-report"]:
        from mock_server.drift_report import main as drift_report

        return drift_report(argv[1:])
    args = build_parser().parse_args(argv)
    problem = check_args(args)
    if problem:
        print(f"seedance-mock: {problem}", file=sys.stderr)
        return 2
    problem = check_bounds(args) or callback_args_error(args) or proxy_problem(args)
    if problem:
        print(f"seedance-mock: {problem}", file=sys.stderr)
        return 2
    from mock_server import eventloop, logline

    logline.install(logging.INFO)  # "%(asctime)s %(message)s", written in batches [issue 17]
    try:
        eventloop.run(serve(config_from_args(args)))  # uvloop where installed [issue 17]
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"seedance-mock: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
