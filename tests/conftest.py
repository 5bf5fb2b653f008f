"""Suite-wide settings: hypothesis profiles (``dev`` by default, ``ci`` when CI=true), the ``--live``
switch for the contract tests against the real API, and the drift summary at the end of a live run."""

from __future__ import annotations

import atexit
import gc
import os
import sys
import tempfile


def _share_bytecode() -> None:
    """Under PYTHONDONTWRITEBYTECODE=1 every process of a run (each xdist worker, each server or pytest run a
    test starts in a subprocess) would compile the same modules and rewrite the same test files again: ~7 CPU-s
    each, most of a worker's start. The suite's processes keep their bytecode in one cache directory instead,
    under the system's temporary directory and kept between runs (a run with a warm cache collects in ~3 s instead
    of ~10): still nothing is written to the checkout or site-packages, as the setting asks. A PYTHONPYCACHEPREFIX
    the user chose is left as it is (and so is a machine that writes bytecode normally)."""
    if not sys.flags.dont_write_bytecode or os.environ.get("PYTHONPYCACHEPREFIX") or sys.pycache_prefix:
        return
    uid = os.getuid() if hasattr(os, "getuid") else 0
    prefix = os.path.join(tempfile.gettempdir(), f"seedance-mock-pycache-{uid}")
    try:
        os.makedirs(prefix, mode=0o700, exist_ok=True)
    except OSError:
        return  # nowhere to keep it: every process compiles for itself, as the setting asks
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = prefix
    sys.pycache_prefix, sys.dont_write_bytecode = prefix, False


# Before xdist starts its workers, which inherit the setting, and before this file imports anything else: what
# it imports (hypothesis, whose modules pytest rewrites for assertions as a plugin's, ~75 of them; the client,
# the contracts, the harness) is then read from the cache in this process too, instead of being compiled
# again on every run (~1.5 CPU-s of the controller's start, before any worker can start).
_share_bytecode()

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

from client import ENV_API_KEY  # noqa: E402
from tests.contracts.contract_helpers import SEEDS  # noqa: E402
from tests.harness.drift import DriftLog  # noqa: E402
from tests.harness.live import NO_KEY_REASON  # noqa: E402
from tests.harness.live_options import BUDGET, DRIFT, Budget  # noqa: E402
from tests.support import SUMMARY_LINE  # noqa: E402

# At exit, the interpreter's last garbage collections walk every object a process made; after a whole run each
# worker holds millions of them (hypothesis, numpy, PyAV, the servers' state), and xdist's controller waits for
# both workers to be gone before it ends: ~0.3-1 s each, doing nothing for the run. Frozen objects are skipped.
# The handler runs after the run, the reports and the atexit handlers registered after this file (LIFO). Objects
# still freed by their reference counts are freed as before; only garbage left in reference cycles at exit is
# no longer collected (the suite closes what it opens; the interpreter flushes stdout and stderr itself).
atexit.register(gc.freeze)

pytest_plugins = ["pytester"]  # tests/plugin runs the installed plugin in a separate pytest

