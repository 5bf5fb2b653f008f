"""Schemathesis against the running mock, as an outside user would run it: the schema is the one the server
serves at ``/openapi.json``, and every operation goes through all four phases (examples, coverage, fuzzing,
stateful) with every check that applies. Any 5xx, any answer its schema does not describe (status, body,
content type, headers), a refused valid request where the schema is exact, an accepted invalid one, an
ignored API key or a 405 without ``Allow`` fails the test with Schemathesis's own report.

The CLI runs in a subprocess (``python -m schemathesis.cli``): its hypothesis state is its own, so the run
is the same alone or under pytest-xdist, and a failure reads exactly as ``st run`` prints it, with a curl
line to replay each case. The budget follows the hypothesis profile (tests/conftest.py): ``dev`` is a smoke
run, ``ci`` (CI=true) runs at least 2 000 cases. The count and the verdict are printed in the terminal
summary (tests/conftest.py) and in the report's ``-ra`` line on failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import settings
from hypothesis.configuration import storage_directory

from mock_server.testing import MockServer
from tests.support import SUMMARY_LINE

KEY = "sk-fuzz-0123456789"
HOOKS = Path(__file__).with_name("schemathesis_hooks.py")

# Operations whose schema is not exactly what the server accepts, so a valid request may be refused: a
# predictions body (its per-model limits follow the path's model, which a body schema cannot see) and DELETE
# (a running or cancelled task is refused with a 400 [FIDELITY §2], which no request schema can foresee).
# Everywhere else a schema-valid request must be accepted: the list query and the task reads are judged by
# the same contracts, and the Ark create body *is* the ark.create_task.request contract (its text commands
# and [mock:…] markers, which a schema cannot say, are not spelled by chance).
INEXACT = ("submitTextToVideo", "submitImageToVideo", "submitReferenceToVideo", "deleteTask")
BODIES = ("createTask", "submitTextToVideo", "submitImageToVideo", "submitReferenceToVideo")


@dataclass(frozen=True)
class Budget:
    """Fuzzing cases per operation (drawing a body costs ~10x a path parameter, an Ark create ~50x), stateful
    scenarios, whether the coverage phase also walks the request bodies (~580 deterministic cases, most of
    a quick run's time; the reads' ~140 always run), and the fewest cases the whole run must count."""

    reads: int
    bodies: int
    stateful: int
    body_coverage: bool
    at_least: int


BUDGETS = {
    "dev": Budget(reads=10, bodies=4, stateful=4, body_coverage=False, at_least=200),
    "ci": Budget(reads=250, bodies=50, stateful=30, body_coverage=True, at_least=2000),
}


def _toml(value: Any) -> str:
    return json.dumps(value)  # str, int, bool and lists of them are spelled the same in TOML and JSON


#: The draw every run makes (see config_text).
FUZZ_SEED = 20261202


def config_text(budget: Budget, key: str = KEY) -> str:
    """A ``schemathesis.toml`` for one run: the checks, the budget, and per-operation exceptions."""
    lines = [
        # Every failure is reported, and the case count does not depend on where the first one falls.
        "continue-on-failure = true",
        "workers = 1  # CPython 3.11's ast is not thread-safe: 2 workers crash in hypothesis's lambda repr",
        f"headers = {{ Authorization = {_toml('Bearer ' + key)} }}",
        f"hooks = {_toml(str(HOOKS))}  # the one exception to exactness: integers beyond 64 bits",
        # A fixed seed: the same cases on every run, so CI cannot pass or fail by the draw. Schemathesis's
        # generator can fail to build a create body on some draws (an empty strategy under capped
        # `contains` rules: its limitation, not the server's); SEEDANCE_FUZZ_SEED explores other draws.
        f"seed = {int(os.environ.get('SEEDANCE_FUZZ_SEED', FUZZ_SEED))}",
        "[generation]",
        'database = "none"  # nothing written into the checkout; every run starts fresh',
        f"max-examples = {budget.reads}",
        "[checks]",
        # DELETE of a queued task cancels it and GET still answers the cancelled task [FIDELITY §2], so a
        # resource that was "deleted" is not gone; two identities would be needed for object-level checks.
        "use_after_free = { enabled = false }",
        "object_level_authorization = { enabled = false }",
        "[phases.stateful]",
        f"generation.max-examples = {budget.stateful}",
        "max-steps = 6",
        "[[operations]]",
        f"include-operation-id = {_toml(list(INEXACT))}",
        "checks.positive_data_acceptance = { enabled = false }",
        "[[operations]]",
        f"include-operation-id = {_toml(list(BODIES))}",
        f"generation.max-examples = {budget.bodies}",
    ]
    if not budget.body_coverage:
        lines.append("phases.coverage.enabled = false")
    return "\n".join(lines) + "\n"


def _findings(stdout: str) -> str:
    """The part of the CLI's output that says what went wrong (its FAILURES / ERRORS / WARNINGS sections)."""
    starts = [i for marker in (" ERRORS ", " FAILURES ", " WARNINGS ") if (i := stdout.find(marker)) >= 0]
    text = stdout[max(0, stdout.rfind("\n", 0, min(starts))) :] if starts else stdout[-4000:]
    return text if len(text) < 20_000 else text[:20_000] + "\n… (truncated)"


