"""The project's own tooling, run by the suite: ruff's lint and format check over the whole checkout, and mypy
over the three packages, each with its configuration in pyproject.toml. A failure prints the tool's report.

The tools are in the ``dev`` extra (pinned), so CI always runs these; a test is skipped only where its tool is
not installed at all.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


needs_ruff = pytest.mark.skipif(not _installed("ruff"), reason="ruff is not installed (pip install -e '.[dev]')")
needs_mypy = pytest.mark.skipif(not _installed("mypy"), reason="mypy is not installed (pip install -e '.[dev]')")


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    """``python -m <command>`` from the checkout (where pyproject.toml configures it), output captured."""
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )


def _report(result: subprocess.CompletedProcess[str]) -> str:
    return f"`{' '.join(result.args[2:])}` exited {result.returncode}:\n{result.stdout}{result.stderr}"


@needs_ruff
def test_ruff_check_is_clean() -> None:
    result = _run("ruff", "check", "--no-fix", ".")
    assert result.returncode == 0, _report(result)


@needs_ruff
def test_ruff_format_leaves_every_file_as_it_is() -> None:
    # One line per file that would change; `ruff format` (or `ruff format --diff`) shows how.
    result = _run("ruff", "format", "--check", "--output-format", "concise", ".")
    assert result.returncode == 0, _report(result)


def test_mypy_checks_every_package_the_project_ships() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert sorted(config["tool"]["mypy"]["files"]) == sorted(config["tool"]["setuptools"]["packages"])
    assert config["tool"]["mypy"]["strict"] is True


@needs_mypy
def test_mypy_is_clean_under_the_project_configuration() -> None:
    # No paths: [tool.mypy] names the packages. The incremental cache under the checkout (git-ignored) makes
    # a re-run take about a second instead of a cold run's ~10 s of CPU.
    result = _run("mypy", "--config-file", "pyproject.toml", "--cache-dir", ".mypy_cache")
    assert result.returncode == 0, _report(result)
    assert "Success: no issues found" in result.stdout, _report(result)