# dev: the README's command, a quick local run (under a minute on 2 cores, issue 17). ci (CI=true, which .ci/run
# sets): 5x the exploration; the harness's wide properties take 4x these examples, and the whole suite stays
# well under 5 minutes on 2 cores. Anything touching a server has no deadline.
settings.register_profile("dev", max_examples=20, deadline=None)
settings.register_profile(
    "ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("live", "contract tests against the real API (GPTPROTO_API_KEY, GPTPROTO_BASE_URL)")
    group.addoption("--live", action="store_true", help="run the tests marked live against the API")
    group.addoption(
        "--live-budget",
        type=int,
        default=0,
        metavar="N",
        help="paid generations the live run may start (default 0: only checks that cost nothing)",
    )

    parser.getgroup("recordings", "recorded traffic as a regression test (issue 14)").addoption(
        "--recordings",
        action="append",
        default=[],
        metavar="DIR",
        help="also check every answer recorded by seedance-mock --record DIR against today's contracts "
        "(tests/contracts/test_recorded_traffic.py; repeatable)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--live") and getattr(config.option, "numprocesses", None):
        # The live run's drift log and its end-of-run summary live in one process: no xdist workers (the
        # default -n auto would hide every drift in a worker and print no summary).
        config.option.numprocesses = 0
        config.option.dist = "no"
    for folder in config.getoption("--recordings"):
        if not os.path.isdir(folder):
            raise pytest.UsageError(f"--recordings {folder}: no such directory")
    # When a property fails, hypothesis's pytest plugin imports its patch writer (libcst), whose import
    # warns from mypy_extensions; under `filterwarnings = error` that is an INTERNALERROR hiding the
    # minimal example.
    config.addinivalue_line("filterwarnings", "ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning")
    config.stash[DRIFT] = DriftLog()
    budget = max(0, config.getoption("--live-budget"))
    config.stash[BUDGET] = Budget(budget, budget)


def _deselect(config: pytest.Config, items: list[pytest.Item], dropped: list[pytest.Item]) -> None:
    config.hook.pytest_deselected(items=dropped)
    gone = {id(item) for item in dropped}
    items[:] = [item for item in items if id(item) not in gone]


#: Modules run first, in this order, each whole: those whose tests take seconds each (a subprocess, a fuzzing
#: run, a browser). pytest-xdist's worksteal gives each worker a contiguous half of the collection and a worker
#: that runs out takes the other's queue from its end, so what comes last decides how unevenly the run ends:
#: in collection order a 4-5 s plugin run came last and the other worker idled meanwhile. First, and in the
#: first half, the browser tests also stay on one worker (at the end, a steal split them and both workers
#: launched Chromium, ~2 CPU-s each). Tests are independent of order; a module listed that no longer exists
#: is simply not found.
FIRST = (
    "tests/test_tooling.py",  # mypy: ~1 s on a warm cache, 10-15 s after a change that invalidates it
    "tests/mock_server/test_fuzz_openapi.py",
    "tests/mock_server/test_bounds.py",
    "tests/plugin/test_plugin.py",
    "tests/mock_server/test_state_file.py",
    "tests/harness/test_live_against_mock.py",
    "tests/harness/test_lifecycle_machine.py",
    "tests/mock_server/test_official_sdks.py",
    "tests/mock_server/test_ui_browser.py",
)


def _run_order(item: pytest.Item) -> int:
    path = item.nodeid.split("::", 1)[0]
    return FIRST.index(path) if path in FIRST else len(FIRST)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that read the seed documents are deselected where the checkout has none beside it (the header
    says so). Without --live the live tests are deselected: an ordinary run never leaves the machine. With
    --live but no key, one of them stays, skipped with the reason, so the run says why in one line. The
    slowest modules run first (FIRST)."""
    items.sort(key=_run_order)  # stable: each module keeps its own order
    if not SEEDS.is_dir():
        _deselect(config, items, [item for item in items if item.get_closest_marker("seed_documents")])
    live = [item for item in items if item.get_closest_marker("live")]
    if not live or (config.getoption("--live") and os.environ.get(ENV_API_KEY)):
        return
    kept = []
    if config.getoption("--live"):
        live[0].add_marker(pytest.mark.skip(reason=NO_KEY_REASON))
        kept = live[:1]
    _deselect(config, items, live[len(kept) :])


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Move everything made so far (the imports, hypothesis, numpy and PyAV, the collected tests: ~350 000 objects
    in a worker) out of the garbage collector's sight. Each full collection walked all of them again, ~0.4 s a
    time and ~10 CPU-s over a run of both workers, though none of them is ever garbage while the run lasts; what
    the tests make is collected as before. (pytester runs in this process collect too: a second freeze only
    moves the objects made since.)"""
    gc.freeze()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Lines tests asked to print (SUMMARY_LINE, e.g. the fuzzing figures); why the seed-document tests were
    deselected, if they were; every drift of a live run, after all the tests (a drifting test also fails)."""
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", ()):
                if name == SUMMARY_LINE and getattr(report, "when", "call") == "call":
                    terminalreporter.write_line(str(value))
    if not SEEDS.is_dir():
        terminalreporter.write_line(
            f"seed documents not found at {SEEDS} (set SEEDANCE_SEEDS): the tests that compare the fixtures"
            " with them were deselected"
        )
    if not config.getoption("--live"):
        return
    log = config.stash[DRIFT]
    if not log.checks and not log.items:
        return  # nothing ran (no key: the skip reason says why)
    terminalreporter.section("live contract drift", red=bool(log.items), green=not log.items)
    for line in log.summary():
        terminalreporter.write_line(line)
