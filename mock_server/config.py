"""Every knob of the mock server, in one frozen dataclass, and the command line derived from it.

Each field carries in its ``metadata`` how ``seedance-mock`` sets it: :func:`option` gives its flag(s), how
a command-line value is read, its valid range (or a check) and a help text saying what it does; a field
only Python may set is marked :func:`not_an_option` with the reason. ``mock_server/__main__.py`` builds
every argparse option, its range check (bad value → one line, exit 2), its ``--help`` line and the
README's option table from this metadata, so a field cannot have an option missing nor an option a field.

How to add a server option:

1. Add the field below with its default and a ``#:`` comment saying what it means, e.g. ::

       #: Seconds between two saves of the state file.
       save_seconds: float = field(
           default=5.0,
           metadata=option("--save-seconds", float, low=0.1, high=3600, help="real seconds between saves"),
       )

   ``help`` says what the option does; do not write the default or the range in it (``--help`` adds
   them from the field's default and ``low``/``high``; ``default_text`` words a default such as None).
   A flag with no value is ``kind="switch"``; a repeatable one ``kind="repeat"`` (the field gets a
   tuple); ``to_config`` / ``to_cli`` convert when the command line counts in other units than the
   field (``--max-body-mb`` sets ``max_body_bytes``); ``check`` refuses values no range describes.
2. Use ``config.<field>`` where it takes effect.
3. Update README's option table: ``tests/mock_server/test_cli.py`` fails with the new table to paste
   (``python -c "from mock_server.__main__ import options_table; print(options_table())"``).

Checks that involve two options (``--record`` needs ``--upstream``) live in ``__main__.config_problem``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

#: What each metadata entry is kept under in a field's ``metadata``.
CLI = "cli"


@dataclass(frozen=True)
class Option:
    """How the command line sets one :class:`MockConfig` field (see the module docstring)."""

    #: The flag first, then any aliases.
    flags: tuple[str, ...]
    #: What the option does (no default, no range: ``--help`` adds those).
    help: str
    #: Reads one command-line value (an argparse ``type``); unused by a switch.
    parse: Callable[[str], Any] = str
    #: ``value``: ``--flag V``; ``switch``: ``--flag`` alone (True); ``repeat``: ``--flag V`` any number of
    #: times (the field gets a tuple, or its default when none is given).
    kind: Literal["value", "switch", "repeat"] = "value"
    #: Valid range of a number, inclusive (in the command line's units).
    low: float | None = None
    high: float | None = None
    #: ``low`` itself is refused (the range is open at the bottom).
    above_low: bool = False
    #: Refuses one value no range describes: returns what is wrong with it ("must be …"), else None.
    check: Callable[[Any], str | None] | None = None
    #: The command line's value → the field's value (default: unchanged).
    to_config: Callable[[Any], Any] | None = None
    #: The field's default → the command line's (default: unchanged).
    to_cli: Callable[[Any], Any] | None = None
    #: How ``--help`` words the default when the value itself would not say it (e.g. None = no limit).
    default_text: str | None = None
    metavar: str | None = None
    #: The ``--help`` section; None = the main one.
    group: str | None = None

    @property
    def flag(self) -> str:
        """The option's name (its first flag)."""
        return self.flags[0]


@dataclass(frozen=True)
class NotAnOption:
    """Marks a field the command line does not set, and says why."""

    reason: str


def option(*flags: str, help: str, parse: Callable[[str], Any] = str, **how: Any) -> Mapping[str, Any]:
    """A field's metadata: the command line sets it with ``flags`` (see :class:`Option`)."""
    return {CLI: Option(flags=flags, help=help, parse=parse, **how)}


def not_an_option(reason: str) -> Mapping[str, Any]:
    """A field's metadata: only Python sets it, for ``reason``."""
    return {CLI: NotAnOption(reason)}


