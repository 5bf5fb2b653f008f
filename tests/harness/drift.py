"""Drift: where a live answer and the contracts disagree, recorded for the end-of-run summary.

Each entry says which endpoint, which contract and field, what the contract expected and what came back.
``tests/conftest.py`` prints every entry in ``pytest_terminal_summary``; each live test then fails when it
recorded any, so a CI job against the real API goes red with the whole list in its log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from contracts import conformance
from contracts.conformance import Finding, short


@dataclass(frozen=True)
class Drift:
    """One disagreement between the live API and the contracts."""

    test: str
    endpoint: str  # "POST /api/v3/contents/generations/tasks"
    where: str  # "ark.error: error.param" or "HTTP status"
    expected: str
    got: str

    def line(self) -> str:
        return f"{self.endpoint}  [{self.where}]  expected {self.expected}; got {self.got}"


@dataclass
class DriftLog:
    """Every drift of the run, and how many live checks were made."""

    base_url: str = ""
    items: list[Drift] = field(default_factory=list)
    checks: int = 0

    def record(self, test: str, endpoint: str, where: str, expected: str, got: Any) -> None:
        """Note one drift."""
        self.items.append(Drift(test, endpoint, where, expected, got if isinstance(got, str) else short(got)))

    def add(self, test: str, endpoint: str, findings: Iterable[Finding]) -> bool:
        """One check made by ``contracts.conformance``; each finding becomes a drift. True when none."""
        self.checks += 1
        found = list(findings)
        for f in found:
            self.record(test, endpoint, f.where, f.expected, f.got)
        return not found

    def check_contract(self, test: str, endpoint: str, name: str, body: Any) -> bool:
        """Validate ``body`` against contract ``name``; every violation becomes a drift. True when none."""
        return self.add(test, endpoint, conformance.check_contract(name, body))

    def expect(self, test: str, endpoint: str, where: str, ok: bool, expected: str, got: Any) -> bool:
        """A check that is not a schema: record a drift unless ``ok``."""
        self.checks += 1
        if not ok:
            self.record(test, endpoint, where, expected, got)
        return ok

    def of(self, test: str) -> list[Drift]:
        """The drift ``test`` recorded."""
        return [d for d in self.items if d.test == test]

    def summary(self) -> list[str]:
        """The end-of-run report, one line per drift, grouped by test."""
        target = f" against {self.base_url}" if self.base_url else ""
        if not self.items:
            return [f"no drift: {self.checks} live checks{target} all matched the contracts"]
        lines = [f"{len(self.items)} drift(s) in {self.checks} live checks{target}:"]
        for test in dict.fromkeys(d.test for d in self.items):
            lines.append(f"  {test}")
            lines += [f"    - {d.line()}" for d in self.of(test)]
        return lines
