"""What the request path's own shortcuts promise [issue 17]: a small body journaled as its bytes reads back as
summing it up at once did; the frame (one wrapper per route, no middleware) still shapes every answer, also a
route nobody registered; task ids keep their shape and their draw."""

from __future__ import annotations

import json
import random
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from mock_server import state as state_module
from mock_server import wire
from mock_server.createbody import carries_inline_image
from mock_server.journal import RAW_BODY_BYTES, Journal, RawBody
from mock_server.wire import parse_json
from tests.mock_server.conftest import Mock
from tests.support import text_body

TASKS = "/api/v3/contents/generations/tasks"

_strings = st.one_of(
    st.text(max_size=8),
    st.text(min_size=195, max_size=260),  # around the journal's 200-character cut
    st.sampled_from(["data:image/png;base64,iVBORw0KGgo=", "DATA:text/plain,hi", "é" * 201, "\U0001f600" * 3]),
)
_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**63), 2**63),
        st.floats(allow_nan=False, allow_infinity=False),
        _strings,
    ),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_strings, inner, max_size=4),
    max_leaves=30,
)


def _entry_body(body: Any) -> Any:
    journal = Journal(10, 2**20)
    return journal.record(0.0, "rid", "POST", TASKS, "", "sk-test-key", body, 200).as_json()["body"]


@given(_values, st.booleans())
def test_a_small_body_kept_as_bytes_reads_back_as_summing_it_up_did(value: Any, ascii_only: bool) -> None:
    raw = json.dumps(value, ensure_ascii=ascii_only).encode()
    assert _entry_body(RawBody(raw)) == _entry_body(parse_json(raw))


async def test_the_journal_keeps_small_bodies_as_bytes_and_sums_up_larger_ones(mock: Mock) -> None:
    long_prompt = "a fox " * 60  # 360 characters: cut in what the journal shows
    small = text_body(prompt=long_prompt)
    large = text_body(prompt=long_prompt, safety_identifier="x" * 60, callback_url=None)
    large["content"] += [{"type": "text", "text": "y" * 150}] * 30  # > RAW_BODY_BYTES in all
    assert len(json.dumps(small)) <= RAW_BODY_BYTES < len(json.dumps(large))
    for body in (small, large):
        status, _, _ = await mock.call("POST", TASKS, json=body)
        assert status in (200, 400)
    entries = [e for e in mock.state.journal if e.method == "POST"]
    assert type(entries[-2].body) is RawBody and type(entries[-1].body) is not RawBody
    status, shown, _ = await mock.call("GET", "/_mock/requests", key=None)
    assert status == 200
    kept = [e["body"] for e in shown["items"] if e["method"] == "POST"][-2:]
    assert kept[0]["content"][0]["text"] == long_prompt[:200] + f"…({len(long_prompt)} chars)"
    assert kept[1]["content"][0]["text"] == long_prompt[:200] + f"…({len(long_prompt)} chars)"


async def test_a_route_nobody_registered_is_answered_by_the_frame(mock: Mock) -> None:
    # 404 and 405 come from the catch-all route, inside the frame: upstream shape, request id, journaled.
    status, data, headers = await mock.call("GET", "/api/v3/no/such/thing")
    assert status == 404 and data["error"]["code"] == "NotFound" and headers["x-request-id"]
    status, data, headers = await mock.call("PATCH", TASKS)
    assert status == 405 and set(headers["Allow"].split(",")) == {"GET", "HEAD", "POST"}
    assert headers["x-request-id"] == data["error"]["message"].rsplit(" ", 1)[-1]
    assert [e.status for e in mock.state.journal][-2:] == [404, 405]


def test_task_ids_are_five_base36_digits_of_one_draw_lowest_first() -> None:
    # The seeded draw gives the ids it always gave (--random-seed replays a session).
    rng = random.Random(7)
    n = rng.getrandbits(26) % 36**5
    digits = ""
    for _ in range(5):
        n, d = divmod(n, 36)
        digits += "0123456789abcdefghijklmnopqrstuvwxyz"[d]
    state = state_module.MockState.build(state_module.MockConfig(random_seed=7, time_scale=0))
    try:
        assert state.new_id(1_767_225_600.0) == f"cgt-20260101000000-{digits}"
    finally:
        state.media.close()


@given(st.binary(max_size=6), st.sampled_from([b"", b"{", b"[", b"{\x00", b"[\x00\x00\x00", b'{"a":1}']))
def test_the_encoding_shortcut_agrees_with_json(tail: bytes, head: bytes) -> None:
    raw = head + tail
    assert wire.detect_encoding(raw) == json.detect_encoding(raw)


_urls = st.sampled_from([
    "https://example.org/cat.png", "data:image/png;base64,iVBORw0KGgo=", "DATA:image/png;base64,AAAA",
    "dAtA:image/gif;base64,R0lG", "\\u0064ata:image/png;base64,AA", "d\\u0061ta:x", "data", "ata:",
])  # fmt: skip


