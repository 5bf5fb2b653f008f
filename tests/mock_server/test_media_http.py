"""Real media over HTTP: every succeeded task's URL serves a playable file that matches what was asked."""

from __future__ import annotations

import base64
import io
from urllib.parse import urlsplit

import av
import numpy as np
import pytest

import contracts
from tests.mock_server.conftest import Mock
from tests.support import text_body

TASKS = "/api/v3/contents/generations/tasks"


async def finished_task(mock: Mock, body: dict) -> dict:
    status, data, _ = await mock.call("POST", TASKS, json=body)
    assert status == 200, data
    await mock.advance(10)
    status, task, _ = await mock.call("GET", f"{TASKS}/{data['id']}")
    assert task["status"] == "succeeded", task
    return task


async def download(mock: Mock, url: str, **headers: str) -> tuple[int, bytes, dict]:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == mock.origin  # points at this server
    resp = await mock.client.get(f"{parts.path}?{parts.query}", headers=headers)
    return resp.status, await resp.read(), resp.headers


def probe(data: bytes) -> dict:
    with av.open(io.BytesIO(data)) as container:
        video = container.streams.video[0]
        frames = sum(1 for _ in container.decode(video=0))
        info = {
            "codec": video.codec_context.name,
            "size": (video.codec_context.width, video.codec_context.height),
            "fps": float(video.average_rate),
            "frames": frames,
            "audio": [s.codec_context.name for s in container.streams.audio],
            "duration": float(container.duration / av.time_base),
        }
    return info


# One model of each generation, each resolution, five ratios, audio on and off.
CASES = [
    ("seedance-1-0-lite-t2v-250428", "480p", "21:9", {"frames": 29}, False),
    ("seedance-1-0-pro-250528", "1080p", "9:16", {"frames": 29}, False),
    ("seedance-1-5-pro-251215", "720p", "4:3", {"duration": 4}, True),
    ("seedance-1-5-pro-251215", "480p", "16:9", {"duration": 4, "generate_audio": False}, False),
    ("dreamina-seedance-2-0-fast-260128", "480p", "1:1", {"duration": 4}, True),
    ("dreamina-seedance-2-0-260128", "1080p", "16:9", {"duration": 4}, True),
]


@pytest.mark.parametrize(("model", "resolution", "ratio", "extra", "audio"), CASES)
async def test_video_matches_the_request(mock: Mock, model, resolution, ratio, extra, audio) -> None:
    task = await finished_task(mock, text_body(model, resolution=resolution, ratio=ratio, **extra))
    status, data, headers = await download(mock, task["content"]["video_url"])
    assert status == 200 and headers["Content-Type"] == "video/mp4"
    assert int(headers["Content-Length"]) == len(data) and "ETag" in headers
    info = probe(data)
    frames = extra.get("frames") or 24 * extra["duration"] + 1
    assert info["codec"] == "h264"
    assert info["size"] == contracts.frame_size(model, resolution, ratio)
    assert info["fps"] == 24 and info["frames"] == frames
    assert info["audio"] == (["aac"] if audio else [])
    assert info["duration"] == pytest.approx(frames / 24, abs=0.1)


def png_data_uri(width: int, height: int) -> str:
    frame = av.VideoFrame.from_ndarray(np.full((height, width, 3), 90, dtype=np.uint8), format="rgb24")
    buf = io.BytesIO()
    with av.open(buf, "w", format="image2pipe") as out:
        stream = out.add_stream("png")
        stream.width, stream.height, stream.pix_fmt = width, height, "rgb24"
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


async def test_adaptive_ratio_from_a_data_uri_sizes_the_video(mock: Mock) -> None:
    body = {
        "model": "dreamina-seedance-2-0-fast-260128",
        "content": [
            {"type": "text", "text": "x"},
            {"type": "image_url", "image_url": {"url": png_data_uri(180, 320)}, "role": "first_frame"},
        ],
        "resolution": "480p",
        "duration": 4,
        "return_last_frame": True,
    }  # ratio omitted: the model's default for a first frame is adaptive [FIDELITY §4]
    task = await finished_task(mock, body)
    assert task["ratio"] == "9:16"
    info = probe((await download(mock, task["content"]["video_url"]))[1])
    assert info["size"] == (496, 864)
    status, png, headers = await download(mock, task["content"]["last_frame_url"])
    assert status == 200 and headers["Content-Type"] == "image/png"
    with av.open(io.BytesIO(png)) as container:
        frame = next(container.decode(video=0))
        assert (frame.width, frame.height) == (496, 864)


async def test_range_head_and_cache(mock: Mock) -> None:
    task = await finished_task(mock, text_body("seedance-1-0-lite-t2v-250428", resolution="480p", frames=29))
    url = task["content"]["video_url"]
    _, whole, headers = await download(mock, url)
    status, part, part_headers = await download(mock, url, Range="bytes=100-199")
    assert status == 206 and part == whole[100:200]
    assert part_headers["Content-Range"] == f"bytes 100-199/{len(whole)}"
    parts = urlsplit(url)
    head = await mock.client.head(f"{parts.path}?{parts.query}")
    assert head.status == 200 and int(head.headers["Content-Length"]) == len(whole)
    # Same (size, frames, audio, seed) → same cached file, same ETag.
    _, again, again_headers = await download(mock, url)
    assert again == whole and again_headers["ETag"] == headers["ETag"]


async def test_tampered_and_expired_urls_are_refused_with_a_clear_body(mock: Mock) -> None:
    task = await finished_task(mock, text_body("seedance-1-0-lite-t2v-250428", resolution="480p", frames=29))
    url = task["content"]["video_url"]
    status, body, _ = await download(mock, url.replace("signature=", "signature=0"))
    assert status == 403 and b"signature" in body
    status, body, _ = await download(mock, url.replace("-29f-", "-33f-"))
    assert status == 403
    # The record may be deleted: the signed URL keeps working until it expires, like upstream's.
    assert (await mock.call("DELETE", f"{TASKS}/{task['id']}"))[0] == 200
    assert (await download(mock, url))[0] == 200
    await mock.advance(86_400)
    status, body, _ = await download(mock, url)
    assert status == 403 and b"expired" in body
