"""Real media: the MP4s and PNGs behind result URLs, their cache, and measuring input images [issue 4]."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import av
import numpy as np
import pytest

from mock_server import media, render
from mock_server.images import image_size
from mock_server.media import (
    MAX_FRAMES,
    MAX_SIDE,
    MediaCache,
    MediaSpec,
    default_cache_dir,
    render_last_frame,
    render_video,
)


def data_uri(data: bytes, subtype: str) -> str:
    return f"data:image/{subtype};base64,{base64.b64encode(data).decode()}"


def probe(path: Path) -> dict[str, object]:
    """What a player would see: header facts, plus frames and samples counted by decoding."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        facts: dict[str, object] = {
            "codec": v.codec_context.name,
            "size": (v.width, v.height),
            "pix_fmt": v.pix_fmt,
            "rate": v.average_rate,
            "header_frames": v.frames,
            "duration": float(v.duration * v.time_base),
            "container_duration": c.duration / 1_000_000,
            "audio": [(a.codec_context.name, a.rate) for a in c.streams.audio],
        }
    with av.open(str(path)) as c:
        facts["decoded_frames"] = sum(1 for _ in c.decode(video=0))
    if facts["audio"]:
        with av.open(str(path)) as c:
            a = c.streams.audio[0]
            facts["audio_duration"] = float(a.duration * a.time_base)
    return facts


def assert_video(path: Path, spec: MediaSpec) -> None:
    facts = probe(path)
    assert facts["codec"] == "h264"
    assert facts["size"] == (spec.width, spec.height)
    assert facts["rate"] == 24
    assert facts["header_frames"] == spec.frames
    assert facts["decoded_frames"] == spec.frames
    assert facts["duration"] == pytest.approx(spec.frames / 24, abs=1e-6)
    assert facts["container_duration"] == pytest.approx(spec.frames / 24, abs=1e-3)
    if spec.audio:
        assert facts["audio"] == [("aac", 48_000)]
        assert facts["audio_duration"] == pytest.approx(spec.frames / 24, abs=0.01)
    else:
        assert facts["audio"] == []


# -- MediaSpec keys --------------------------------------------------------------------------------------
def test_key_round_trips() -> None:
    spec = MediaSpec(1280, 720, 121, True, 12345)
    assert spec.key == "1280x720-121f-a-12345"
    assert MediaSpec.from_key(spec.key) == spec
    mute = MediaSpec(496, 864, 289, False, 0)
    assert mute.key == "496x864-289f-m-0"
    assert MediaSpec.from_key(mute.key) == mute
    assert MediaSpec.from_key("1x1-1f-m-4294967295").seed == 2**32 - 1
    assert MediaSpec.from_key("2x2-1f-m--7").seed == -7


@pytest.mark.parametrize(
    "key",
    [
        "",
        "1280x720",
        "1280x720-121f-a",
        "1280x720-121f-x-1",  # audio flag
        "1280X720-121f-a-1",
        "1280x720-121-a-1",
        "01280x720-121f-a-1",  # not canonical: two keys would name one file
        "1280x720-121f-a-01",
        "1280x720-121f-a-+1",
        "0x720-121f-a-1",
        "1280x0-121f-a-1",
        "1280x720-0f-a-1",
        f"{MAX_SIDE + 1}x720-121f-a-1",  # absurd sizes come from user-supplied URLs
        f"1280x{MAX_SIDE + 1}-121f-a-1",
        f"1280x720-{MAX_FRAMES + 1}f-a-1",
        "99999x99999-99999f-a-1",
        "1280x720-121f-a-1.mp4",
        "../1280x720-121f-a-1",
        "1280x720-121f-a-1\n",
        " 1280x720-121f-a-1",
        "1280x720-121f-a-" + "9" * 20,
        "١٢٨٠x720-121f-a-1",  # Arabic-Indic digits: \d would take them
    ],
)
def test_malformed_keys_are_rejected(key: str) -> None:
    with pytest.raises(ValueError):
        MediaSpec.from_key(key)


def test_from_key_rejects_non_strings() -> None:
    with pytest.raises(ValueError):
        MediaSpec.from_key(None)  # type: ignore[arg-type]


