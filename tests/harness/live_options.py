"""What ``--live`` / ``--live-budget`` leave on the pytest config for the live tests (set in tests/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.harness.drift import DriftLog


@dataclass
class Budget:
    """Paid tasks allowed this run (``--live-budget N``) and how many are left."""

    total: int
    left: int


DRIFT = pytest.StashKey[DriftLog]()
BUDGET = pytest.StashKey[Budget]()
