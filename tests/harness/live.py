"""The live suite's plumbing: the project's own client, a transport that keeps every raw answer, and the
curated requests the real API must refuse (free: a refused request creates nothing).

All traffic goes through :class:`client.SeedanceClient`. Its public methods validate before sending, so
the deliberately invalid bodies go through its ``request()``, which skips the client's validation: the same
headers, retries and typed errors, minus the client-side refusal the test wants to get past.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

import contracts
from client import SeedanceClient
from client._base import tls_context

# The contract checks are the package's, shared with the validation proxy (seedance-mock --upstream).
from contracts import endpoints
from contracts.conformance import (  # noqa: F401 (re-exported for the live tests)
    GATEWAY_TYPES,
    family_error_contract,
    success_contract,
)

ARK_TASKS = endpoints.path("ark.list")
NO_KEY_REASON = "GPTPROTO_API_KEY is not set: live contract tests need a real key"
UNKNOWN_TASK = "cgt-20200101000000-zz9zz"
#: A key no gateway can know: "!" is outside every key alphabet, so even the mock refuses it.
BAD_KEY = "sk-harness-not-a-key!"


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and its answer, as they went over the wire."""

    method: str
    path: str
    status: int
    body: Any  # parsed JSON, or the text when it is not JSON

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.path}"


#: Headers that describe how a body went over the wire, not the body itself.
_WIRE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


class RecordingTransport(httpx.BaseTransport):
    """Passes every request to a real transport and keeps the raw answer (what the contracts judge)."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        # The client's one TLS context: each live test opens a client, and building one loads the CA bundle.
        self.inner = inner or httpx.HTTPTransport(verify=tls_context())
        self.exchanges: list[Exchange] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        content = response.read()
        try:
            body: Any = json.loads(content)
        except ValueError:
            body = content.decode("utf-8", "replace")[:500]
        self.exchanges.append(Exchange(request.method, request.url.path, response.status_code, body))
        # ``read()`` has already undone any Content-Encoding: the rebuilt answer carries the decoded bytes, so
        # the headers describing the wire form go (else httpx decodes a gzip answer twice: DecodingError).
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _WIRE_HEADERS]
        return httpx.Response(response.status_code, headers=headers, content=content, extensions=response.extensions)

    def close(self) -> None:
        self.inner.close()

    def take(self) -> list[Exchange]:
        """The exchanges since the last call."""
        taken, self.exchanges = self.exchanges, []
        return taken


def live_client(
    api_key: str, base_url: str | None, *, max_retries: int = 0
) -> tuple[SeedanceClient, RecordingTransport]:
    """The project's client on a recording transport."""
    transport = RecordingTransport()
    return SeedanceClient(api_key, base_url=base_url, transport=transport, max_retries=max_retries), transport


def send_raw(
    client: SeedanceClient, method: str, path: str, *, json_body: Any = None, authenticate: bool = True
) -> None:
    """Send through the client's public raw request, without its validation; errors are its typed ones."""
    client.request(method, path, json=json_body, authenticate=authenticate)


# ---------------------------------------------------------------------------------------------- curated refusals

_TEXT = [{"type": "text", "text": "A red kite over a beach"}]
_CHEAP = "seedance-1-0-lite-t2v-250428"
_FAST2 = "dreamina-seedance-2-0-fast-260128"

#: Ark create bodies the API must refuse, whatever it charges: each breaks a family-wide rule or is
#: malformed, none depends on a per-model choice the contracts record as a [decision].
ARK_REFUSALS: dict[str, dict[str, Any]] = {
    "missing model": {"content": _TEXT},
    "missing content": {"model": _CHEAP},
    "empty content": {"model": _CHEAP, "content": []},
    "unknown model": {"model": "seedance-9-9-pro-990101", "content": _TEXT},
    "content item without type": {"model": _CHEAP, "content": [{"text": "a kite"}]},
    "unknown content type": {"model": _CHEAP, "content": [{"type": "hologram", "text": "a kite"}]},
    "duration far out of range": {"model": _CHEAP, "content": _TEXT, "duration": 1000},
    "resolution 4k": {"model": _CHEAP, "content": _TEXT, "resolution": "4k"},
    "ratio 2:1": {"model": _CHEAP, "content": _TEXT, "ratio": "2:1"},
    "seed above 2^32-1": {"model": _CHEAP, "content": _TEXT, "seed": 2**40},
    "frames not 25+4n": {"model": _CHEAP, "content": _TEXT, "frames": 30},
    "execution_expires_after below 3600": {"model": _CHEAP, "content": _TEXT, "execution_expires_after": 10},
    "duration as text": {"model": _CHEAP, "content": _TEXT, "duration": "five"},
}

#: Predictions submits the API must refuse: ``(op, path model, body)``.
PREDICTION_REFUSALS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "missing prompt": ("text-to-video", _FAST2, {"duration": 5}),
    "unknown model": ("text-to-video", "seedance-9-9-pro-990101", {"prompt": "a kite"}),
    "duration far out of range": ("text-to-video", _FAST2, {"prompt": "a kite", "duration": 1000}),
    "aspect_ratio 2:1": ("text-to-video", _FAST2, {"prompt": "a kite", "aspect_ratio": "2:1"}),
    "resolution 4k": ("text-to-video", _FAST2, {"prompt": "a kite", "resolution": "4k"}),
    "seed above 2^31-1": ("text-to-video", _FAST2, {"prompt": "a kite", "seed": 2**40}),
    "image-to-video without image": ("image-to-video", _FAST2, {"prompt": "a kite"}),
    "reference-to-video without images or videos": ("reference-to-video", _FAST2, {"prompt": "a kite"}),
}


def cheapest_model(family: str) -> tuple[contracts.Model, str, int]:
    """(model, resolution, duration) of the cheapest text-to-video of ``family`` ("ark" or "predictions"):
    fewest tokens at 480p 16:9 and the family's shortest duration for it (tokens are what a task is charged
    by [FIDELITY §2]; the predictions family has its own duration range)."""
    durations = {"ark": "duration", "predictions": "predictions_duration"}
    if family not in durations:
        raise ValueError(f"family must be one of {sorted(durations)}, not {family!r}")
    candidates = []
    for model in contracts.all_models():
        if "text" in model.scenarios and "480p" in model.resolutions:
            width, height = contracts.frame_size(model, "480p", "16:9")
            seconds = getattr(model, durations[family])[0]
            candidates.append((contracts.token_usage(width, height, seconds), model.id, model, seconds))
    _, _, model, seconds = min(candidates)
    return model, "480p", seconds