def test_spec_bounds() -> None:
    assert MediaSpec(MAX_SIDE, MAX_SIDE, MAX_FRAMES, True, 1).frames == 721  # 2.5: 30 s [FIDELITY §5]
    with pytest.raises(ValueError):
        MediaSpec(0, 2, 1, False, 1)
    with pytest.raises(ValueError):
        MediaSpec(2, 2, 1, 1, 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        MediaSpec(2, 2, 1, False, 2**63)


# -- rendering -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "spec",
    [
        MediaSpec(64, 48, 29, True, 1),
        MediaSpec(48, 64, 25, False, 2),
        MediaSpec(65, 47, 10, True, 3),  # odd sides: exact size still (4:4:4, since 4:2:0 needs even)
        MediaSpec(32, 32, 1, True, 4),  # one frame, 1/24 s of audio (under one AAC frame)
    ],
    ids=lambda s: s.key,
)
def test_render_video_small(tmp_path: Path, spec: MediaSpec) -> None:
    path = render_video(spec, tmp_path / "out.mp4")
    assert path == tmp_path / "out.mp4"
    assert_video(path, spec)
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"]  # no temporary file left behind


def test_render_video_real_table_size(tmp_path: Path) -> None:
    """480p 16:9 of Seedance 1.5/2.0, 5 s: 864×496, 24 × 5 + 1 frames, with audio [FIDELITY §4]."""
    spec = MediaSpec(864, 496, 121, True, 20250101)
    path = render_video(spec, tmp_path / "v.mp4")
    assert_video(path, spec)
    with av.open(str(path)) as c:
        assert c.streams.video[0].pix_fmt == "yuv420p"  # what browsers play


def test_picture_depends_on_seed_and_moves(tmp_path: Path) -> None:
    def frames(seed: int) -> list[np.ndarray]:
        path = render_video(MediaSpec(96, 64, 12, False, seed), tmp_path / f"{seed}.mp4")
        with av.open(str(path)) as c:
            return [f.to_ndarray(format="rgb24").astype(int) for f in c.decode(video=0)]

    a, b = frames(1), frames(2)
    assert np.abs(a[0] - b[0]).mean() > 10  # two tasks are distinguishable
    assert np.abs(a[0] - a[-1]).mean() > 5  # the bar moves


def test_render_failure_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> str:
        raise RuntimeError("no encoder")

    monkeypatch.setattr(render, "_h264_encoder", broken)
    with pytest.raises(RuntimeError):
        render_video(MediaSpec(16, 16, 2, False, 1), tmp_path / "v.mp4")
    assert list(tmp_path.iterdir()) == []