def options() -> Iterator[tuple[dataclasses.Field[Any], Option]]:
    """Every field the command line sets, with its option, in field order."""
    for f in dataclasses.fields(MockConfig):
        how = f.metadata.get(CLI)
        if isinstance(how, Option):
            yield f, how


# -- the checks and conversions the options below name -------------------------------------------------
_TEN_YEARS = 10 * 365 * 86400
_TOKEN = re.compile(r"[\x21-\x7e]{1,256}")  # what an HTTP header can carry unchanged
_PUBLIC_URL = re.compile(r"https?://[^/?#\s]+(/[^?#\s]*)?")
_MIB = 2**20


def _api_key(key: str) -> str | None:
    from mock_server.accounts import valid_key  # imported here: config.py is imported before the rest

    return None if valid_key(key) else f"{key!r} is not a well-formed key (letters, digits, '.', '_', '-')"


def _admin_token(token: str) -> str | None:
    return None if _TOKEN.fullmatch(token) else "must be 1 to 256 printable ASCII characters without spaces"


def _public_url(url: str) -> str | None:
    if _PUBLIC_URL.fullmatch(url):
        return None
    return f"must be an http(s) origin such as http://mock.local:8000, not {url!r}"


def _callback_event(event: str) -> str | None:
    from mock_server.callbacks import CALLBACK_EVENTS

    if event in CALLBACK_EVENTS:
        return None
    return f"has an unknown status {event!r} (choose from {', '.join(CALLBACK_EVENTS)})"


def _pattern(pattern: str) -> str | None:
    return None if pattern.strip() else "needs a non-empty pattern"


def _upstream(url: str) -> str | None:
    from mock_server.proxy import check_upstream

    try:
        check_upstream(url)
    except ValueError as exc:
        return str(exc).removeprefix("--upstream ")  # its messages name the option already
    return None


def _words(text: str) -> tuple[str, ...]:
    """A comma-separated list, blanks dropped."""
    return tuple(word.strip() for word in text.split(",") if word.strip())


def _zero_is_none(value: int) -> int | None:
    return value or None


def _mib_to_bytes(mib: int) -> int:
    return mib * _MIB


def _bytes_to_mib(size: int) -> int:
    return size // _MIB


def _negate(value: bool) -> bool:
    return not value


_CALLBACKS = "callbacks and webhooks"
_PROXY = "validation proxy, recording and replay (issue 14; see README)"


