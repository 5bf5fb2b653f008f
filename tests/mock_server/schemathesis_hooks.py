"""Schemathesis hooks of the fuzzing test (test_fuzz_openapi.py names this file in the run's config).

One exception to "a valid body is accepted": the server's door refuses an integer beyond 64 bits anywhere
in a body, free-form values included [FIDELITY §12], and no JSON Schema can state that bound about the
open objects a create body may carry (nor tell ``1e300``, which the door takes, from its 301-digit
spelling, which it refuses). Every other failure, and every check of such a case's answer, still counts.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData

#: The integers a body may hold (mock_server/wire.py): int64 and uint64.
INT_MIN, INT_MAX = -(2**63), 2**64 - 1


def holds_wide_int(value: Any) -> bool:
    """Whether a JSON value holds an integer outside [INT_MIN, INT_MAX] (keys and values, any depth)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool) and not INT_MIN <= item <= INT_MAX:
            return True
    return False


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Keep every failure but a valid body's 400 when the body holds an integer wider than 64 bits."""
    wide = isinstance(failure, RejectedPositiveData) and response.status_code == 400
    return not (wide and holds_wide_int(case.body))
