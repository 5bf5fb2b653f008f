"""The seedance-mock command: --help documents every option; the server starts, prints its URLs, answers."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mock_server import MockConfig
from mock_server.__main__ import banner, build_parser, check_args, config_from_args, main, options_table
from mock_server.config import CLI, NotAnOption, Option, options
from tests.support import http


def test_help_documents_every_option() -> None:
    text = build_parser().format_help()
    for option in ["--host", "--port", "--time-scale", "--queue-seconds", "--run-seconds", "--max-running",
                   "--max-queued", "--balance", "--rpm", "--api-key", "--journal-size", "--cache-dir",
                   "--media-ttl", "--max-body-mb", "--public-url", "--random-seed", "--quiet",
                   "--max-tasks", "--admin-token", "--callback-allow", "--callback-timeout", "--callback-retries",
                   "--callback-retry-seconds", "--callback-concurrency", "--callback-events", "--sync-timeout",
                   "--flex-queue-seconds", "--retention", "--cancelled-retention"]:  # fmt: skip
        assert option in text


@pytest.mark.parametrize("option", ["--sync-timeout", "--flex-queue-seconds", "--retention", "--cancelled-retention"])
@pytest.mark.parametrize("value", ["-1", "nan", "1e12"])
def test_timing_options_out_of_range_are_a_one_line_error(option: str, value: str, capsys) -> None:
    assert main([option, value]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and option in err


def test_timing_options_reach_the_config() -> None:
    args = build_parser().parse_args(["--sync-timeout", "5", "--flex-queue-seconds", "7", "--retention", "60",
                                      "--cancelled-retention", "30"])  # fmt: skip
    config = config_from_args(args)
    assert (config.sync_timeout_seconds, config.flex_queue_seconds) == (5.0, 7.0)
    assert (config.retention_seconds, config.cancelled_retention_seconds) == (60.0, 30.0)


def test_every_config_field_has_an_option() -> None:
    args = build_parser().parse_args(["--api-key", "sk-a", "--rpm", "5", "--time-scale", "0"])
    config = config_from_args(args)
    assert (config.api_keys, config.default_rpm, config.time_scale) == (("sk-a",), 5, 0.0)
    assert {f.name for f in dataclasses.fields(MockConfig)} - {"start_time"} <= {
        f.name for f in dataclasses.fields(config)
    }
    assert config == dataclasses.replace(MockConfig(), api_keys=("sk-a",), default_rpm=5, time_scale=0.0)


def test_server_starts_prints_base_urls_and_keys_and_logs_one_line_per_request(tmp_path) -> None:
    """The real command with a key list: the banner's URLs and keys, only those keys let in, one log line per
    request. (One server for both: each start of the command costs ~1 CPU-s.)"""
    argv = ["--port", "0", "--cache-dir", str(tmp_path), "--api-key", "sk-cli-one", "--api-key", "sk-cli-2"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        [sys.executable, "-m", "mock_server", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as proc:
        try:
            lines = [proc.stdout.readline() for _ in range(7)]
            match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", lines[0])
            assert match, lines[0]
            base = match.group(1)
            banner = "".join(lines[1:5])
            assert f'Ark(base_url="{base}/api/v3"' in banner and f"GPTPROTO_BASE_URL={base}" in banner
            keys = next(line for line in lines if line.lstrip().startswith("API keys"))
            assert "sk-cli-one, sk-cli-2" in keys and 'api_key="sk-cli-one"' in "".join(lines)
            assert http.get(base + "/_mock/health").json()["status"] == "ok"
            tasks = base + "/api/v3/contents/generations/tasks"
            assert http.get(tasks, headers={"Authorization": "sk-cli-2"}).status_code == 200
            assert http.get(tasks, headers={"Authorization": "sk-mock"}).status_code == 401
            deadline = time.monotonic() + 5
            line = ""
            while "/api/v3/contents/generations/tasks 200" not in line and time.monotonic() < deadline:
                line = proc.stderr.readline()
            assert "GET /api/v3/contents/generations/tasks 200" in line
        finally:
            proc.terminate()
            proc.wait(10)


def test_a_busy_port_is_a_one_line_error() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "mock_server", "--port", str(port)], capture_output=True, text=True, timeout=30
        )
    assert done.returncode == 1
    assert "cannot listen" in done.stderr and "Traceback" not in done.stderr


def test_callback_options_map_onto_the_config_and_bad_values_are_one_line_errors(
    capsys: pytest.CaptureFixture[str], never_serves: None
) -> None:
    args = build_parser().parse_args(
        ["--callback-allow", "http://127.0.0.1:*", "--callback-allow", "https://hooks.example/*",
         "--callback-timeout", "2.5", "--callback-retries", "0", "--callback-retry-seconds", "60",
         "--callback-concurrency", "4", "--callback-events", "succeeded, failed"]
    )  # fmt: skip
    config = config_from_args(args)
    assert config.callback_allow == ("http://127.0.0.1:*", "https://hooks.example/*")
    assert (config.callback_timeout, config.callback_retries, config.callback_retry_seconds) == (2.5, 0, 60.0)
    assert (config.callback_concurrency, config.callback_events) == (4, ("succeeded", "failed"))
    for bad in (["--callback-timeout", "0"], ["--callback-retries", "11"], ["--callback-retry-seconds", "-1"],
                ["--callback-concurrency", "0"], ["--callback-events", "queued,done"],
                ["--callback-allow", " "]):  # fmt: skip
        assert main(bad) == 2, bad  # the command's own entry point, without a new interpreter
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err and bad[0] in err, err
    # ... and the real command says the same, once, in its own process.
    done = subprocess.run([sys.executable, "-m", "mock_server", "--callback-retries", "11"],
                          capture_output=True, text=True, timeout=30)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert "--callback-retries" in done.stderr


# -- the command line is derived from MockConfig's field metadata (issue 11, point 6) ------------------------
ROOT = Path(__file__).resolve().parents[2]
OPTIONS = {opt.flag: (f, opt) for f, opt in options()}


def _actions() -> dict[str, object]:
    return {a.dest: a for a in build_parser()._actions if a.dest != "help"}


def test_every_field_has_exactly_one_option_and_every_option_a_field() -> None:
    actions = _actions()
    settable = set()
    for f in dataclasses.fields(MockConfig):
        how = f.metadata.get(CLI)
        assert isinstance(how, (Option, NotAnOption)), f"{f.name}: declare it with setting() or internal()"
        if isinstance(how, NotAnOption):
            assert how.reason and f.name not in actions
            continue
        settable.add(f.name)
        assert actions[f.name].option_strings == list(how.flags), f.name
    assert set(actions) == settable  # no option without a field
    flags = [flag for a in actions.values() for flag in a.option_strings]
    assert len(flags) == len(set(flags))
    assert {f.name for f in dataclasses.fields(MockConfig)} - settable == {"start_time"}


def test_no_option_means_every_field_keeps_its_default() -> None:
    assert config_from_args(build_parser().parse_args([])) == MockConfig()


def test_each_option_reaches_its_field() -> None:
    argv = ["--host", "::1", "--api-key", "sk-a", "--api-key", "sk-b", "--max-body-mb", "3", "--max-tasks", "0",
            "--quiet", "--cache-dir", "/tmp/m", "--callback-events", "", "--replay-ignore", "seed",
            "--callback-allow", "http://127.0.0.1:*", "--random-seed", "-7", "--upstream-timeout", "0.5"]  # fmt: skip
    config = config_from_args(build_parser().parse_args(argv))
    assert config == dataclasses.replace(
        MockConfig(), host="::1", api_keys=("sk-a", "sk-b"), max_body_bytes=3 * 2**20, max_tasks=None,
        log_requests=False, cache_dir=Path("/tmp/m"), callback_events=(), replay_ignore=("seed",),
        callback_allow=("http://127.0.0.1:*",), random_seed=-7, upstream_timeout=0.5,
    )  # fmt: skip


@pytest.fixture
def never_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    """main() must refuse before serving: a check that let a value through fails the test instead of hanging."""

    async def serve(*_args: object) -> None:
        raise AssertionError("the server started: the bad value was accepted")

    monkeypatch.setattr("mock_server.__main__.serve", serve)


def _out_of_range(opt: Option) -> list[str]:
    assert opt.bounds is not None
    low, high = opt.bounds
    number = opt.parse
    values = [str(number(low)) if opt.above_low else str(number(low) - 1), str(number(high) + 1)]
    if number is float:
        values += ["nan", "inf", "-inf"]
    return values


RANGED = [(flag, value) for flag, (_, opt) in OPTIONS.items() if opt.bounds for value in _out_of_range(opt)]


@pytest.mark.parametrize(("flag", "value"), RANGED, ids=[f"{f} {v}" for f, v in RANGED])
def test_every_range_is_applied_with_one_line_and_exit_2(flag: str, value: str, capsys, never_serves) -> None:
    assert main([f"{flag}={value}"]) == 2  # = : argparse would take "-inf" for an option
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"seedance-mock: {flag} must be ") and "Traceback" not in err


@pytest.mark.parametrize("flag", [flag for flag, (_, opt) in OPTIONS.items() if opt.bounds])
def test_the_ends_of_every_range_are_accepted(flag: str) -> None:
    opt = OPTIONS[flag][1]
    low, high = opt.bounds
    ends = [str(opt.parse(high))] + ([] if opt.above_low else [str(opt.parse(low))])
    for value in ends:
        assert check_args(build_parser().parse_args([f"{flag}={value}"])) is None, value


#: A value each checked option refuses (an option gaining a check must add one here).
REFUSED = {
    "--api-key": "sk bad",
    "--public-url": "mock.local/x?y",
    "--admin-token": "two words",
    "--callback-events": "queued,done",
    "--callback-allow": " ",
    "--upstream": "ftp://example.com",
}


def test_every_check_has_a_refused_value_here() -> None:
    assert set(REFUSED) == {flag for flag, (_, opt) in OPTIONS.items() if opt.check}


@pytest.mark.parametrize(("flag", "value"), REFUSED.items())
def test_every_check_is_applied_with_one_line_and_exit_2(flag: str, value: str, capsys, never_serves) -> None:
    assert main([flag, value]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"seedance-mock: {flag} ") and "Traceback" not in err


def test_a_huge_integer_is_a_range_error_not_a_traceback(capsys, never_serves) -> None:
    assert main(["--random-seed", "9" * 400]) == 2
    assert capsys.readouterr().err.startswith("seedance-mock: --random-seed must be from ")


def test_help_prints_each_default_once_and_no_none() -> None:
    for dest, action in _actions().items():
        opt = next(o for f, o in options() if f.name == dest)
        assert "default" not in opt.help.lower(), f"{opt.flag}: --help adds the default; do not write it"
        expected = 0 if opt.kind == "switch" else 1
        assert action.help.count("default") == expected, action.help
        assert "None" not in action.help and "%(default)" not in action.help
    text = " ".join(build_parser().format_help().split())
    assert text.count("default:") == sum(opt.kind != "switch" for _, opt in options())
    assert "(default: None)" not in text and "default: False" not in text
    assert "--port PORT port to bind (0 = any free port) (default: 8000; range 0 to 65535)" in text
    assert "(default: 64; range 1 to 4096)" in text  # --max-body-mb: in the command line's unit, MiB
    assert "(default: no limit; range 1 to 1000000)" in text  # --rpm


def test_readme_option_table_is_the_one_the_metadata_gives() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("\n", readme.index("<!-- options table:")) + 1
    table = readme[start : readme.index("<!-- end of options table -->")].strip()
    assert table == options_table(), "README's option table is stale; paste this:\n" + options_table()


# -- the banner shows the keys that work (issue 11, point 7) ---------------------------------------------------
def test_banner_without_a_key_list_says_any_key_works() -> None:
    text = banner("http://127.0.0.1:1")
    assert 'api_key="sk-mock"' in text and "any well-formed key works" in text
    assert "listening on http://127.0.0.1:1" in text and "/_mock/ui" in text and "/openapi.json" in text


def test_banner_with_a_key_list_shows_those_keys() -> None:
    text = banner("http://127.0.0.1:1", ("sk-one", "sk-two"))
    assert "sk-mock" not in text and "any well-formed" not in text
    assert 'api_key="sk-one"' in text and "GPTPROTO_API_KEY=sk-one" in text
    assert "sk-one, sk-two" in text and "401" in text
    many = banner("http://127.0.0.1:1", tuple(f"sk-k{i}" for i in range(9)))
    assert "sk-k4 and 4 more" in many and "sk-k5" not in many