def test_render_last_frame(tmp_path: Path) -> None:
    spec = MediaSpec(160, 90, 25, True, 9)
    png = render_last_frame(spec, tmp_path / "last.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert image_size(data_uri(png.read_bytes(), "png")) == (160, 90)
    # It is the video's last picture (up to lossy coding).
    with av.open(str(render_video(spec, tmp_path / "v.mp4"))) as c:
        last = [f for f in c.decode(video=0)][-1].to_ndarray(format="rgb24").astype(int)
    with av.open(str(png)) as c:
        still = next(c.decode(video=0)).to_ndarray(format="rgb24").astype(int)
    assert np.abs(last - still).mean() < 6


def test_last_frame_odd_size(tmp_path: Path) -> None:
    png = render_last_frame(MediaSpec(33, 17, 3, False, 1), tmp_path / "odd.png")
    assert image_size(data_uri(png.read_bytes(), "png")) == (33, 17)


# -- the cache -------------------------------------------------------------------------------------------
def test_default_cache_dir() -> None:
    path = default_cache_dir()
    assert path.parts[-2:] == ("seedance-mock", "media")
    assert MediaCache().directory == path


def test_path_for(tmp_path: Path) -> None:
    cache = MediaCache(tmp_path / "nested" / "media")
    spec = MediaSpec(64, 48, 5, True, 1)
    assert cache.path_for(spec, "mp4").parent == tmp_path / "nested" / "media"
    assert cache.path_for(spec, "mp4").name.startswith(spec.key)
    assert cache.path_for(spec, "mp4").suffix == ".mp4"
    assert cache.path_for(spec, "png").suffix == ".png"
    with pytest.raises(ValueError):
        cache.path_for(spec, "gif")  # type: ignore[arg-type]
    assert not (tmp_path / "nested").exists()  # created on demand, not by asking


@pytest.mark.asyncio
async def test_cache_renders_once_then_serves_the_file(tmp_path: Path) -> None:
    cache = MediaCache(tmp_path / "media")
    spec = MediaSpec(64, 48, 5, True, 1)
    first = await cache.ensure_video(spec)
    mtime = first.stat().st_mtime_ns
    assert first == cache.path_for(spec, "mp4")
    assert_video(first, spec)
    second = await cache.ensure_video(spec)
    assert second == first
    assert second.stat().st_mtime_ns == mtime
    assert cache.renders == 1
    png = await cache.ensure_last_frame(spec)
    assert png == cache.path_for(spec, "png")
    assert await cache.ensure_last_frame(spec) == png
    assert cache.renders == 2
    # Another cache (another server, a restart) on the same directory reuses the files.
    again = MediaCache(tmp_path / "media")
    assert await again.ensure_video(spec) == first
    assert again.renders == 0


@pytest.mark.asyncio
async def test_concurrent_requests_share_one_render(tmp_path: Path) -> None:
    cache = MediaCache(tmp_path)
    spec = MediaSpec(64, 48, 24, False, 5)
    paths = await asyncio.gather(*(cache.ensure_video(spec) for _ in range(8)))
    assert set(paths) == {cache.path_for(spec, "mp4")}
    assert cache.renders == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [paths[0].name]


@pytest.mark.asyncio
async def test_render_runs_off_the_event_loop(tmp_path: Path) -> None:
    cache = MediaCache(tmp_path)
    render = asyncio.ensure_future(cache.ensure_video(MediaSpec(320, 240, 48, True, 6)))
    ticks = 0
    while not render.done():
        ticks += 1
        await asyncio.sleep(0.001)
    await render
    assert ticks > 3  # the loop kept turning while the file was made


@pytest.mark.asyncio
async def test_a_cancelled_waiter_does_not_cancel_the_render(tmp_path: Path) -> None:
    cache = MediaCache(tmp_path)
    spec = MediaSpec(64, 48, 24, False, 8)
    quitter = asyncio.ensure_future(cache.ensure_video(spec))
    stayer = asyncio.ensure_future(cache.ensure_video(spec))
    await asyncio.sleep(0)
    quitter.cancel()
    assert await stayer == cache.path_for(spec, "mp4")
    assert cache.renders == 1


@pytest.mark.asyncio
async def test_a_failed_render_reaches_every_waiter_and_can_be_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = MediaCache(tmp_path)
    spec = MediaSpec(16, 16, 2, False, 1)
    real = render._h264_encoder

    def broken() -> str:
        raise RuntimeError("no encoder")

    monkeypatch.setattr(render, "_h264_encoder", broken)
    results = await asyncio.gather(cache.ensure_video(spec), cache.ensure_video(spec), return_exceptions=True)
    assert [type(r) for r in results] == [RuntimeError, RuntimeError]
    monkeypatch.setattr(render, "_h264_encoder", real)
    assert (await cache.ensure_video(spec)).is_file()


async def test_renders_leave_the_default_executor_free(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # aiohttp's FileResponse opens and reads cached files in the loop's default executor: cold renders must
    # not occupy it, or every download waits behind them.
    import threading
    from concurrent.futures import ThreadPoolExecutor

    gate = threading.Event()

    def slow_render(spec: MediaSpec, path: Path) -> Path:
        gate.wait(10)
        Path(path).write_bytes(b"mp4")
        return Path(path)

    monkeypatch.setattr(media, "render_video", slow_render)
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(2))
    cache = MediaCache(tmp_path, max_parallel=2)
    try:
        renders = [asyncio.create_task(cache.ensure_video(MediaSpec(16, 16, 1 + i, False, i))) for i in range(3)]
        await asyncio.sleep(0.1)
        assert await asyncio.wait_for(loop.run_in_executor(None, lambda: "free"), 2) == "free"
    finally:
        gate.set()
    assert len(await asyncio.gather(*renders)) == 3
    cache.close()
