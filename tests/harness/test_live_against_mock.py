"""The live suite pointed at the mock: a separate ``pytest --live`` run whose "real API" is a MockServer.

It must find no drift (the mock keeps the contracts); a fault that makes the mock answer off-contract must
show up as drift in the end-of-run summary and fail the run; and without a key the run says why, once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from client import ENV_API_KEY, ENV_BASE_URL
from mock_server.testing import MockServer
from tests.harness.live import NO_KEY_REASON

ROOT = Path(__file__).resolve().parents[2]
LIVE_MODULE = "tests/harness/test_live.py"


@pytest.fixture
def target(tmp_path: Path) -> Iterator[MockServer]:
    """A fast mock standing in for the real API."""
    with MockServer(queue_seconds=0.05, run_seconds=0.25, cache_dir=tmp_path) as server:
        yield server


def run_live(*args: str, base_url: str | None, key: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in (ENV_API_KEY, ENV_BASE_URL)}
    env["GPTPROTO_LIVE_POLL_INTERVAL"] = "0.1"
    if base_url is not None:
        env[ENV_BASE_URL] = base_url
    if key is not None:
        env[ENV_API_KEY] = key
    # -n 0: the drift summary is printed by this one process (pyproject's addopts say -n auto).
    command = [sys.executable, "-m", "pytest", LIVE_MODULE, "--live", "-p", "no:cacheprovider", "-q", "-rs", "-n", "0"]
    command += args
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_live_suite_against_the_mock_finds_no_drift(target: MockServer) -> None:
    """Every free check and two paid generations (one per family) meet the contracts on the mock."""
    run = run_live("--live-budget", "2", base_url=target.base_url, key="sk-anything")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "live contract drift" in run.stdout
    assert "no drift: " in run.stdout and "skipped" not in run.stdout, run.stdout
    paid = [e for e in target.journal(method="POST") if e["status"] == 200]
    assert len(paid) == 2, paid  # the budget: exactly two tasks were created


def test_an_off_contract_answer_is_reported_as_drift(target: MockServer) -> None:
    """A mock made to answer 503 for unknown ids: the run fails and the summary names the drift."""
    target.add_fault(method="GET", path="/api/v3/contents/generations/tasks/*", status=503, times=None)
    run = run_live("-k", "unknown_task_id", base_url=target.base_url, key="sk-anything")
    assert run.returncode == 1, run.stdout + run.stderr
    summary = run.stdout.split("live contract drift")[1]
    assert "GET /api/v3/contents/generations/tasks/cgt-" in summary
    assert "[HTTP status]  expected HTTP 404; got 503" in summary, summary


def test_without_a_key_the_live_run_says_why_once() -> None:
    run = run_live(base_url=None, key=None)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count(NO_KEY_REASON) == 1, run.stdout
    assert "1 skipped" in run.stdout
