"""Every knob of the mock server, in one frozen dataclass (the CLI maps its options 1:1 onto it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class MockConfig:
    """Settings for :func:`mock_server.create_app`. Defaults give a task that finishes in about 4 s."""

    host: str = "127.0.0.1"
    port: int = 8000
    #: Mock seconds per real second; 0 freezes real time (only /_mock/clock/advance moves the clock).
    time_scale: float = 1.0
    #: Mock seconds a task waits in ``queued`` before it may start.
    queue_seconds: float = 1.0
    #: Mock seconds a task spends ``running``.
    run_seconds: float = 3.0
    #: Upstream runs at most this many tasks per API key at once; the rest wait queued.
    max_running_per_key: int = 10
    #: Of those, at most this many at 4k: upstream's 4k concurrency is 1 where the rest is 10 [FIDELITY §7].
    max_running_4k_per_key: int = 1
    #: More queued tasks than this for one key → 429 QuotaExceeded [upstream].
    max_queued_per_key: int = 120
    #: Starting balance of every key, in completion tokens (generous: ~9 000 1080p 12 s videos).
    default_balance: int = 10**12
    #: Requests per minute per key; None = no limit (the default).
    default_rpm: int | None = None
    #: When set, only these keys (plus keys registered with PUT /_mock/keys/{key}) authenticate.
    api_keys: tuple[str, ...] | None = None
    #: Stored tasks beyond this make the oldest finished ones forgotten (GET → 404); None = keep all.
    #: At ~1.2 kB a task the default bounds the store near 250 MB.
    max_tasks: int | None = 200_000
    #: Requests kept in the journal (GET /_mock/requests); older entries are dropped.
    journal_size: int = 1000
    #: And at most about this many MiB: bodies are kept summed up (a data: URI as its type, size and
    #: sha256; long strings cut), so the bound holds even for 60 creates of 8 MB images [issue 10].
    journal_mb: float = 4.0
    #: Where generated MP4/PNG files are cached; None = the user's cache dir.
    cache_dir: Path | None = None
    #: Largest total size of the media cache (MiB); least recently used files are deleted beyond it.
    cache_max_mb: int = 1024
    #: Mock seconds a media URL stays valid after the task finished (upstream signs URLs for 24 h).
    media_ttl_seconds: float = 86400.0
    #: Largest accepted request body (bytes).
    max_body_bytes: int = 64 * 1024 * 1024
    #: Absolute origin used in URLs the mock hands out; None = the origin the request came in on.
    public_url: str | None = None
    #: Seed for task ids and random generation seeds; None = fresh randomness each run.
    random_seed: int | None = None
    #: Print one line per request on stderr.
    log_requests: bool = True
    #: Start the mock clock at this Unix time instead of now (reproducible timestamps and ids).
    start_time: float | None = None
    #: When set, every /_mock/* request must carry ``X-Admin-Token: <this>`` (else 401), except the
    #: dashboard page (GET /_mock/ui) and the callback receiver (/_mock/sink/*) [FIDELITY §13].
    admin_token: str | None = None
    # -- callbacks and webhooks [FIDELITY §8] --
    #: Real seconds one delivery attempt may take before it counts as unacknowledged (upstream: 5 s).
    callback_timeout: float = 5.0
    #: Extra attempts for an unacknowledged succeeded/failed callback or a webhook (upstream: 3).
    callback_retries: int = 3
    #: Mock seconds between attempts, counted from the transition (attempt n is due n × this after it).
    callback_retry_seconds: float = 5.0
    #: Delivery attempts in flight at once, all receivers together.
    callback_concurrency: int = 16
    #: Statuses an Ark callback reports (upstream lists queued … expired; cancelled is our choice).
    callback_events: tuple[str, ...] = ("queued", "running", "succeeded", "failed", "expired", "cancelled")
    #: Shell-style URL patterns the mock may call back; None = any http(s) URL.
    callback_allow: tuple[str, ...] | None = None
    #: Mock seconds a predictions ``enable_sync_mode`` submit waits; a task needing longer is answered as the
    #: gateway's sync timeout (data.code 5004) and goes on [FIDELITY §3].
    sync_timeout_seconds: float = 600.0
    #: Extra mock seconds a flex-tier task waits queued (no latency guarantee upstream) [FIDELITY §2].
    flex_queue_seconds: float = 600.0
    #: Tasks are visible (GET, list) this long after creation, then gone [FIDELITY §9: 7 days].
    retention_seconds: float = 7 * 86400.0
    #: A cancelled task is deleted this long after it was cancelled [FIDELITY §9: 24 h].
    cancelled_retention_seconds: float = 86400.0
    #: Validation proxy [issue 14]: forward every /api/ request to this origin and check both sides.
    upstream: str | None = None
    #: Seconds the proxy waits for the upstream's whole answer before it answers 502.
    upstream_timeout: float = 120.0
    #: Write every proxied exchange here, one file per task (needs ``upstream``).
    record_dir: Path | None = None
    #: Answer creates and reads from the recordings in this directory (offline).
    replay_dir: Path | None = None
    #: With ``replay_dir``: a request no recording answers is a 404 instead of the simulated mock.
    replay_strict: bool = False
    #: Create-body fields (dotted paths) a replay ignores when matching a recorded create.
    replay_ignore: tuple[str, ...] = ()
    #: Keep tasks, keys, fault rules, the clock, pending callbacks and the journal in this SQLite file, so a
    #: restart or a kill -9 loses nothing acknowledged [issue 15]; None = in memory only.
    state: Path | None = None
