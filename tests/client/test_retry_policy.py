"""The retry and polling policy, tested directly: no client, no server."""

from __future__ import annotations

import email.utils
import re
from pathlib import Path

import pytest

import client._retry
from client._retry import (
    INITIAL_RETRY_DELAY,
    MAX_RETRIES,
    MAX_RETRY_AFTER,
    MAX_RETRY_DELAY,
    POLL_MAX_INTERVAL,
    RETRY_JITTER,
    RETRYABLE_READ_STATUSES,
    next_poll_interval,
    parse_retry_after,
    retry_delay,
    should_retry,
)


@pytest.mark.parametrize("attempt", range(8))
def test_backoff_is_exponential_capped_and_jittered(attempt: int) -> None:
    base = min(INITIAL_RETRY_DELAY * 2**attempt, MAX_RETRY_DELAY)
    assert retry_delay(attempt, rand=lambda: 0.0) == base
    assert retry_delay(attempt, rand=lambda: 1.0) == pytest.approx(base * (1 - RETRY_JITTER))
    assert base * (1 - RETRY_JITTER) <= retry_delay(attempt) <= base


def test_backoff_grows_then_stops_growing() -> None:
    delays = [retry_delay(a, rand=lambda: 0.0) for a in range(10)]
    assert delays == sorted(delays)
    assert delays[0] == INITIAL_RETRY_DELAY
    assert delays[-1] == MAX_RETRY_DELAY


@pytest.mark.parametrize("attempt", [64, 1024, 10**6])
def test_backoff_stays_capped_however_many_retries_a_caller_allows(attempt: int) -> None:
    # 0.5 * 2**1024 does not fit in a float: a client built with a huge max_retries used to crash here.
    assert retry_delay(attempt, rand=lambda: 0.0) == MAX_RETRY_DELAY


def test_retry_after_is_honoured_exactly() -> None:
    assert retry_delay(0, 3.0) == 3.0
    assert retry_delay(5, 0.0) == 0.0


def test_retry_after_beyond_the_cap_falls_back_to_backoff() -> None:
    assert retry_delay(0, MAX_RETRY_AFTER + 1, rand=lambda: 0.0) == INITIAL_RETRY_DELAY


@pytest.mark.parametrize(
    ("header", "expected"),
    [("2", 2.0), (" 1.5 ", 1.5), ("-3", 0.0), ("soon", None), (None, None), ("nan", None)],
)
def test_parse_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date() -> None:
    when = email.utils.formatdate(1_000_030, usegmt=True)
    assert parse_retry_after(when, now=lambda: 1_000_000.0) == pytest.approx(30.0)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504, 599])
def test_reads_retry_on_429_and_5xx(status: int) -> None:
    assert should_retry("GET", 0, status=status)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_reads_do_not_retry_client_errors(status: int) -> None:
    assert not should_retry("GET", 0, status=status)


def test_reads_retry_connection_errors() -> None:
    assert should_retry("GET", 0, connection_error=True)


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_writes_retry_only_on_429(method: str) -> None:
    assert should_retry(method, 0, status=429)
    for status in (408, 500, 502, 503, 504):
        assert not should_retry(method, 0, status=status), status
    # A timeout or a reset may hide an accepted create: never sent twice.
    assert not should_retry(method, 0, connection_error=True)


def test_retries_stop_after_max_retries() -> None:
    assert should_retry("GET", MAX_RETRIES - 1, status=503)
    assert not should_retry("GET", MAX_RETRIES, status=503)
    assert not should_retry("GET", 0, status=503, max_retries=0)


def test_server_can_veto_a_retry() -> None:
    assert not should_retry("GET", 0, status=503, headers={"X-Should-Retry": "false"})
    assert should_retry("GET", 0, status=503, headers={"x-should-retry": "true"})


def test_poll_interval_backs_off_to_a_ceiling() -> None:
    seen = [1.0]
    for _ in range(20):
        seen.append(next_poll_interval(seen[-1]))
    assert seen == sorted(seen)
    assert seen[1] > seen[0]
    assert seen[-1] == POLL_MAX_INTERVAL
    assert next_poll_interval(60.0) == 60.0  # a caller's long interval is never shortened


def test_the_docs_name_every_retried_read_status() -> None:
    # The module docstring and README's client bullet must say what RETRYABLE_READ_STATUSES does.
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    bullet = next(line for line in readme.splitlines() if line.startswith("- Reads are retried on"))
    for status in sorted(s for s in RETRYABLE_READ_STATUSES if s < 500):
        assert re.search(rf"\b{status}\b", client._retry.__doc__ or ""), status
        assert re.search(rf"\b{status}\b", bullet), status
    for status in range(500, 600):
        assert should_retry("GET", 0, status=status)
    assert "5xx" in (client._retry.__doc__ or "") and "5xx" in bullet
