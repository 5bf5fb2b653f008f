"""The seedance-mock command: --help documents every option; the server starts, prints its URLs, answers."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import time

import httpx
import pytest

from mock_server import MockConfig
from mock_server.__main__ import build_parser, config_from_args


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
    from mock_server.__main__ import main

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


def test_server_starts_prints_base_urls_and_logs_one_line_per_request(tmp_path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        [sys.executable, "-m", "mock_server", "--port", "0", "--cache-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    ) as proc:  # fmt: skip
        try:
            first = proc.stdout.readline()
            match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", first)
            assert match, first
            base = match.group(1)
            banner = "".join(proc.stdout.readline() for _ in range(4))
            assert f'Ark(base_url="{base}/api/v3"' in banner and f"GPTPROTO_BASE_URL={base}" in banner
            assert httpx.get(base + "/_mock/health").json()["status"] == "ok"
            httpx.get(base + "/api/v3/contents/generations/tasks", headers={"Authorization": "sk-cli-test-1"})
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


def test_callback_options_map_onto_the_config_and_bad_values_are_one_line_errors() -> None:
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
        done = subprocess.run([sys.executable, "-m", "mock_server", *bad], capture_output=True, text=True, timeout=30)
        assert done.returncode == 2, bad
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
        assert bad[0] in done.stderr
