"""``seedance-mock`` / ``python -m mock_server``: run the mock server.

Every option is derived from a :class:`~mock_server.config.MockConfig` field's metadata (its flag, how a
value is read, its range and help text): see that module's docstring to add one.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import ipaddress
import logging
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mock_server.config import MockConfig, Option, options

DESCRIPTION = """\
A local fake of GPTProto's Seedance video-generation API: the Ark tasks family (/api/v3/contents/...) and
the predictions family (/api/v3/bytedance/..., /api/v3/predictions/...), with the real lifecycle, upstream
errors, real MP4 files, and a control plane under /_mock/ (see README). With --upstream it is a validation
proxy in front of the real API; `seedance-mock drift-report` prints the drift a running proxy found."""


def _number(value: float) -> str:
    """A number as a person writes it: 8000, 0.1, 1000000000 (not 1e+09), -9223372036854775808."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def cli_default(f: dataclasses.Field[Any], opt: Option) -> Any:
    """The command line's default of a field's option (None for a repeatable one: argparse appends to it)."""
    if opt.kind == "repeat" or f.default is None:
        return None
    return opt.to_cli(f.default) if opt.to_cli else f.default


def range_text(opt: Option) -> str | None:
    """An option's valid range in words ("0 to 65535"), or None when it has none."""
    if opt.bounds is None:
        return None
    low, high = (_number(end) for end in opt.bounds)
    return f"above {low} and at most {high}" if opt.above_low else f"{low} to {high}"


def default_text(f: dataclasses.Field[Any], opt: Option) -> str | None:
    """How ``--help`` and the README word an option's default; None for a switch (it is off)."""
    if opt.kind == "switch":
        return None
    if opt.default_text is not None:
        return opt.default_text
    default = cli_default(f, opt)
    if default is None:
        raise ValueError(f"{opt.flag}: a default of None needs default_text= saying what it means")
    return _number(default) if isinstance(default, (int, float)) else str(default)


def help_text(f: dataclasses.Field[Any], opt: Option) -> str:
    """An option's ``--help`` text: what it does, then its default and range, each written once."""
    facts = [f"default: {text}" for text in [default_text(f, opt)] if text is not None]
    facts += [f"range {text}" for text in [range_text(opt)] if text is not None]
    facts += ["repeatable"] if opt.kind == "repeat" else []
    text = f"{opt.help} ({'; '.join(facts)})" if facts else opt.help
    return text.replace("%", "%%")  # argparse %-formats help texts


#: ``--help`` sections after the main one: their titles, by the start of their options' flags.
SECTIONS = {
    ("--callback-",): "callbacks and webhooks",
    ("--upstream", "--record", "--replay"): "validation proxy, recording and replay (issue 14; see README)",
}


def section(opt: Option) -> str | None:
    """The title of the ``--help`` section that lists ``opt``; None = the main one."""
    for starts, title in SECTIONS.items():
        if opt.flag.startswith(starts):
            return title
    return None


def _metavar(opt: Option) -> str:
    if opt.metavar:
        return opt.metavar
    return "DIR" if opt.parse is Path else opt.flag.lstrip("-").replace("-", "_").upper()


def build_parser() -> argparse.ArgumentParser:
    """The command line: one option per MockConfig field, built from the field's metadata."""
    p = argparse.ArgumentParser(prog="seedance-mock", description=DESCRIPTION)
    groups: dict[str | None, Any] = {None: p}
    for f, opt in options():
        title = section(opt)
        if title not in groups:
            groups[title] = p.add_argument_group(title)
        how: dict[str, Any] = {"dest": f.name, "help": help_text(f, opt)}
        if opt.kind == "switch":
            if cli_default(f, opt) is not False:
                raise ValueError(f"{opt.flag}: a switch turns something on, so its command-line default is False")
            how["action"] = "store_true"
        else:
            how["type"] = opt.parse
            how["metavar"] = _metavar(opt)
            how["default"] = cli_default(f, opt)
            if opt.kind == "repeat":
                how["action"] = "append"
        groups[title].add_argument(*opt.flags, **how)
    return p


def option_problem(opt: Option, value: Any) -> str | None:
    """What is wrong with an option's command-line value, as a one-line message; None when it is valid."""
    if value is None:
        return None
    for item in value if isinstance(value, (list, tuple)) else [value]:
        if opt.bounds is not None:
            low, high = opt.bounds
            finite = isinstance(item, int) or math.isfinite(item)  # a huge int cannot become a float
            above = item > low if opt.above_low else item >= low
            if not (finite and above and item <= high):  # NaN fails this too
                return f"{opt.flag} must be {'' if opt.above_low else 'from '}{range_text(opt)}, not {_number(item)}"
        problem = opt.check(item) if opt.check else None
        if problem:
            return f"{opt.flag} {problem}"
    return None


def check_args(args: argparse.Namespace) -> str | None:
    """The first option outside its valid range, as a one-line message; None when all are valid."""
    for f, opt in options():
        problem = option_problem(opt, getattr(args, f.name, None))
        if problem:
            return problem
    return None


