"""client.webhooks: verifying a predictions webhook and parsing either callback body, with no server."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from client import Prediction, Task, WebhookVerificationError, webhooks

SECRET = "whsec_0123456789abcdef0123456789abcdef"
BODY = json.dumps(
    {"id": "cgt-20260101000000-abcde", "model": "m", "input": {"prompt": "a"}, "outputs": ["https://x/v.mp4"],
     "urls": {"get": "https://x/r"}, "has_nsfw_contents": [False], "status": "completed",
     "created_at": "2026-01-01 00:00:00", "error": None},
    separators=(",", ":"),
).encode()  # fmt: skip
NOW = 1_800_000_000


def _headers(body: bytes = BODY, *, stamp: int = NOW, secret: str = SECRET, wid: str = "msg_1") -> dict[str, str]:
    signature = webhooks.sign(secret, wid, stamp, body)
    return {"webhook-id": wid, "webhook-timestamp": str(stamp), "webhook-signature": signature}


def test_sign_is_the_documented_hmac() -> None:
    # HMAC-SHA256 over "{id}.{timestamp}.{body}", keyed by the secret's text after "whsec_" [FIDELITY §8].
    expected = hmac.new(SECRET[6:].encode(), b"msg_1.1800000000." + BODY, hashlib.sha256).hexdigest()
    assert webhooks.sign(SECRET, "msg_1", NOW, BODY) == "v3," + expected
    assert webhooks.sign(SECRET, "msg_1", NOW, BODY.decode()) == "v3," + expected


def test_a_good_webhook_verifies_with_any_header_case_and_several_signatures() -> None:
    webhooks.verify(_headers(), BODY, SECRET, now=NOW)
    upper = {k.title(): v for k, v in _headers().items()}
    webhooks.verify(upper, BODY, SECRET, now=NOW + 299)
    several = _headers()
    several["webhook-signature"] = "v3,00ff " + several["webhook-signature"]
    webhooks.verify(several, BODY, SECRET, now=NOW)


@pytest.mark.parametrize(
    ("headers", "body", "secret", "now", "why"),
    [
        (_headers(), BODY + b" ", SECRET, NOW, "does not match"),
        (_headers(), BODY, "whsec_other", NOW, "does not match"),
        (_headers(), BODY, SECRET, NOW + 301, "replay"),
        (_headers(), BODY, SECRET, NOW - 301, "replay"),
        ({**_headers(), "webhook-id": "msg_2"}, BODY, SECRET, NOW, "does not match"),
        ({**_headers(), "webhook-timestamp": "17e8"}, BODY, SECRET, NOW, "not Unix seconds"),
        ({**_headers(), "webhook-timestamp": "\ud800"}, BODY, SECRET, NOW, "not Unix seconds"),
        ({"webhook-id": "msg_1", "webhook-timestamp": str(NOW)}, BODY, SECRET, NOW, "missing"),
        ({**_headers(), "webhook-signature": "v3,\ud800"}, BODY, SECRET, NOW, "does not match"),
        ({**_headers(), "webhook-id": "\ud800"}, BODY, SECRET, NOW, "not printable ASCII"),
    ],
)
def test_a_bad_webhook_is_refused(headers: dict[str, str], body: bytes, secret: str, now: int, why: str) -> None:
    with pytest.raises(WebhookVerificationError, match=why):
        webhooks.verify(headers, body, secret, now=now)


def test_the_tolerance_is_adjustable() -> None:
    webhooks.verify(_headers(stamp=NOW - 3600), BODY, SECRET, now=NOW, tolerance=3600)


def test_parse_tells_the_two_bodies_apart() -> None:
    prediction = webhooks.parse(BODY)
    assert isinstance(prediction, Prediction) and prediction.succeeded
    assert prediction.video_url == "https://x/v.mp4"
    task_body = {"id": "cgt-20260101000000-abcde", "model": "m", "status": "succeeded", "created_at": 1,
                 "updated_at": 2, "content": {"video_url": "https://x/v.mp4"},
                 "usage": {"completion_tokens": 5, "total_tokens": 5}}  # fmt: skip
    task = webhooks.parse(json.dumps(task_body))
    assert isinstance(task, Task) and task.video_url == "https://x/v.mp4" and task.usage.total_tokens == 5
    assert webhooks.parse_callback(task_body) == task
    assert webhooks.parse_webhook({"code": 200, "message": "success", "data": json.loads(BODY)}).id == prediction.id
    for bad in (b"[1]", b"not json", b"\xff"):
        with pytest.raises(ValueError):
            webhooks.parse(bad)
