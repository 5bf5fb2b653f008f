"""The live suite pointed at the mock: a ``pytest --live`` run whose "real API" is a MockServer.

It must find no drift (the mock keeps the contracts); a fault that makes the mock answer off-contract must
show up as drift in the end-of-run summary and fail the run; and without a key the run says why, once.

The run that finds no drift is the command a user types, in a process of its own (the key and base URL in
its environment, the whole module, two paid generations). The other two read the same end-of-run output of
a run made in this process (pytester): a second interpreter would only start pytest again.
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
# -n 0: the drift summary is printed by this one process (pyproject's addopts say -n auto).
LIVE_ARGS = ("--live", "-p", "no:cacheprovider", "-q", "-rs", "-n", "0")


@pytest.fixture
def target(tmp_path: Path) -> Iterator[MockServer]:
    """A fast mock standing in for the real API."""
    with MockServer(queue_seconds=0.05, run_seconds=0.25, cache_dir=tmp_path) as server:
        yield server


def run_live(*args: str, base_url: str | None, key: str | None) -> subprocess.CompletedProcess[str]:
    """``pytest tests/harness/test_live.py --live`` in a process of its own, with the key and base URL (or
    neither) in its environment."""
    env = {k: v for k, v in os.environ.items() if k not in (ENV_API_KEY, ENV_BASE_URL)}
    env["GPTPROTO_LIVE_POLL_INTERVAL"] = "0.1"
    if base_url is not None:
        env[ENV_BASE_URL] = base_url
    if key is not None:
        env[ENV_API_KEY] = key
    command = [sys.executable, "-m", "pytest", LIVE_MODULE, *LIVE_ARGS, *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def run_live_here(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *args: str, base_url: str | None, key: str | None
) -> pytest.RunResult:
    """The same run as :func:`run_live`, made in this process (the environment patched for its length)."""
    for name, value in ((ENV_BASE_URL, base_url), (ENV_API_KEY, key)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    return pytester.runpytest_inprocess(str(ROOT / LIVE_MODULE), *LIVE_ARGS, *args)


def test_live_suite_against_the_mock_finds_no_drift(target: MockServer) -> None:
    """Every free check and two paid generations (one per family) meet the contracts on the mock."""
    run = run_live("--live-budget", "2", base_url=target.base_url, key="sk-anything")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "live contract drift" in run.stdout
    assert "no drift: " in run.stdout and "skipped" not in run.stdout, run.stdout
    paid = [e for e in target.journal(method="POST") if e["status"] == 200]
    assert len(paid) == 2, paid  # the budget: exactly two tasks were created


def test_an_off_contract_answer_is_reported_as_drift(
    target: MockServer, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mock made to answer 503 for unknown ids: the run fails and the summary names the drift."""
    target.add_fault(method="GET", path="/api/v3/contents/generations/tasks/*", status=503, times=None)
    run = run_live_here(pytester, monkeypatch, "-k", "unknown_task_id", base_url=target.base_url, key="sk-anything")
    stdout = run.stdout.str()
    assert run.ret == 1, stdout + run.stderr.str()
    summary = stdout.split("live contract drift")[1]
    assert "GET /api/v3/contents/generations/tasks/cgt-" in summary
    assert "[HTTP status]  expected HTTP 404; got 503" in summary, summary


def test_without_a_key_the_live_run_says_why_once(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    run = run_live_here(pytester, monkeypatch, base_url=None, key=None)
    stdout = run.stdout.str()
    assert run.ret == 0, stdout + run.stderr.str()
    assert stdout.count(NO_KEY_REASON) == 1, stdout
    assert "1 skipped" in stdout
