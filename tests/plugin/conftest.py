"""The plugin's own tests run user test files in a separate pytest (``pytester``, enabled in
tests/conftest.py: ``pytest_plugins`` may only be set in the top-level conftest)."""