@given(
    st.lists(st.tuples(st.sampled_from(["image_url", "text"]), _urls), max_size=4),
    st.sampled_from(["utf-8", "utf-16", "utf-32"]),
)
@example([("image_url", "\\u0064ata:image/png;base64,AA")], "utf-8")
@example([("image_url", "dAtA:image/gif;base64,R0lG")], "utf-8")
@example([("image_url", "data:image/png;base64,iVBORw0KGgo=")], "utf-16")
def test_a_body_that_cannot_hold_a_data_uri_carries_no_inline_image(items: list[tuple[str, str]], codec: str) -> None:
    content = [
        {"type": "image_url", "image_url": {"url": url}} if kind == "image_url" else {"type": "text", "text": url}
        for kind, url in items
    ]
    # The escapes are written into the JSON text as they are, so the parsed URL is "data:…" while the bytes are not.
    text = json.dumps({"model": "m", "content": content}).replace("\\\\u", "\\u")
    raw = text.encode(codec)
    body = wire.parse_json(raw)
    if not wire.may_hold_data_uri({wire.RAW_BODY: raw}):  # type: ignore[arg-type]
        assert not carries_inline_image(body)
    if codec == "utf-8" and not any(u.lower().startswith(("data:", "\\u", "d\\u")) for _, u in items):
        assert not wire.may_hold_data_uri({wire.RAW_BODY: raw})  # type: ignore[arg-type]  # what it is for


async def test_a_body_read_for_a_fault_rule_is_judged_once_more_as_it_came(mock: Mock) -> None:
    # A rule naming a model reads the body to find it; a body it cannot parse then reaches the handler, which must
    # see the same bytes (the stream is read once): "not valid JSON", not "empty".
    status, _, _ = await mock.call("POST", "/_mock/faults", json={"path": TASKS, "model": "x", "status": 503})
    assert status == 201
    headers = {"Authorization": "Bearer sk-test", "Content-Type": "application/json"}
    for body in (b'{"model": "dreamina-seedance-2-0-260128", "content": [', b"\xff\xfe{"):
        resp = await mock.client.post(TASKS, data=body, headers=headers)
        error = (await resp.json())["error"]
        assert resp.status == 400 and error["code"] == "InvalidParameter", error
        assert "not valid JSON" in error["message"], error
    # A body it can parse comes to the handler whole as well.
    resp = await mock.client.post(TASKS, data=json.dumps(text_body()).encode(), headers=headers)
    assert resp.status == 200, await resp.text()


# -- a create's data: image is decoded once: the journal sums it up from what storing it learnt -------------
def _noisy_png() -> bytes:
    import io
    import os

    from PIL import Image

    out = io.BytesIO()
    Image.frombytes("RGB", (160, 120), os.urandom(160 * 120 * 3)).save(out, format="PNG")
    return out.getvalue()  # ~58 kB: its base64 is over the 64 KiB kept whole


def _image_uris() -> dict[str, tuple[str, bool]]:
    """Each data: URI shape, and whether its facts can come from storing the image (its base64 is strict)."""
    import base64
    from urllib.parse import quote_from_bytes

    png = _noisy_png()
    plain = base64.b64encode(png).decode()
    assert len(plain) > 64 * 1024
    wrapped = "\r\n".join(plain[i : i + 76] for i in range(0, len(plain), 76))
    loose = plain[:1000] + "!*" + plain[1000:]  # stray characters: a loose decoder drops them, facts refuse them
    return {
        "base64": ("data:image/png;base64," + plain, True),
        "mime-wrapped": ("data:image/png;base64," + wrapped, True),
        "url-safe": ("data:image/png;base64," + base64.urlsafe_b64encode(png).decode(), True),
        "percent-encoded": ("data:image/png," + quote_from_bytes(png), True),
        "loose": ("data:image/png;base64," + loose, False),
    }


async def test_a_data_image_is_decoded_once_and_journaled_as_decoding_it_again_would(mock: Mock, monkeypatch) -> None:
    from mock_server import journal as journal_module
    from mock_server.images import data_uri_facts

    decoded_again: list[int] = []

    def counted(url: str) -> Any:
        decoded_again.append(len(url))
        return data_uri_facts(url)

    monkeypatch.setattr(journal_module, "data_uri_facts", counted)
    for name, (uri, shared) in _image_uris().items():
        decoded_again.clear()
        body = text_body(ratio="adaptive")
        body["content"].append({"type": "image_url", "image_url": {"url": uri}, "role": "first_frame"})
        status, answer, _ = await mock.call("POST", TASKS, json=body)
        assert status == 200, (name, answer)
        kept = mock.state.journal[-1].as_json()["body"]["content"][1]["image_url"]["url"]
        assert kept == data_uri_facts(uri), name
        assert decoded_again == ([] if shared else [len(uri)]), name
        if shared:  # the image was measured (160 × 120)
            assert mock.state.store.get(answer["id"]).spec.actual_ratio == "4:3", name
    # The predictions family's submit shares them the same way.
    uri = _image_uris()["base64"][0]
    decoded_again.clear()
    path = "/api/v3/bytedance/dreamina-seedance-2-0-260128/image-to-video"
    status, answer, _ = await mock.call("POST", path, json={"prompt": "a cat", "image": uri})
    assert status == 200, answer
    assert mock.state.journal[-1].as_json()["body"]["image"] == data_uri_facts(uri) and decoded_again == []
