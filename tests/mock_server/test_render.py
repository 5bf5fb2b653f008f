"""Media that show what was asked: input images, their order, the caption, and 4k as H.265 [issue 13.5, 13.10]."""

from __future__ import annotations

import base64
import gc
import io
import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import av
import numpy as np
import pytest
from PIL import Image

from mock_server.images import INPUTS_DIR, ingest_image
from mock_server.render import MediaSpec, prompt_excerpt, render_video
from tests.mock_server.conftest import AUTH, Mock

TASKS = "/api/v3/contents/generations/tasks"
I2V = "seedance-1-0-lite-i2v-250428"  # takes `frames`: short videos keep the tests quick
RED, GREEN, BLUE = (230, 20, 20), (20, 200, 40), (20, 30, 230)


def data_uri(colour: tuple[int, int, int], size: tuple[int, int] = (640, 400), fmt: str = "PNG") -> str:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, fmt)
    return f"data:image/{fmt.lower()};base64,{base64.b64encode(buf.getvalue()).decode()}"


def image_item(url: str, role: str) -> dict:
    return {"type": "image_url", "image_url": {"url": url}, "role": role}


def decode(data: bytes | Path) -> list[np.ndarray]:
    source = io.BytesIO(data) if isinstance(data, bytes) else str(data)
    with av.open(source) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def colour_of(frame: np.ndarray) -> tuple[int, ...]:
    """Mean colour of the bottom-right quarter (clear of the caption box at the top left)."""
    h, w, _ = frame.shape
    return tuple(int(c) for c in frame[h // 2 :, w // 2 :].reshape(-1, 3).mean(axis=0))


def near(colour: tuple[int, ...], target: tuple[int, int, int], tolerance: int = 24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, target, strict=True))


async def finished_task(mock: Mock, method_path: str, body: dict, advance: float = 10) -> dict:
    """Create through either family, run it to the end, return the Ark task object."""
    status, data, _ = await mock.call("POST", method_path, json=body)
    assert status == 200, data
    task_id = data["id"] if "id" in data else data["data"]["id"]
    await mock.advance(advance)
    status, task, _ = await mock.call("GET", f"{TASKS}/{task_id}")
    assert task["status"] == "succeeded", task
    return task


async def finished(mock: Mock, method_path: str, body: dict) -> str:
    """The video URL of a finished task."""
    return (await finished_task(mock, method_path, body))["content"]["video_url"]


async def download(mock: Mock, url: str) -> bytes:
    parts = urlsplit(url)
    resp = await mock.client.get(f"{parts.path}?{parts.query}")
    assert resp.status == 200, await resp.text()
    return await resp.read()


# -- first and last frames, both families ----------------------------------------------------------------
async def test_ark_first_and_last_frame_open_and_close_the_video(mock: Mock) -> None:
    body = {
        "model": I2V,
        "content": [
            {"type": "text", "text": "a red room turns blue"},
            image_item(data_uri(RED), "first_frame"),
            image_item(data_uri(BLUE), "last_frame"),
        ],
        "resolution": "480p",
        "frames": 29,
        "return_last_frame": True,
    }
    task = await finished_task(mock, TASKS, body)
    frames = decode(await download(mock, task["content"]["video_url"]))
    assert len(frames) == 29
    assert near(colour_of(frames[0]), RED) and near(colour_of(frames[-1]), BLUE)
    middle = colour_of(frames[14])  # the cross-fade: neither colour yet
    assert not near(middle, RED) and not near(middle, BLUE)
    # The last-frame PNG is the video's last picture: blue.
    png = decode(await download(mock, task["content"]["last_frame_url"]))[0]
    assert near(colour_of(png), BLUE)


async def test_predictions_image_and_last_image_open_and_close_the_video(mock: Mock) -> None:
    body = {
        "prompt": "a red room turns blue",
        "image": data_uri(RED),
        "last_image": data_uri(BLUE),
        "resolution": "480p",
        "duration": 4,
    }
    url = await finished(mock, "/api/v3/bytedance/dreamina-seedance-2-0-260128/image-to-video", body)
    frames = decode(await download(mock, url))
    assert len(frames) == 97
    assert near(colour_of(frames[0]), RED) and near(colour_of(frames[-1]), BLUE)


async def test_reference_images_appear_in_turn(mock: Mock) -> None:
    body = {
        "model": I2V,
        "content": [
            {"type": "text", "text": "three colours"},
            *(image_item(data_uri(c), "reference_image") for c in (RED, GREEN, BLUE)),
        ],
        "resolution": "480p",
        "frames": 49,
    }
    frames = decode(await download(mock, await finished(mock, TASKS, body)))
    # Three equal slots of 49 frames: 0–15, 16–32, 33–48; a slot's start shows its image whole.
    assert [near(colour_of(frames[i]), c) for i, c in ((0, RED), (17, GREEN), (34, BLUE))] == [True] * 3
    assert near(colour_of(frames[-1]), BLUE)
    # Between two slots the next image wipes in from the left: halfway (frame 13 of the first change) the
    # left of the picture is already green while its right is still red [FIDELITY §11].
    h, w, _ = frames[13].shape
    left, right = frames[13][h // 2 :, : w // 4], frames[13][h // 2 :, 3 * w // 4 :]
    assert near(tuple(int(c) for c in left.reshape(-1, 3).mean(axis=0)), GREEN)
    assert near(tuple(int(c) for c in right.reshape(-1, 3).mean(axis=0)), RED)


async def test_an_https_image_is_a_card_naming_its_host_not_a_fetch(mock: Mock) -> None:
    body = {
        "model": I2V,
        "content": [{"type": "text", "text": "x"}, image_item("https://img.example.org/cat.png", "first_frame")],
        "resolution": "480p",
        "frames": 29,
    }
    url = await finished(mock, TASKS, body)
    assert "spec=" in url
    token = parse_qs(urlsplit(url).query)["spec"][0]
    name = urlsplit(url).path.rsplit("/", 1)[1].rsplit(".", 1)[0]
    assert MediaSpec.from_key(name, token).images == ("url:img.example.org",)
    frame = decode(await download(mock, url))[0]
    assert near(colour_of(frame), (52, 64, 84), 12)  # the slate placeholder card


# -- the caption -----------------------------------------------------------------------------------------
async def test_the_caption_is_drawn_and_differs_per_task(mock: Mock) -> None:
    body = {
        "model": I2V,
        "content": [{"type": "text", "text": "same request"}, image_item(data_uri(RED), "first_frame")],
        "resolution": "480p",
        "frames": 29,
    }
    first = decode(await download(mock, await finished(mock, TASKS, body)))[0]
    second = decode(await download(mock, await finished(mock, TASKS, body)))[0]
    box = first[8:120, 8:300].astype(int)  # the caption's corner at 480p
    # A dark box with light text on the red picture: both kinds of pixel are there.
    assert (box.sum(axis=2) < 200).mean() > 0.3 and (box.min(axis=2) > 200).mean() > 0.02
    # Same request, another task id: only the caption tells them apart, and it does.
    assert np.abs(first.astype(int) - second.astype(int))[:120].mean() > 1
    assert np.array_equal(first[300:], second[300:])


async def test_an_odd_prompt_still_makes_a_file(mock: Mock) -> None:
    # (A lone surrogate never gets this far: the API refuses it at the door [FIDELITY §12].)
    prompt = "\x01 odd, \x00 control, 猫 " + "long " * 5000
    body = {"model": "seedance-1-0-lite-t2v-250428", "content": [{"type": "text", "text": prompt}],
            "resolution": "480p", "frames": 29}  # fmt: skip
    url = await finished(mock, TASKS, body)
    spec = MediaSpec.from_key(urlsplit(url).path.rsplit("/", 1)[1][:-4], parse_qs(urlsplit(url).query)["spec"][0])
    assert spec.prompt.startswith("odd, control, 猫 long") and spec.prompt.endswith("…")
    assert len(decode(await download(mock, url))) == 29


def test_caption_scales_with_the_picture(tmp_path: Path) -> None:
    """The caption is sized from the short side: its text is as legible at 480p as at 1080p."""

    def caption_rows(w: int, h: int) -> int:
        spec = MediaSpec(w, h, 1, False, 1, task_id="cgt-x", model="m", resolution="r", prompt="p q r")
        frame = decode(render_video(spec, tmp_path / f"{w}.mp4"))[0]
        dark = (frame[:, : w // 4].astype(int).sum(axis=2) < 120).mean(axis=1) > 0.5
        return int(dark.sum())

    small, large = caption_rows(864, 496), caption_rows(1920, 1088)
    assert small >= 90  # four lines of about 19 px
    assert large == pytest.approx(small * 1088 / 496, rel=0.1)


# -- 4k --------------------------------------------------------------------------------------------------
def test_4k_is_3840x2160_hevc_10_bit(tmp_path: Path) -> None:
    assert "libx265" in av.codecs_available
    spec = MediaSpec(3840, 2160, 2, True, 1, task_id="cgt-4k", model="dreamina-seedance-2-0-260128",
                     resolution="4K", prompt="four k")  # fmt: skip
    path = render_video(spec, tmp_path / "4k.mp4")
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        assert video.codec_context.name == "hevc"
        assert (video.codec_context.width, video.codec_context.height) == (3840, 2160)
        assert video.pix_fmt == "yuv420p10le"
        assert video.codec_context.codec_tag == "hvc1"
        assert [a.codec_context.name for a in container.streams.audio] == ["aac"]
        assert sum(1 for _ in container.decode(video=0)) == 2
    other = render_video(MediaSpec(1280, 720, 3, False, 1, resolution="720p"), tmp_path / "720.mp4")
    with av.open(str(other)) as container:
        assert (container.streams.video[0].codec_context.name, container.streams.video[0].pix_fmt) == (
            "h264",
            "yuv420p",
        )


async def test_a_4k_task_names_a_3840x2160_hevc_file(mock: Mock) -> None:
    """Through the API: the 4k task's URL names the spec that test_4k_is_3840x2160_hevc_10_bit renders
    (rendering 97 frames of 4k here would cost the suite seconds for no further fact)."""
    body = {"model": "dreamina-seedance-2-0-260128", "content": [{"type": "text", "text": "4k"}],
            "resolution": "4k", "ratio": "16:9", "duration": 4}  # fmt: skip
    url = await finished(mock, TASKS, body)
    parts = urlsplit(url)
    spec = MediaSpec.from_key(parts.path.rsplit("/", 1)[1][:-4], parse_qs(parts.query)["spec"][0])
    assert (spec.width, spec.height, spec.frames, spec.hevc) == (3840, 2160, 97, True)


def test_4k_21_9_fits() -> None:
    assert MediaSpec(4398, 1886, 1, False, 1, resolution="4k").hevc  # [FIDELITY §11] widest 4k row


# -- input images: stored small, by digest, never kept in memory -----------------------------------------
def test_ingest_stores_a_small_copy_by_digest(tmp_path: Path) -> None:
    uri = data_uri(RED, (3000, 2000), "JPEG")
    ref = ingest_image(uri, tmp_path)
    assert ref.startswith("sha256:") and len(ref) == 7 + 32
    stored = tmp_path / INPUTS_DIR / f"{ref[7:]}.jpg"
    with Image.open(stored) as small:
        assert max(small.size) <= 1280
    assert ingest_image(uri, tmp_path) == ref  # content-addressed: same image, same reference
    assert ingest_image(data_uri(BLUE), tmp_path) != ref
    assert ingest_image("http://example.com:8080/x.png", tmp_path) == "url:example.com"
    assert ingest_image("asset://asset-123", tmp_path) == "url:asset://asset-123"
    assert ingest_image("data:image/png;base64,AAAA", tmp_path) == "bad:undecodable"
    assert ingest_image("data:text/plain,hello", tmp_path) == "bad:not-an-image"


def test_unshowable_images_render_as_cards(tmp_path: Path) -> None:
    gone = "sha256:" + "0" * 32  # e.g. evicted from the cache since the create
    spec = MediaSpec(320, 240, 2, False, 1, scenario="first_last_frame", images=(gone, "bad:undecodable"))
    frames = decode(render_video(spec, tmp_path / "cards.mp4"))
    assert all(near(colour_of(f), (52, 64, 84), 12) for f in frames)


async def test_memory_stays_flat_while_creating_with_large_data_images(make_mock: Callable[..., Any]) -> None:
    # The request journal holds bodies and is bounded on its own (issue 10): one entry here, so what is
    # measured is what a task and its media keep.
    mock = await make_mock(journal_size=1)
    noise = np.random.default_rng(1).integers(0, 256, (1000, 1000, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(noise).save(buf, "PNG", compress_level=0)
    png = buf.getvalue()  # about 3 MB; bytes after IEND make each copy a new image to the digest

    async def create(i: int) -> int:
        uri = "data:image/png;base64," + base64.b64encode(png + i.to_bytes(4, "big")).decode()
        body = {"model": I2V, "content": [{"type": "text", "text": "x"}, image_item(uri, "first_frame")],
                "resolution": "480p", "frames": 29}  # fmt: skip
        data = io.BytesIO(json.dumps(body).encode())
        del body, uri
        resp = await mock.client.post(TASKS, data=data, headers={**AUTH, "Content-Type": "application/json"})
        return resp.status

    tracemalloc.start()
    try:
        # Warm up imports and caches. aiohttp holds on to the latest request until the next one, so one
        # body stays alive at any time: measured from here, that one is in both figures.
        assert await create(0) == 200
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for i in range(1, 5):
            assert await create(i) == 200
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 2_000_000, f"{grown} bytes kept after four creates of {len(png) * 4 // 3} bytes each"


# -- the spec and its URL token --------------------------------------------------------------------------
def test_key_names_every_pixel_and_the_token_round_trips() -> None:
    base = MediaSpec(864, 496, 25, True, 9, task_id="cgt-1", model="m", resolution="480p", prompt="p",
                     scenario="first_frame", images=("sha256:" + "a" * 32,))  # fmt: skip
    assert MediaSpec.from_key(base.key, base.token) == base
    variants = [
        MediaSpec(864, 496, 25, True, 9, task_id="cgt-2", model="m", resolution="480p", prompt="p",
                  scenario="first_frame", images=("sha256:" + "a" * 32,)),
        MediaSpec(864, 496, 25, True, 9, task_id="cgt-1", model="m", resolution="480p", prompt="p",
                  scenario="first_frame", images=("sha256:" + "b" * 32,)),
        MediaSpec(864, 496, 25, True, 9, task_id="cgt-1", model="m", resolution="480p", prompt="q",
                  scenario="first_frame", images=("sha256:" + "a" * 32,)),
    ]  # fmt: skip
    assert len({base.key, *(v.key for v in variants)}) == 4
    with pytest.raises(ValueError):
        MediaSpec.from_key(base.key)  # the digest without what it stands for
    with pytest.raises(ValueError):
        MediaSpec.from_key(base.key, variants[0].token)  # another request's token
    with pytest.raises(ValueError):
        MediaSpec.from_key(base.key, "not base64 json!")
    assert MediaSpec(2, 2, 1, False, 1).token == ""  # plain specs keep issue 4's keys


async def test_a_tampered_token_is_refused(mock: Mock) -> None:
    body = {"model": I2V, "content": [{"type": "text", "text": "x"}, image_item(data_uri(RED), "first_frame")],
            "resolution": "480p", "frames": 29}  # fmt: skip
    url = await finished(mock, TASKS, body)
    token = parse_qs(urlsplit(url).query)["spec"][0]
    forged = url.replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    parts = urlsplit(forged)
    resp = await mock.client.get(f"{parts.path}?{parts.query}")
    assert resp.status == 404 and "x-request-id" in {k.lower() for k in resp.headers}


def test_prompt_excerpt() -> None:
    assert prompt_excerpt("one two three", words=2) == "one two…"
    assert prompt_excerpt("a\ud800b\x00c\nd") == "a?b c d"
    assert prompt_excerpt(None) == ""
    assert len(prompt_excerpt("x" * 5000)) == 100