def run_schemathesis(base_url: str, budget: Budget, workdir: Path) -> tuple[dict[str, Any], str]:
    """``st run <base_url>/openapi.json`` with :func:`config_text`; (the JSON report, the CLI's output)."""
    config = workdir / "schemathesis.toml"
    config.write_text(config_text(budget))
    cmd = [
        sys.executable, "-m", "schemathesis.cli", "--no-color", "--config-file", str(config),
        "run", f"{base_url}/openapi.json", "--report", "json", "--report-dir", str(workdir),
    ]  # fmt: skip
    # Hypothesis keeps its Unicode tables (which characters UTF-8 encodes, by category) in its storage directory,
    # .hypothesis under the working directory: in a fresh one the CLI rebuilt them by walking all 1.1 M code
    # points, ~3 CPU-s of every run. It shares this process's instead, whose tables are the same (one hypothesis,
    # one Unicode version). Its example database stays off (see config_text): the cases are the same.
    env = {**os.environ, "HYPOTHESIS_STORAGE_DIRECTORY": str(storage_directory(intent_to_write=False).path)}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=workdir, env=env, check=False)
    reports = sorted(workdir.glob("json-*.json"))
    assert reports, f"schemathesis wrote no report (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
    return json.loads(reports[-1].read_text()), done.stdout + done.stderr


def verdict(report: dict[str, Any]) -> list[str]:
    """What is wrong with a run, one line each; empty when it is clean."""
    problems = [f"{f['code']} {f['title']}: {f['count']} ({', '.join(f['operations'])})" for f in report["failures"]]
    problems += [f"error: {e['title']} ({e['count']})" for e in report["errors"]]
    # A warning here means the run did not reach what it should (a link that resolves nothing, a key that
    # is refused, an operation that answers only 404): the fuzzing would be hollow.
    problems += [f"warning {name}: {', '.join(map(str, ops))}" for name, ops in report["warnings"].items() if ops]
    if report["operations"]["tested"] != report["operations"]["total"]:
        problems.append(f"only {report['operations']['tested']} of {report['operations']['total']} operations tested")
    return problems


def test_schemathesis_finds_nothing_against_the_served_schema(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    profile = settings.get_current_profile_name()
    budget = BUDGETS.get(profile, BUDGETS["dev"])
    # Only this key authenticates, so ignored_auth can tell a refused key from an accepted one. The clock
    # runs 20x: tasks created by the stateful phase are read queued, running and succeeded.
    mock = MockServer(
        api_keys=(KEY,), time_scale=20, max_queued_per_key=1_000_000, cache_dir=tmp_path / "media",
    )  # fmt: skip
    with mock:
        report, output = run_schemathesis(mock.base_url, budget, tmp_path)
        # Whatever was thrown at it, the server still answers: health, the key's task list, the journal.
        after = [
            httpx.get(mock.base_url + path, headers={"Authorization": KEY}, timeout=30).status_code
            for path in ("/_mock/health", "/api/v3/contents/generations/tasks", "/_mock/requests")
        ]
    cases = report["test_cases"]["generated"]
    problems = verdict(report)
    if after != [200, 200, 200]:
        problems.append(f"after the run, health, listing and journal answered {after}")
    if cases < budget.at_least:
        problems.append(f"{cases} cases, fewer than the {profile} profile's {budget.at_least}")
    seconds = report["running_time"]
    phases = "all phases" if budget.body_coverage else "all phases (coverage phase: reads only)"
    result = "no failures" if not problems else f"{len(problems)} problem(s)"
    if report.get("filtered"):
        result += f" ({report['filtered']} refusal(s) of integers beyond 64 bits set aside)"
    line = (
        f"schemathesis ({profile} profile, seed {report['seed']}): {cases} cases over "
        f"{report['operations']['tested']} operations, {phases}, in {seconds:.0f} s: {result}"
    )
    request.node.user_properties.append((SUMMARY_LINE, line))
    assert not problems, line + "\n" + "\n".join(problems) + "\n\n" + _findings(output)