@dataclass(frozen=True)
class MockConfig:
    """Settings for :func:`mock_server.create_app`. Defaults give a task that finishes in about 4 s."""

    host: str = field(
        default="127.0.0.1",
        metadata=option("--host", help="interface to bind; beyond loopback a warning says what that exposes"),
    )
    port: int = field(
        default=8000, metadata=option("--port", parse=int, low=0, high=65535, help="port to bind (0 = any free port)")
    )
    #: Mock seconds per real second; 0 freezes real time (only /_mock/clock/advance moves the clock).
    time_scale: float = field(
        default=1.0,
        metadata=option(
            "--time-scale",
            parse=float,
            low=0,
            high=1_000_000,  # the same bound as PUT /_mock/clock
            help="mock seconds per real second; 0 freezes time (only POST /_mock/clock/advance moves it)",
        ),
    )
    #: Mock seconds a task waits in ``queued`` before it may start.
    queue_seconds: float = field(
        default=1.0,
        metadata=option(
            "--queue-seconds", parse=float, low=0, high=_TEN_YEARS, help="mock seconds a task waits queued"
        ),
    )
    #: Mock seconds a task spends ``running``.
    run_seconds: float = field(
        default=3.0,
        metadata=option(
            "--run-seconds", parse=float, low=0, high=_TEN_YEARS, help="mock seconds a task spends running"
        ),
    )
    #: Upstream runs at most this many tasks per API key at once; the rest wait queued.
    max_running_per_key: int = field(
        default=10,
        metadata=option(
            "--max-running",
            parse=int,
            low=1,  # 0 would mean no task ever runs
            high=1_000_000,
            help="tasks one API key may have running at once; the rest wait queued",
        ),
    )
    #: More queued tasks than this for one key → 429 QuotaExceeded [upstream].
    max_queued_per_key: int = field(
        default=120,
        metadata=option(
            "--max-queued",
            parse=int,
            low=1,
            high=1_000_000,
            help="queued tasks one key may have before creates answer 429 QuotaExceeded",
        ),
    )
    #: Starting balance of every key, in completion tokens (generous: ~9 000 1080p 12 s videos).
    default_balance: int = field(
        default=10**12,
        metadata=option(
            "--balance", parse=int, low=0, high=10**18, help="starting balance of every API key, in completion tokens"
        ),
    )
    #: Requests per minute per key; None = no limit (the default).
    default_rpm: int | None = field(
        default=None,
        metadata=option(
            "--rpm", parse=int, low=1, high=1_000_000, default_text="no limit", help="requests per minute per API key"
        ),
    )
    #: When set, only these keys (plus keys registered with PUT /_mock/keys/{key}) authenticate.
    api_keys: tuple[str, ...] | None = field(
        default=None,
        metadata=option(
            "--api-key",
            kind="repeat",
            metavar="KEY",
            check=_api_key,
            default_text="any well-formed key",
            help="accept only this key (repeatable) and keys added with PUT /_mock/keys/{key}; others get 401",
        ),
    )
    #: Stored tasks beyond this make the oldest finished ones forgotten (GET → 404); None = keep all.
    #: At ~1.2 kB a task the default bounds the store near 250 MB.
    max_tasks: int | None = field(
        default=200_000,
        metadata=option(
            "--max-tasks",
            parse=int,
            low=0,
            high=100_000_000,
            to_config=_zero_is_none,
            help="stored tasks beyond this make the oldest finished ones forgotten (0 = keep every task)",
        ),
    )
    #: Requests kept in the journal (GET /_mock/requests); older entries are dropped.
    journal_size: int = field(
        default=1000,
        metadata=option(
            "--journal-size", parse=int, low=1, high=1_000_000, help="requests kept by GET /_mock/requests"
        ),
    )
    #: And at most about this many MiB: bodies are kept summed up (a data: URI as its type, size and
    #: sha256; long strings cut), so the bound holds even for 60 creates of 8 MB images [issue 10].
    journal_mb: float = field(
        default=4.0,
        metadata=option(
            "--journal-mb",
            parse=float,
            low=0.1,
            high=4096,
            help="and about this many MiB at most: bodies are kept summed up, a data: URI as its media type, "
            "size and sha256",
        ),
    )
    #: Where generated MP4/PNG files are cached; None = the user's cache dir.
    cache_dir: Path | None = field(
        default=None,
        metadata=option(
            "--cache-dir",
            parse=Path,
            default_text="the user's cache dir, seedance-mock/media",
            help="where generated MP4/PNG files are cached",
        ),
    )
    #: Largest total size of the media cache (MiB); least recently used files are deleted beyond it.
    cache_max_mb: int = field(
        default=1024,
        metadata=option(
            "--cache-max-mb",
            parse=int,
            low=1,
            high=_MIB,
            help="largest total size of the media cache in MiB; least recently used files go first",
        ),
    )
    #: Mock seconds a media URL stays valid after the task finished (upstream signs URLs for 24 h).
    media_ttl_seconds: float = field(
        default=86400.0,
        metadata=option(
            "--media-ttl",
            parse=float,
            low=1,
            high=_TEN_YEARS,
            help="mock seconds a video URL stays valid after its task finished",
        ),
    )
    #: Largest accepted request body (bytes).
    max_body_bytes: int = field(
        default=64 * _MIB,
        metadata=option(
            "--max-body-mb",
            parse=int,
            low=1,
            high=4096,  # aiohttp takes 0 as "unlimited": never what was meant
            to_config=_mib_to_bytes,
            to_cli=_bytes_to_mib,
            help="largest request body, in MiB",
        ),
    )
    #: Absolute origin used in URLs the mock hands out; None = the origin the request came in on.
    public_url: str | None = field(
        default=None,
        metadata=option(
            "--public-url",
            check=_public_url,
            default_text="the origin each request came in on",
            help="origin to use in the URLs the mock hands out",
        ),
    )
    #: Seed for task ids and random generation seeds; None = fresh randomness each run.
    random_seed: int | None = field(
        default=None,
        metadata=option(
            "--random-seed",
            parse=int,
            low=-(2**63),
            high=2**64 - 1,
            default_text="fresh randomness each run",
            help="seed task ids and random generation seeds (reproducible)",
        ),
    )
    #: Print one line per request on stderr.
    log_requests: bool = field(
        default=True,
        metadata=option(
            "--quiet", kind="switch", to_config=_negate, to_cli=_negate, help="no per-request log lines on stderr"
        ),
    )
    #: Start the mock clock at this Unix time instead of now (reproducible timestamps and ids).
    start_time: float | None = field(
        default=None, metadata=not_an_option("for tests and MockServer; a server on the command line runs now")
    )
    #: When set, every /_mock/* request must carry ``X-Admin-Token: <this>`` (else 401), except the
    #: dashboard page (GET /_mock/ui) and the callback receiver (/_mock/sink/*) [FIDELITY §13].
    admin_token: str | None = field(
        default=None,
        metadata=option(
            "--admin-token",
            metavar="TOKEN",
            check=_admin_token,
            default_text="none: the control plane needs no token",
            help="require the header X-Admin-Token: TOKEN on every /_mock/* request (except the dashboard page "
            "GET /_mock/ui and the callback receiver /_mock/sink/*)",
        ),
    )
    # -- callbacks and webhooks [FIDELITY §8] --
    #: Real seconds one delivery attempt may take before it counts as unacknowledged (upstream: 5 s).
    callback_timeout: float = field(
        default=5.0,
        metadata=option(
            "--callback-timeout",
            parse=float,
            low=0.1,
            high=300,
            group=_CALLBACKS,
            help="real seconds a receiver has to answer one delivery",
        ),
    )
    #: Extra attempts for an unacknowledged succeeded/failed callback or a webhook (upstream: 3).
    callback_retries: int = field(
        default=3,
        metadata=option(
            "--callback-retries",
            parse=int,
            low=0,
            high=10,
            group=_CALLBACKS,
            help="extra attempts for an unanswered succeeded/failed callback or a webhook",
        ),
    )
    #: Mock seconds between attempts, counted from the transition (attempt n is due n × this after it).
    callback_retry_seconds: float = field(
        default=5.0,
        metadata=option(
            "--callback-retry-seconds",
            parse=float,
            low=0,
            high=86400,
            group=_CALLBACKS,
            help="mock seconds between attempts, counted from the status change",
        ),
    )
    #: Delivery attempts in flight at once, all receivers together.
    callback_concurrency: int = field(
        default=16,
        metadata=option(
            "--callback-concurrency",
            parse=int,
            low=1,
            high=1000,
            group=_CALLBACKS,
            help="delivery attempts in flight at once",
        ),
    )
    #: Statuses an Ark callback reports (upstream lists queued … expired; cancelled is our choice).
    callback_events: tuple[str, ...] = field(
        default=("queued", "running", "succeeded", "failed", "expired", "cancelled"),
        metadata=option(
            "--callback-events",
            parse=_words,
            check=_callback_event,
            to_cli=",".join,
            group=_CALLBACKS,
            help="comma-separated statuses an Ark callback reports",
        ),
    )
    #: Shell-style URL patterns the mock may call back; None = any http(s) URL.
    callback_allow: tuple[str, ...] | None = field(
        default=None,
        metadata=option(
            "--callback-allow",
            kind="repeat",
            metavar="PATTERN",
            check=_pattern,
            default_text="any http(s) URL",
            group=_CALLBACKS,
            help="call back only URLs matching this shell-style pattern, e.g. 'http://127.0.0.1:*' "
            "(repeatable); a refused URL is a 400 at create",
        ),
    )
    #: Mock seconds a predictions ``enable_sync_mode`` submit waits; a task needing longer is answered as the
    #: gateway's sync timeout (data.code 5004) and goes on [FIDELITY §3].
    sync_timeout_seconds: float = field(
        default=600.0,
        metadata=option(
            "--sync-timeout",
            parse=float,
            low=0,
            high=1e9,
            help="mock seconds a predictions enable_sync_mode submit waits before answering the gateway's sync "
            "timeout (data.code 5004) while the task goes on",
        ),
    )
    #: Extra mock seconds a flex-tier task waits queued (no latency guarantee upstream) [FIDELITY §2].
    flex_queue_seconds: float = field(
        default=600.0,
        metadata=option(
            "--flex-queue-seconds",
            parse=float,
            low=0,
            high=1e9,
            help="extra mock seconds a service_tier flex task waits queued",
        ),
    )
    #: Tasks are visible (GET, list) this long after creation, then gone [FIDELITY §9: 7 days].
    retention_seconds: float = field(
        default=7 * 86400.0,
        metadata=option(
            "--retention",
            parse=float,
            low=0,
            high=1e9,
            help="mock seconds a task stays visible after its creation (upstream: 7 days)",
        ),
    )
    #: A cancelled task is deleted this long after it was cancelled [FIDELITY §9: 24 h].
    cancelled_retention_seconds: float = field(
        default=86400.0,
        metadata=option(
            "--cancelled-retention",
            parse=float,
            low=0,
            high=1e9,
            help="mock seconds a cancelled task stays visible after its cancellation (upstream: 24 h)",
        ),
    )
    #: Validation proxy [issue 14]: forward every /api/ request to this origin and check both sides.
    upstream: str | None = field(
        default=None,
        metadata=option(
            "--upstream",
            metavar="URL",
            check=_upstream,
            default_text="none: the mock answers itself",
            group=_PROXY,
            help="forward every /api/ request to URL (e.g. https://gptproto.com), check both sides against the "
            "contracts, report drift at GET /_mock/drift",
        ),
    )
    #: Seconds the proxy waits for the upstream's whole answer before it answers 502.
    upstream_timeout: float = field(
        default=120.0,
        metadata=option(
            "--upstream-timeout",
            parse=float,
            low=0,
            above_low=True,
            high=3600,
            metavar="S",
            group=_PROXY,
            help="seconds to wait for the upstream's answer before answering 502",
        ),
    )
    #: Write every proxied exchange here, one file per task (needs ``upstream``).
    record_dir: Path | None = field(
        default=None,
        metadata=option(
            "--record",
            parse=Path,
            metavar="DIR",
            default_text="no recording",
            group=_PROXY,
            help="with --upstream: write each exchange into DIR, one file per task",
        ),
    )
    #: Answer creates and reads from the recordings in this directory (offline).
    replay_dir: Path | None = field(
        default=None,
        metadata=option(
            "--replay",
            parse=Path,
            metavar="DIR",
            default_text="no replay",
            group=_PROXY,
            help="answer creates and reads from the recordings in DIR",
        ),
    )
    #: With ``replay_dir``: a request no recording answers is a 404 instead of the simulated mock.
    replay_strict: bool = field(
        default=False,
        metadata=option(
            "--replay-strict",
            kind="switch",
            group=_PROXY,
            help="with --replay: unrecorded requests are 404 (no simulation)",
        ),
    )
    #: Create-body fields (dotted paths) a replay ignores when matching a recorded create.
    replay_ignore: tuple[str, ...] = field(
        default=(),
        metadata=option(
            "--replay-ignore",
            kind="repeat",
            metavar="FIELD",
            default_text="none",
            group=_PROXY,
            help="with --replay: a create-body field (dotted path, repeatable) that may differ from the recording",
        ),
    )
