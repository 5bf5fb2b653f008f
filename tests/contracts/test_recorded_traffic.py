"""Recorded traffic is a regression test [issue 14]: every answer a ``seedance-mock --record DIR`` session
saw must still meet today's contracts (the checks of ``contracts.conformance``, the proxy's and the live
suite's), and each task's statuses must still read as moving forward. A contract change that would call real
traffic drift fails here.

Always checks the recording kept in tests/fixtures/recordings/ (made against the mock itself); add your own
with ``pytest tests/contracts/test_recorded_traffic.py --recordings DIR`` (repeatable).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from contracts import conformance
from mock_server.recording import OTHER, load

KEPT = Path(__file__).parents[1] / "fixtures" / "recordings"


def _units(folder: Path) -> list[Any]:
    """One param per task file (its create and reads, in order) and per other exchange."""
    tasks, others = load(folder)
    units = [
        pytest.param(([rec.create] if rec.create else []) + rec.reads, id=f"{folder.name}/{rec.source}")
        for rec in tasks
    ]
    units += [pytest.param([ex], id=f"{folder.name}/{OTHER}:{i + 1}") for i, ex in enumerate(others)]
    return units


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "recorded" not in metafunc.fixturenames:
        return
    folders = sorted(p for p in KEPT.iterdir() if p.is_dir())
    folders += [Path(d) for d in metafunc.config.getoption("--recordings")]
    metafunc.parametrize("recorded", [u for folder in folders for u in _units(folder)])


def test_recorded_answers_meet_todays_contracts(recorded: list[dict[str, Any]]) -> None:
    tracker = conformance.StatusTracker()
    problems = []
    for ex in recorded:
        for f in conformance.check_answer(ex["method"], ex["path"], ex["status"], ex["body"], tracker=tracker):
            problems.append(
                f"{ex['method']} {ex['path']} (seen {ex.get('seen_at')}) [{f.where}] expected {f.expected}; got {f.got}"
            )
    assert not problems, "recorded traffic no longer meets the contracts:\n" + "\n".join(problems)


def test_the_kept_recording_is_there() -> None:
    """The fixture the suite always checks: a small session recorded against the mock itself."""
    (folder,) = [p for p in KEPT.iterdir() if p.is_dir()]
    tasks, others = load(folder)
    assert sorted(rec.family for rec in tasks) == ["ark", "predictions"] and others
    assert all(rec.create is not None and len(rec.reads) >= 3 for rec in tasks)


def test_a_recording_that_no_longer_conforms_fails_the_run(pytester: pytest.Pytester) -> None:
    """``--recordings DIR`` with an answer today's contracts call drift (a status word no family uses, a
    status going back): the run fails naming both; the kept recording alone passes. The run is made in this
    process (pytester): the option is read by the same conftest either way, and a second interpreter would
    only import and collect everything again."""
    (kept,) = [p for p in KEPT.iterdir() if p.is_dir()]
    folder = pytester.path / "drifted"
    shutil.copytree(kept, folder)
    ark = next(p for p in folder.glob("*.json") if json.loads(p.read_text())["family"] == "ark")
    data = json.loads(ark.read_text())
    data["reads"][0]["body"]["status"] = "in_progress"
    data["reads"].append(data["reads"][1])  # running again after succeeded
    ark.write_text(json.dumps(data, indent=2))
    run = pytester.runpytest_inprocess(
        str(Path(__file__).resolve()), "-p", "no:cacheprovider", "-q", "-n", "0", "-k", "meet_todays",
        "--recordings", str(folder),
    )  # fmt: skip
    stdout = run.stdout.str()
    assert run.ret == 1, stdout
    assert "1 failed" in stdout and "[ark.task: status] expected 'in_progress' is not one of" in stdout
    assert "[transition: status] expected a status after 'succeeded' (only forward); got 'running'" in stdout
