"""Helpers shared by the test modules."""

from __future__ import annotations

from typing import Any

import httpx

import contracts
from client._base import tls_context

#: ``user_properties`` name of a line a test wants printed in the terminal summary (tests/conftest.py): a
#: figure such as the number of fuzzed cases, shown even under pytest-xdist, where test output is not.
SUMMARY_LINE = "summary_line"


def assert_contract(name: str, body: Any) -> Any:
    """Fail with every violation when ``body`` breaks contract ``name``; returns ``body``."""
    found = contracts.violations(name, body)
    assert not found, f"{name} violated: " + "; ".join(f"{v.param}: {v.message}" for v in found)
    return body


def text_body(model: str = "dreamina-seedance-2-0-260128", prompt: str = "a cat", **fields: Any) -> dict:
    """An Ark create body with one text item."""
    return {"model": model, "content": [{"type": "text", "text": prompt}], **fields}


http: httpx.Client
"""The tests' one-off HTTP calls to servers that come and go: httpx.get() and friends build a client, and with it
a TLS context from certifi's bundle (~50 ms CPU), on every call. No keep-alive, so each request still has a
connection of its own and none outlives its server. Built when a module first imports it (module
``__getattr__``): xdist's controller, which imports this module for SUMMARY_LINE, never needs it."""


def __getattr__(name: str) -> Any:
    if name != "http":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    client = globals()["http"] = httpx.Client(verify=tls_context(), limits=httpx.Limits(max_keepalive_connections=0))
    return client
