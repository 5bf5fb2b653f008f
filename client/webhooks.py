"""Receiving what the service sends back: verify a predictions webhook, parse either callback body.

An Ark task created with ``callback_url`` gets the bare task object POSTed on each status change; a
prediction submitted with ``?webhook=<url>`` gets the bare prediction POSTed when it ends, signed with
``webhook-id``, ``webhook-timestamp`` (Unix seconds) and ``webhook-signature: v3,<hex>``, where the hex is
HMAC-SHA256 of ``"{id}.{timestamp}.{raw body}"`` keyed by the secret from ``GET /api/v3/webhook/secret``
without its ``whsec_`` prefix [FIDELITY §8]::

    from client import webhooks

    async def receive(request):                      # an aiohttp handler
        raw = await request.read()
        webhooks.verify(request.headers, raw, secret)   # raises WebhookVerificationError
        prediction = webhooks.parse(raw)                # a Prediction (or a Task for an Ark callback)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from client._errors import WebhookVerificationError
from client._types import Prediction, Task

__all__ = ["DEFAULT_TOLERANCE", "parse", "parse_callback", "parse_webhook", "sign", "verify"]

#: Receivers refuse events whose timestamp is further than this from now, in seconds [FIDELITY §8].
DEFAULT_TOLERANCE = 300.0


def sign(secret: str, webhook_id: str, timestamp: int | str, body: bytes | str) -> str:
    """The ``webhook-signature`` value, ``v3,<hex>``, for a body sent at ``timestamp``."""
    key = secret.removeprefix("whsec_").encode()  # the remaining text itself, not base64-decoded
    raw = body.encode() if isinstance(body, str) else bytes(body)
    signed = f"{webhook_id}.{timestamp}.".encode() + raw
    return "v3," + hmac.new(key, signed, hashlib.sha256).hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise WebhookVerificationError(f"the {name} header is missing")


def verify(
    headers: Mapping[str, str],
    body: bytes | str,
    secret: str,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> None:
    """Raise :class:`WebhookVerificationError` unless the webhook is signed with ``secret`` and its timestamp
    is within ``tolerance`` seconds of ``now`` (default: the current time).

    ``body`` must be the raw bytes received, before any JSON parsing. The signatures are compared in constant
    time; the header may carry several space-separated signatures (any one matching is enough).
    """
    webhook_id = _header(headers, "webhook-id")
    stamp_text = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    stamp_text = stamp_text.strip()
    if not (webhook_id.isascii() and webhook_id.isprintable()):
        raise WebhookVerificationError("webhook-id is not printable ASCII")
    if not (stamp_text.isascii() and stamp_text.isdigit() and len(stamp_text) <= 12):
        raise WebhookVerificationError(f"webhook-timestamp {stamp_text[:20]!r} is not Unix seconds")
    stamp = int(stamp_text)
    current = time.time() if now is None else now
    if abs(current - stamp) > tolerance:
        raise WebhookVerificationError(
            f"webhook-timestamp is {current - stamp:+.0f} s from now (tolerance {tolerance:g} s): refused as a replay"
        )
    expected = sign(secret, webhook_id, stamp_text, body)
    for candidate in signatures.split():
        if candidate.isascii() and hmac.compare_digest(candidate.encode(), expected.encode()):
            return
    raise WebhookVerificationError("webhook-signature does not match the body and the secret")


def _json(body: bytes | str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(body, Mapping):
        return dict(body)
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"the callback body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("the callback body is not a JSON object")
    return data


def parse_callback(body: bytes | str | Mapping[str, Any]) -> Task:
    """An Ark callback body (the bare task object) as a :class:`Task`."""
    return Task.from_dict(_json(body))


def parse_webhook(body: bytes | str | Mapping[str, Any]) -> Prediction:
    """A predictions webhook body (the bare prediction; an envelope is accepted too) as a :class:`Prediction`."""
    return Prediction.from_envelope(_json(body))


def parse(body: bytes | str | Mapping[str, Any]) -> Task | Prediction:
    """Either body, told apart by its shape: a prediction has ``outputs`` / ``urls``, a task has neither."""
    data = _json(body)
    if isinstance(data.get("data"), dict) or "outputs" in data or "urls" in data:
        return Prediction.from_envelope(data)
    return Task.from_dict(data)