def config_from_args(args: argparse.Namespace) -> MockConfig:
    """The MockConfig an argument namespace describes."""
    values: dict[str, Any] = {}
    for f, opt in options():
        value = getattr(args, f.name)
        if opt.kind == "repeat":
            value = tuple(value) if value else f.default
        if value is not None and opt.to_config:
            value = opt.to_config(value)
        values[f.name] = value
    return MockConfig(**values)


def _flag(name: str) -> str:
    """The flag that sets the MockConfig field ``name``."""
    return next(opt.flag for f, opt in options() if f.name == name)


def config_problem(config: MockConfig) -> str | None:
    """What is wrong with options taken together (e.g. --record without --upstream), or None."""
    from mock_server.recording import load

    record, replay, upstream = _flag("record_dir"), _flag("replay_dir"), _flag("upstream")
    if config.record_dir is not None:
        if config.upstream is None:
            return f"{record} needs {upstream} (it records proxied traffic)"
        if config.record_dir.exists() and not config.record_dir.is_dir():
            return f"{record} {config.record_dir}: not a directory"
    if config.replay_dir is not None:
        if config.upstream is not None:
            return f"{replay} answers offline: it cannot be combined with {upstream}"
        if not config.replay_dir.is_dir():
            return f"{replay} {config.replay_dir}: no such directory"
        try:
            load(config.replay_dir)
        except ValueError as exc:
            return f"{replay}: {exc}"
    elif config.replay_strict or config.replay_ignore:
        return f"{_flag('replay_strict')} and {_flag('replay_ignore')} need {replay} DIR"
    return None


def _markdown(text: str) -> str:
    """``text`` as plain text in a Markdown table cell (``|``, ``*`` and ``_`` escaped outside code)."""
    if text.startswith("`"):
        return text
    return text.replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")


def options_table() -> str:
    """README's table of the server's options (tests/mock_server/test_cli.py keeps the README equal to it)."""
    rows = ["| option | what it does | default | range |", "|---|---|---|---|"]
    for f, opt in options():
        value = "" if opt.kind == "switch" else f" {_metavar(opt)}"
        cells = [
            ", ".join(f"`{flag}{value}`" for flag in opt.flags),
            opt.help + (" (repeatable)" if opt.kind == "repeat" else ""),
            default_text(f, opt) or "off",
            range_text(opt) or "",
        ]
        rows.append("| " + " | ".join(_markdown(cell) for cell in cells) + " |")
    return "\n".join(rows)


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


#: Keys the banner lists at most; the rest are counted.
BANNER_KEYS = 5


def banner(base: str, api_keys: Sequence[str] | None = None) -> str:
    """What to paste into an SDK or a shell to use the mock at ``base``, with a key it accepts.

    ``api_keys``: the keys the mock accepts (``--api-key``); None = any well-formed key.
    """
    key = api_keys[0] if api_keys else "sk-mock"
    if api_keys:
        shown = ", ".join(api_keys[:BANNER_KEYS])
        more = f" and {len(api_keys) - BANNER_KEYS} more" if len(api_keys) > BANNER_KEYS else ""
        keys = f"{shown}{more} (and keys added with PUT /_mock/keys/{{key}}); any other key gets 401"
    else:
        keys = "any well-formed key works (letters, digits, '.', '_', '-'), e.g. sk-mock"
    return "\n".join(
        [
            f"seedance-mock listening on {base}",
            f'  Ark SDK        Ark(base_url="{base}/api/v3", api_key="{key}")',
            f'  wavespeed SDK  wavespeed.Client(base_url="{base}", api_key="{key}")',
            f"  seedance CLI   export GPTPROTO_BASE_URL={base} GPTPROTO_API_KEY={key}",
            f"  API keys       {keys}",
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
    print(banner(f"http://{host}:{port}", config.api_keys), flush=True)
    warning = exposure_warning(config.host, config.admin_token)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    if config.upstream:
        print(f"  proxy          /api/ → {config.upstream}   drift: http://{host}:{port}/_mock/drift", flush=True)
    if config.state is not None:
        print(f"  state file     {config.state}", flush=True)
    if config.replay_dir:
        print(f"  replay         {config.replay_dir}{' (strict)' if config.replay_strict else ''}", flush=True)
    if ready is not None:
        ready.set()
    handler = logline.installed()
    if handler is not None:
        handler.attach(asyncio.get_running_loop())  # log lines go out in batches from here on
    # What start-up made (modules, contracts, the app: most of the heap) lives as long as the process: the
    # cyclic collector need not walk it again on every full collection under load [issue 17].
    gc.freeze()
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
    if problem is None:
        config = config_from_args(args)
        problem = config_problem(config)
    if problem is not None:
        print(f"seedance-mock: {problem}", file=sys.stderr)
        return 2
    from mock_server import eventloop, logline
    from mock_server.durable import StateFileError

    logline.install(logging.INFO)  # "%(asctime)s %(message)s", written in batches [issue 17]
    try:
        eventloop.run(serve(config))  # uvloop where installed [issue 17]
    except KeyboardInterrupt:
        pass
    except StateFileError as exc:  # not a mock state, damaged, or a newer schema: the file is left as it is
        print(f"seedance-mock: {str(exc).replace(chr(10), ' ').replace(chr(13), ' ')}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"seedance-mock: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
