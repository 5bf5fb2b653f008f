"""The project as a newcomer meets it: the README's two commands, and CI running exactly the second."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text("utf-8"), re.S)
    assert block, "the README starts with a bash block"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_the_readme_starts_with_two_commands_each_in_a_fresh_virtualenv() -> None:
    serve, test = _readme_commands()
    for command in (serve, test):
        assert command.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install -e ")
    assert serve.endswith("seedance-mock --port 8000")
    assert test.endswith("python -m pytest")


def test_ci_runs_exactly_the_readmes_test_command() -> None:
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text("utf-8").splitlines()]
    assert _readme_commands()[1] in ci_lines
