"""The dashboard's page and feeds without a browser: GET /_mock/ui, /_mock/tasks, /_mock/tasks/{id}."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from typing import Any

from PIL import Image

from mock_server.ui import shown_body
from tests.mock_server.conftest import KEY, Mock

TASKS = "/api/v3/contents/generations/tasks"
MODEL = "dreamina-seedance-2-0-260128"
FAST = "doubao-seedance-2-0-fast-260128"
OTHER = "sk-other-9876543210"


def ark_body(prompt: str = "a fox", **extra: object) -> dict[str, object]:
    return {"model": MODEL, "content": [{"type": "text", "text": prompt}], **extra}


async def create(mock: Mock, prompt: str = "a fox", key: str = KEY, **extra: object) -> str:
    status, data, _ = await mock.call("POST", TASKS, json=ark_body(prompt, **extra), key=key)
    assert status == 200, data
    return data["id"]


async def submit(mock: Mock, prompt: str = "a heron", key: str = KEY) -> str:
    path = f"/api/v3/bytedance/{FAST}/text-to-video"
    status, data, _ = await mock.call("POST", path, json={"prompt": prompt}, key=key)
    assert status == 200, data
    return data["data"]["id"]


def png_data_uri(width: int, height: int) -> str:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


# -- the page ---------------------------------------------------------------------------------------------
async def test_the_page_is_one_offline_document_whose_policy_allows_only_its_own_code(mock: Mock) -> None:
    resp = await mock.client.get("/_mock/ui")
    assert resp.status == 200 and resp.content_type == "text/html"
    html = await resp.text()
    assert re.findall(r"https?://", html) == []  # nothing fetched from elsewhere: no CDN, works offline
    assert "/*SCRIPT*/" not in html and "/*STYLE*/" not in html
    script = re.search(r"<script>(.*)</script>", html, re.S).group(1)
    style = re.search(r"<style>(.*)</style>", html, re.S).group(1)
    policy = resp.headers["Content-Security-Policy"]
    for code, directive in ((script, "script-src"), (style, "style-src")):
        digest = base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in policy
    assert "frame-ancestors 'none'" in policy and resp.headers["X-Frame-Options"] == "DENY"
    assert "connect-src 'self'" in policy


# -- the task feed ----------------------------------------------------------------------------------------
async def test_the_feed_lists_every_keys_tasks_newest_first_with_keys_redacted(mock: Mock) -> None:
    first = await create(mock, "one")
    await mock.advance(1)
    second = await submit(mock, "two", key=OTHER)
    status, feed, _ = await mock.call("GET", "/_mock/tasks", key=None)
    assert status == 200
    assert [t["id"] for t in feed["items"]] == [second, first]
    one, two = feed["items"][1], feed["items"][0]
    assert (one["status"], one["family"], one["key"], one["model"]) == ("running", "ark", "sk-…6789", MODEL)
    assert (two["status"], two["family_status"], two["family"], two["op"]) == (
        "queued",
        "created",
        "predictions",
        "text-to-video",
    )
    # Text-only 2.x asks "adaptive" by default; the model picks a concrete ratio [FIDELITY §5].
    assert one["resolution"] == "720p" and one["ratio"] == "adaptive" and one["duration"] == 5
    assert one["actual_ratio"] in ("16:9", "4:3", "1:1", "3:4", "9:16", "21:9")
    assert one["status_time"] == one["created_at"] + 1
    assert feed["counts"]["queued"] == 1 and feed["counts"]["running"] == 1 and feed["total"] == 2
    assert feed["keys"] == sorted(["sk-…6789", "sk-…3210"])
    text = str(feed)
    assert KEY not in text and OTHER not in text


async def test_the_feed_filters_by_status_model_and_key(mock: Mock) -> None:
    ark = await create(mock)
    prediction = await submit(mock, key=OTHER)

    async def ids(query: str) -> list[str]:
        status, feed, _ = await mock.call("GET", "/_mock/tasks?" + query, key=None)
        assert status == 200, feed
        return [t["id"] for t in feed["items"]]

    assert await ids("key=sk-…3210") == [prediction]
    assert await ids(f"key={KEY}") == [ark]  # the full key works too
    assert await ids(f"model={MODEL.upper()}") == [ark]
    assert await ids("model=dreamina-seedance-2-0-fast-260128") == [prediction]  # canonical id of the alias
    assert await ids("status=queued&status=running") == [prediction, ark]
    assert await ids("status=succeeded") == []
    assert await ids("limit=1") == [prediction]
    assert await ids("key=%ED%A0%80") == []  # a lone surrogate is just a key nobody has


async def test_bad_feed_queries_are_400s_in_the_control_planes_shape(mock: Mock) -> None:
    for query in ("status=done", "limit=x", "limit=0", "limit=100000"):
        status, body, headers = await mock.call("GET", "/_mock/tasks?" + query, key=None)
        assert status == 400, query
        assert body["error"]["code"] == "InvalidParameter" and body["error"]["message"]
        assert headers["x-request-id"]


async def test_finish_seconds_is_enough_for_every_task_to_end(mock: Mock) -> None:
    ids = [await create(mock, f"clip {i}") for i in range(12)]  # 10 run at once: two rounds
    await create(mock, "never starts [mock:expire]")
    _, feed, _ = await mock.call("GET", "/_mock/tasks", key=None)
    assert feed["finish_seconds"] == 1 + 2 * 3
    await mock.advance(feed["finish_seconds"])
    _, feed, _ = await mock.call("GET", "/_mock/tasks", key=None)
    statuses = {t["id"]: t["status"] for t in feed["items"]}
    assert {statuses[i] for i in ids} == {"succeeded"}
    assert feed["finish_seconds"] == 0  # only the [mock:expire] task is left, and it never finishes


# -- one task ---------------------------------------------------------------------------------------------
async def test_a_tasks_detail_holds_what_each_family_answers_and_its_media(mock: Mock) -> None:
    task_id = await create(mock, return_last_frame=True)
    await mock.advance(4)
    status, detail, _ = await mock.call("GET", f"/_mock/tasks/{task_id}", key=None)
    assert status == 200
    _, ark, _ = await mock.call("GET", f"{TASKS}/{task_id}")
    _, prediction, _ = await mock.call("GET", f"/api/v3/predictions/{task_id}/result")
    assert detail["ark"] == ark and detail["prediction"] == prediction
    assert detail["video_url"] == ark["content"]["video_url"]
    assert detail["last_frame_url"] == ark["content"]["last_frame_url"]
    assert detail["task"]["video_url"] == detail["video_url"]
    assert detail["body"] == ark_body(return_last_frame=True)
    assert detail["request"]["path"] == TASKS


async def test_data_media_in_the_create_body_is_summarised_with_a_thumbnail(mock: Mock) -> None:
    uri = png_data_uri(640, 360)
    body = ark_body("see the image")
    body["content"].append({"type": "image_url", "image_url": {"url": uri}})
    status, created, _ = await mock.call("POST", TASKS, json=body)
    assert status == 200, created
    resp = await mock.client.get(f"/_mock/tasks/{created['id']}")
    raw = await resp.text()
    assert uri[30:200] not in raw  # the image itself is not sent back
    shown = (await resp.json())["body"]["content"]
    image = shown[1]["image_url"]["url"]
    assert image["data_uri"] is True and image["mime"] == "image/png"
    assert (image["width"], image["height"]) == (640, 360)
    assert image["bytes"] == len(base64.b64decode(uri.split(",", 1)[1]))
    thumb = Image.open(io.BytesIO(base64.b64decode(image["thumbnail"].split(",", 1)[1])))
    assert thumb.size == (160, 90)


def test_data_uris_that_are_not_images_are_summarised_without_a_thumbnail() -> None:
    not_png = "data:image/png;base64," + base64.b64encode(b"not an image" * 1000).decode()
    shown = shown_body({"a": [not_png, "data:video/mp4;base64,AAAA", "data:,hello", "data:"], "b": "x" * 5000})
    assert shown["a"][0] == {"data_uri": True, "mime": "image/png", "bytes": 12000}
    assert shown["a"][1] == {"data_uri": True, "mime": "video/mp4", "bytes": 3}
    assert shown["a"][2] == {"data_uri": True, "mime": "text/plain", "bytes": 5}
    assert shown["a"][3]["data_uri"] is True
    assert shown["b"].endswith("…(5000 chars)") and len(shown["b"]) < 4100
    deep: object = "bottom"
    for _ in range(200):
        deep = [deep]
    assert "nested deeper" in str(shown_body(deep))


async def test_each_task_gets_its_own_create_body_despite_deletes_and_a_short_journal(make_mock: Any) -> None:
    mock = await make_mock(journal_size=6)
    a = await create(mock, "a")
    b = await create(mock, "b")  # same key, model and frozen instant as a
    c = await create(mock, "c", key=OTHER)
    await mock.advance(4)
    assert (await mock.call("DELETE", f"{TASKS}/{a}"))[0] == 200
    d = await create(mock, "d")
    e = await submit(mock, "e")

    async def prompt(task_id: str) -> str | None:
        _, detail, _ = await mock.call("GET", f"/_mock/tasks/{task_id}", key=None)
        body = detail["body"]
        if body is None:
            return None
        return body["content"][0]["text"] if "content" in body else body["prompt"]

    assert [await prompt(t) for t in (b, c, d, e)] == ["b", "c", "d", "e"]
    for _ in range(6):  # push every create out of the journal
        await mock.call("GET", f"{TASKS}/{b}")
    assert await prompt(b) is None


async def test_an_unknown_task_is_a_404(mock: Mock) -> None:
    for task_id in ("cgt-nope", "%ED%A0%80", "x" * 5000):
        status, body, headers = await mock.call("GET", f"/_mock/tasks/{task_id}", key=None)
        assert status == 404 and body["error"]["code"] == "NotFound" and headers["x-request-id"]


async def test_an_unchanged_feed_is_a_304_and_any_change_makes_a_new_etag(mock: Mock) -> None:
    await create(mock)
    first = await mock.client.get("/_mock/tasks")
    etag = first.headers["ETag"]
    again = await mock.client.get("/_mock/tasks", headers={"If-None-Match": etag})
    assert again.status == 304 and again.headers["ETag"] == etag and await again.read() == b""
    filtered = await mock.client.get("/_mock/tasks?status=running", headers={"If-None-Match": etag})
    assert filtered.status == 200  # other rows, other tag
    await mock.advance(1)  # queued -> running
    moved = await mock.client.get("/_mock/tasks", headers={"If-None-Match": etag})
    assert moved.status == 200 and moved.headers["ETag"] != etag
    assert (await moved.json())["items"][0]["status"] == "running"
    await mock.advance(0.5)  # nothing changes state, but the clock moved: the page must hear of it
    ticked = await mock.client.get("/_mock/tasks", headers={"If-None-Match": moved.headers["ETag"]})
    assert ticked.status == 200
