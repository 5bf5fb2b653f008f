"""Retry and polling policy as pure functions; the send loops only ask and sleep.

Reads (GET) are retried on 408, 409, 429, 5xx and on connection errors. Anything that changes state (the create
POSTs, DELETE) is retried only on 429: that answer proves the request was not accepted, while a 5xx or a
timeout may hide a task that was created (and would be paid for) twice.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Mapping

__all__ = [
    "INITIAL_RETRY_DELAY",
    "MAX_RETRIES",
    "MAX_RETRY_AFTER",
    "MAX_RETRY_DELAY",
    "POLL_BACKOFF",
    "POLL_INTERVAL",
    "POLL_MAX_INTERVAL",
    "RETRYABLE_READ_STATUSES",
    "RETRY_JITTER",
    "next_poll_interval",
    "parse_retry_after",
    "retry_delay",
    "should_retry",
]

#: Retries after the first attempt (so at most 3 attempts).
MAX_RETRIES = 2
#: First backoff in seconds; doubles per attempt up to MAX_RETRY_DELAY.
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
#: Up to this fraction is taken off a backoff at random, so clients do not retry in lockstep.
RETRY_JITTER = 0.25
#: A Retry-After longer than this is not honoured (the backoff is used instead).
MAX_RETRY_AFTER = 60.0
#: Statuses on which a read is retried.
RETRYABLE_READ_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: Polling in ``wait``: the first interval, its growth factor and its ceiling (seconds).
POLL_INTERVAL = 2.0
POLL_BACKOFF = 1.5
POLL_MAX_INTERVAL = 15.0


def parse_retry_after(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), or None when unusable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - now()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def retry_delay(attempt: int, retry_after: float | None = None, *, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait before retry number ``attempt + 1`` (``attempt`` counts from 0).

    A server hint (``Retry-After``) up to ``MAX_RETRY_AFTER`` wins; otherwise capped exponential backoff,
    ``INITIAL_RETRY_DELAY × 2^attempt`` capped at ``MAX_RETRY_DELAY``, minus up to ``RETRY_JITTER`` of it.
    """
    if retry_after is not None and 0 <= retry_after <= MAX_RETRY_AFTER:
        return retry_after
    exponent = min(max(0, attempt), 64)  # the cap is reached long before; 2.0 ** 1024 would overflow a float
    base = min(INITIAL_RETRY_DELAY * 2.0**exponent, MAX_RETRY_DELAY)
    return base * (1 - RETRY_JITTER * rand())


def should_retry(
    method: str,
    attempt: int,
    *,
    status: int | None = None,
    connection_error: bool = False,
    headers: Mapping[str, str] | None = None,
    max_retries: int = MAX_RETRIES,
) -> bool:
    """Whether a request that failed on ``attempt`` (from 0) is sent again.

    Give ``status`` for an HTTP answer or ``connection_error=True`` when there was none.
    """
    if attempt >= max_retries:
        return False
    if headers is not None:
        hint = {k.lower(): v for k, v in headers.items()}.get("x-should-retry")
        # Upstream's servers can veto a retry [FIDELITY §2: "x-should-retry: false" stops the Ark SDK].
        if hint is not None and hint.strip().lower() == "false":
            return False
    if method.upper() in _SAFE_METHODS:
        return connection_error or (status is not None and (status in RETRYABLE_READ_STATUSES or status >= 500))
    # A write: only a 429 proves nothing was accepted.
    return status == 429


def next_poll_interval(current: float, *, factor: float = POLL_BACKOFF, ceiling: float = POLL_MAX_INTERVAL) -> float:
    """The poll interval after ``current``: times ``factor``, at most ``ceiling``, never below ``current``."""
    return max(current, min(current * factor, ceiling))
