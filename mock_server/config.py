"""Every knob of the mock server, in one frozen dataclass, and the command line derived from it.

Each field is declared with :func:`setting`, which keeps in the field's ``metadata`` how ``seedance-mock``
sets it (an :class:`Option`): its flag(s), its valid range or check, and a help text saying what it does; a
field only Python sets is declared with :func:`internal` and the reason. ``mock_server/__main__.py`` builds
every argparse option, its range check (bad value → one line, exit 2), its ``--help`` line and README's
option table from this metadata: a field cannot lack an option, nor an option a field
(``tests/mock_server/test_cli.py`` checks both, and every range and check).

How to add a server option (adding the field *is* adding the option):

1. Add the field below with a ``#:`` comment saying what it means to Python users, e.g. ::

       #: Where the state is saved on exit and loaded at start; None = nothing is saved.
       state_path: Path | None = setting(None, "--state", "save the state to PATH on exit, load it at start",
                                         metavar="PATH", default_text="nothing is saved")
       #: Real seconds between two saves.
       save_seconds: float = setting(5.0, "--save-seconds", "real seconds between saves", bounds=(0.1, 3600))

   The help text says what the option does, never its default or range: ``--help`` adds both, from the
   field's default (``default_text`` words a default the value does not explain, such as None) and
   ``bounds`` (``above_low=True`` refuses the low end itself). The field's type says how a value is read:
   ``int`` / ``float`` / ``Path`` / ``str`` (with ``| None`` or not) take one value, ``bool`` is a flag
   without value, ``tuple[str, ...]`` a repeatable option. ``check`` refuses a value no range describes
   (it returns what is wrong, e.g. "must be an http(s) origin"); ``to_config`` / ``to_cli`` convert when
   the command line counts in other units than the field (``--max-body-mb`` sets ``max_body_bytes``).
   ``--help`` sections are chosen by flag in ``__main__.SECTIONS``.
2. Use ``config.<field>`` where it takes effect.
3. Paste the new README option table: the test prints it (or run
   ``python -c "from mock_server.__main__ import options_table; print(options_table())"``).

Checks that involve two options (``--record`` needs ``--upstream``) live in ``__main__.config_problem``.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from contracts.endpoints import ARK_STATUSES

_T = TypeVar("_T")

#: How an option takes its value: ``--flag V``; ``--flag`` alone; ``--flag V`` any number of times.
Kind = Literal["value", "switch", "repeat"]
#: What each metadata entry is kept under in a field's ``metadata``.
CLI = "cli"


@dataclass(frozen=True)
class Option:
    """How the command line sets one :class:`MockConfig` field (see the module docstring)."""

    #: The flag first, then any aliases.
    flags: tuple[str, ...]
    #: What the option does (no default, no range: ``--help`` adds those).
    help: str
    #: ``value``: ``--flag V``; ``switch``: ``--flag`` alone (True); ``repeat``: ``--flag V`` any number of
    #: times (the field gets a tuple, or its default when none is given). None: from the field's type
    #: (``bool`` a switch, ``tuple[...]`` repeat, anything else a value).
    kind: Kind | None = None
    #: Reads one command-line value (an argparse ``type``); None: the field's type (``int``, ``float``,
    #: ``Path``, ``str``; a tuple's item type), without ``| None``.
    parse: Callable[[str], Any] | None = None
    #: Valid range of a number, both ends included, in the command line's units [FIDELITY §12].
    bounds: tuple[float, float] | None = None
    #: ``bounds[0]`` itself is refused (the range is open at the bottom).
    above_low: bool = False
    #: Refuses one value no range describes: returns what is wrong with it ("must be …"), else None.
    check: Callable[[Any], str | None] | None = None
    #: The command line's value → the field's value (default: unchanged).
    to_config: Callable[[Any], Any] | None = None
    #: The field's default → the command line's (default: unchanged).
    to_cli: Callable[[Any], Any] | None = None
    #: How ``--help`` words the default when the value itself would not say it (e.g. None = no limit).
    default_text: str | None = None
    #: The value's name in ``--help``; None: DIR for a ``Path``, else the flag in capitals.
    metavar: str | None = None

    @property
    def flag(self) -> str:
        """The option's name (its first flag)."""
        return self.flags[0]

    def typed(self, annotation: Any) -> Option:
        """This option with ``kind`` and ``parse`` filled in from its field's type."""
        base = annotation
        if isinstance(annotation, types.UnionType):  # ``X | None``: X
            base = next(t for t in typing.get_args(annotation) if t is not type(None))
        kind: Kind
        parse: Callable[[str], Any]
        if base is bool:
            kind, parse = "switch", bool
        elif typing.get_origin(base) is tuple:
            kind, parse = "repeat", typing.get_args(base)[0]
        else:
            kind, parse = "value", base
        return dataclasses.replace(self, kind=self.kind or kind, parse=self.parse or parse)


