"""Suite-wide settings: hypothesis profiles (``dev`` by default, ``ci`` when CI=true)."""

from __future__ import annotations

import contextlib
import os
import warnings

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=40, deadline=None)
settings.register_profile("ci", max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

# When a property fails, hypothesis's pytest plugin imports its patch writer (libcst, black), whose import
# raises a DeprecationWarning from mypy_extensions; under `filterwarnings = error` that becomes an
# INTERNALERROR that hides the minimal example. Import it once here, the warning silenced.
with warnings.catch_warnings(), contextlib.suppress(ImportError):
    warnings.simplefilter("ignore", DeprecationWarning)
    import hypothesis.extra._patching  # noqa: F401