@dataclass(frozen=True)
class NotAnOption:
    """Marks a field the command line does not set, and says why."""

    reason: str


def setting(default: _T, flags: str | tuple[str, ...], help: str, **how: Any) -> _T:
    """A MockConfig field: its ``default``, the option ``flags`` that set it (a flag, or the flag and its
    aliases) and what the option does (see :class:`Option`)."""
    flags = (flags,) if isinstance(flags, str) else flags
    return field(default=default, metadata={CLI: Option(flags=flags, help=help, **how)})


def internal(default: _T, reason: str) -> _T:
    """A MockConfig field only Python sets (no command-line option), for ``reason``."""
    return field(default=default, metadata={CLI: NotAnOption(reason)})


def options() -> Iterator[tuple[dataclasses.Field[Any], Option]]:
    """Every field the command line sets, with its option, in field order."""
    hints = typing.get_type_hints(MockConfig)
    for f in dataclasses.fields(MockConfig):
        how = f.metadata.get(CLI)
        if isinstance(how, Option):
            yield f, how.typed(hints[f.name])


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


@dataclass(frozen=True)
class MockConfig:
    """Settings for :func:`mock_server.create_app`. Defaults give a task that finishes in about 4 s."""

    host: str = setting("127.0.0.1", "--host", "interface to bind; beyond loopback a warning says what that exposes")
    port: int = setting(8000, "--port", "port to bind (0 = any free port)", bounds=(0, 65535))
    #: Mock seconds per real second; 0 freezes real time (only /_mock/clock/advance moves the clock).
    time_scale: float = setting(
        1.0,
        "--time-scale",
        "mock seconds per real second; 0 freezes time (only POST /_mock/clock/advance moves it)",
        bounds=(0, 1_000_000),
    )
    #: Mock seconds a task waits in ``queued`` before it may start.
    queue_seconds: float = setting(1.0, "--queue-seconds", "mock seconds a task waits queued", bounds=(0, _TEN_YEARS))
    #: Mock seconds a task spends ``running``.
    run_seconds: float = setting(3.0, "--run-seconds", "mock seconds a task spends running", bounds=(0, _TEN_YEARS))
    #: Upstream runs at most this many tasks per API key at once; the rest wait queued.
    max_running_per_key: int = setting(
        10, "--max-running", "tasks one API key may have running at once; the rest wait queued", bounds=(1, 1_000_000)
    )
    #: Of those, at most this many at 4k: upstream's 4k concurrency is 1 where the rest is 10 [FIDELITY §7].
    max_running_4k_per_key: int = setting(
        1,
        "--max-running-4k",
        "of those, 4k tasks one API key may have running at once (upstream: 1)",
        bounds=(1, 1_000_000),
    )
    #: More queued tasks than this for one key → 429 QuotaExceeded [upstream].
    max_queued_per_key: int = setting(
        120, "--max-queued", "queued tasks a key may have before creates get 429 QuotaExceeded", bounds=(1, 1_000_000)
    )
    #: Starting balance of every key, in completion tokens (generous: ~9 000 1080p 12 s videos).
    default_balance: int = setting(
        10**12, "--balance", "starting balance of every API key, in completion tokens", bounds=(0, 10**18)
    )
    #: Requests per minute per key; None = no limit (the default).
    default_rpm: int | None = setting(
        None, "--rpm", "requests per minute per API key", bounds=(1, 1_000_000), default_text="no limit"
    )
    #: When set, only these keys (plus keys registered with PUT /_mock/keys/{key}) authenticate.
    api_keys: tuple[str, ...] | None = setting(
        None,
        "--api-key",
        "accept only this key and keys added with PUT /_mock/keys/{key}; others get 401",
        metavar="KEY",
        check=_api_key,
        default_text="any well-formed key",
    )
    #: Stored tasks beyond this make the oldest finished ones forgotten (GET → 404); None = keep all.
    #: At ~1.2 kB a task the default bounds the store near 250 MB.
    max_tasks: int | None = setting(
        200_000,
        "--max-tasks",
        "stored tasks beyond this make the oldest finished ones forgotten (0 = keep every task)",
        bounds=(0, 100_000_000),
        to_config=_zero_is_none,
    )
    #: Requests kept in the journal (GET /_mock/requests); older entries are dropped.
    journal_size: int = setting(1000, "--journal-size", "requests kept by GET /_mock/requests", bounds=(1, 1_000_000))
    #: And at most about this many MiB: bodies are kept summed up (a data: URI as its type, size and
    #: sha256; long strings cut), so the bound holds even for 60 creates of 8 MB images [issue 10].
    journal_mb: float = setting(
        4.0, "--journal-mb", "MiB the journal keeps at most (data: URIs as type, size, sha256)", bounds=(0.1, 4096)
    )
    #: Where generated MP4/PNG files are cached; None = the user's cache dir.
    cache_dir: Path | None = setting(
        None,
        "--cache-dir",
        "where generated MP4/PNG files are cached",
        default_text="seedance-mock/media in the user's cache dir",
    )
    #: Largest total size of the media cache (MiB); least recently used files are deleted beyond it.
    cache_max_mb: int = setting(
        1024,
        "--cache-max-mb",
        "largest total size of the media cache in MiB; least recently used files go first",
        bounds=(1, _MIB),
    )
    #: Mock seconds a media URL stays valid after the task finished (upstream signs URLs for 24 h).
    media_ttl_seconds: float = setting(
        86400.0, "--media-ttl", "mock seconds a video URL stays valid after its task finished", bounds=(1, _TEN_YEARS)
    )
    #: Largest accepted request body (bytes).
    max_body_bytes: int = setting(
        64 * _MIB,
        "--max-body-mb",
        "largest request body, in MiB",
        bounds=(1, 4096),
        to_config=_mib_to_bytes,
        to_cli=_bytes_to_mib,
    )
    #: Absolute origin used in URLs the mock hands out; None = the origin the request came in on.
    public_url: str | None = setting(
        None,
        "--public-url",
        "origin to use in the URLs the mock hands out",
        check=_public_url,
        default_text="the origin each request came in on",
    )
    #: Seed for task ids and random generation seeds; None = fresh randomness each run.
    random_seed: int | None = setting(
        None,
        "--random-seed",
        "seed task ids and random generation seeds (reproducible)",
        bounds=(-(2**63), 2**64 - 1),
        default_text="fresh randomness each run",
    )
    #: Print one line per request on stderr.
    log_requests: bool = setting(
        True, "--quiet", "no per-request log lines on stderr", to_config=_negate, to_cli=_negate
    )
    #: Start the mock clock at this Unix time instead of now (reproducible timestamps and ids).
    start_time: float | None = internal(None, "for tests and MockServer; a server on the command line runs now")
    #: When set, every /_mock/* request must carry ``X-Admin-Token: <this>`` (else 401), except the
    #: dashboard page (GET /_mock/ui) and the callback receiver (/_mock/sink/*) [FIDELITY §13].
    admin_token: str | None = setting(
        None,
        "--admin-token",
        "require the header X-Admin-Token: TOKEN on every /_mock/* request (except the dashboard "
        "page GET /_mock/ui and the callback receiver /_mock/sink/*)",
        metavar="TOKEN",
        check=_admin_token,
        default_text="none: the control plane needs no token",
    )
    # -- callbacks and webhooks [FIDELITY §8] --
    #: Real seconds one delivery attempt may take before it counts as unacknowledged (upstream: 5 s).
    callback_timeout: float = setting(
        5.0, "--callback-timeout", "real seconds a receiver has to answer one delivery", bounds=(0.1, 300)
    )
    #: Extra attempts for an unacknowledged succeeded/failed callback or a webhook (upstream: 3).
    callback_retries: int = setting(
        3,
        "--callback-retries",
        "extra attempts for an unanswered succeeded/failed callback or a webhook",
        bounds=(0, 10),
    )
    #: Mock seconds between attempts, counted from the transition (attempt n is due n × this after it).
    callback_retry_seconds: float = setting(
        5.0, "--callback-retry-seconds", "mock seconds between attempts, from the status change", bounds=(0, 86400)
    )
    #: Delivery attempts in flight at once, all receivers together.
    callback_concurrency: int = setting(
        16, "--callback-concurrency", "delivery attempts in flight at once", bounds=(1, 1000)
    )
    #: Statuses an Ark callback reports (upstream lists queued … expired; cancelled is our choice).
    callback_events: tuple[str, ...] = setting(
        ARK_STATUSES,
        "--callback-events",
        "comma-separated statuses an Ark callback reports",
        kind="value",  # one comma-separated value, not a repeated option
        parse=_words,
        check=_callback_event,
        to_cli=",".join,
    )
    #: Shell-style URL patterns the mock may call back; None = any http(s) URL.
    callback_allow: tuple[str, ...] | None = setting(
        None,
        "--callback-allow",
        "call back only URLs matching this shell-style pattern, e.g. 'http://127.0.0.1:*' (others: 400 at create)",
        metavar="PATTERN",
        default_text="any http(s) URL",
        check=_pattern,
    )
    #: Mock seconds a predictions ``enable_sync_mode`` submit waits; a task needing longer is answered as the
    #: gateway's sync timeout (data.code 5004) and goes on [FIDELITY §3].
    sync_timeout_seconds: float = setting(
        600.0,
        "--sync-timeout",
        "mock seconds a predictions enable_sync_mode submit waits before answering the "
        "gateway's sync timeout (data.code 5004) while the task goes on",
        bounds=(0, 1e9),
    )
    #: Extra mock seconds a flex-tier task waits queued (no latency guarantee upstream) [FIDELITY §2].
    flex_queue_seconds: float = setting(
        600.0, "--flex-queue-seconds", "extra mock seconds a service_tier flex task waits queued", bounds=(0, 1e9)
    )
    #: Tasks are visible (GET, list) this long after creation, then gone [FIDELITY §9: 7 days].
    retention_seconds: float = setting(
        7 * 86400.0,
        "--retention",
        "mock seconds a task stays visible after its creation (upstream: 7 days)",
        bounds=(0, 1e9),
    )
    #: A cancelled task is deleted this long after it was cancelled [FIDELITY §9: 24 h].
    cancelled_retention_seconds: float = setting(
        86400.0,
        "--cancelled-retention",
        "mock seconds a cancelled task stays visible after its cancellation (upstream: 24 h)",
        bounds=(0, 1e9),
    )
    #: Validation proxy [issue 14]: forward every /api/ request to this origin and check both sides.
    upstream: str | None = setting(
        None,
        "--upstream",
        "forward every /api/ request to URL (e.g. https://gptproto.com), check both sides "
        "against the contracts, report drift at GET /_mock/drift",
        metavar="URL",
        default_text="none: the mock answers itself",
        check=_upstream,
    )
    #: Seconds the proxy waits for the upstream's whole answer before it answers 502.
    upstream_timeout: float = setting(
        120.0,
        "--upstream-timeout",
        "seconds to wait for the upstream's answer before answering 502",
        bounds=(0, 3600),
        above_low=True,
        metavar="S",
    )
    #: Write every proxied exchange here, one file per task (needs ``upstream``).
    record_dir: Path | None = setting(
        None,
        "--record",
        "with --upstream: write each exchange into DIR, one file per task",
        default_text="no recording",
    )
    #: Answer creates and reads from the recordings in this directory (offline).
    replay_dir: Path | None = setting(
        None, "--replay", "answer creates and reads from the recordings in DIR", default_text="no replay"
    )
    #: With ``replay_dir``: a request no recording answers is a 404 instead of the simulated mock.
    replay_strict: bool = setting(
        False, "--replay-strict", "with --replay: unrecorded requests are 404 (no simulation)"
    )
    #: Create-body fields (dotted paths) a replay ignores when matching a recorded create.
    replay_ignore: tuple[str, ...] = setting(
        (),
        "--replay-ignore",
        "with --replay: a create-body field (dotted path) that may differ from the recording",
        metavar="FIELD",
        default_text="none",
    )
    #: Keep tasks, keys, fault rules, the clock, pending callbacks and the journal in this SQLite file, so a
    #: restart or a kill -9 loses nothing acknowledged [issue 15]; None = in memory only.
    state: Path | None = setting(
        None,
        "--state",
        "keep tasks, keys, fault rules, the clock, pending callbacks and the journal in this SQLite file "
        "(created if missing): a restart or kill -9 loses nothing acknowledged; a saved clock and time scale "
        "win over --time-scale / the start time",
        metavar="PATH",
        default_text="in memory only",
    )
