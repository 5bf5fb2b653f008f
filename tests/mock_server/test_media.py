"""Real media: the MP4s and PNGs behind result URLs, their cache, and measuring input images [issue 4]."""

from __future__ import annotations

import asyncio
import base64
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from mock_server import media
from mock_server.media import (
    MAX_FRAMES,
    MAX_SIDE,
    MediaCache,
    MediaSpec,
    default_cache_dir,
    image_size,
    render_last_frame,
    render_video,
)


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
    """480p 16:9 of Seedance 1.5/2.0, 5 s: 864×496, 24 × 5 + 1 frames, with audio [UPSTREAM §4]."""
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

    monkeypatch.setattr(media, "_h264_encoder", broken)
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
    real = media._h264_encoder

    def broken() -> str:
        raise RuntimeError("no encoder")

    monkeypatch.setattr(media, "_h264_encoder", broken)
    results = await asyncio.gather(cache.ensure_video(spec), cache.ensure_video(spec), return_exceptions=True)
    assert [type(r) for r in results] == [RuntimeError, RuntimeError]
    monkeypatch.setattr(media, "_h264_encoder", real)
    assert (await cache.ensure_video(spec)).is_file()


# -- measuring images ------------------------------------------------------------------------------------
def encode_image(width: int, height: int, codec: str, pix_fmt: str, **options: str) -> bytes:
    """An image file made with PyAV (no imaging library needed)."""
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[..., 0] = np.linspace(0, 255, width, dtype=np.uint8)
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format=pix_fmt)
    ctx = av.CodecContext.create(codec, "w")
    ctx.width, ctx.height, ctx.pix_fmt = width, height, pix_fmt
    ctx.time_base = Fraction(1, 25)
    ctx.options = options
    frame.pts = 0
    return b"".join(bytes(p) for p in [*ctx.encode(frame), *ctx.encode(None)])


def data_uri(data: bytes, subtype: str) -> str:
    return f"data:image/{subtype};base64,{base64.b64encode(data).decode()}"


@pytest.mark.parametrize(
    ("codec", "pix_fmt", "subtype", "options"),
    [
        ("png", "rgb24", "png", {}),
        ("mjpeg", "yuvj420p", "jpeg", {}),
        ("gif", "rgb8", "gif", {}),
        ("libwebp", "yuv420p", "webp", {}),  # lossy: VP8
        ("libwebp", "bgra", "webp", {"lossless": "1"}),  # lossless: VP8L
        ("bmp", "bgr24", "bmp", {}),  # no header parser: decoded by PyAV
        ("tiff", "rgb24", "tiff", {}),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_image_size_of_data_uris(codec: str, pix_fmt: str, subtype: str, options: dict[str, str]) -> None:
    data = encode_image(301, 171, codec, pix_fmt, **options)  # odd sides catch off-by-one header maths
    assert image_size(data_uri(data, subtype)) == (301, 171)


def test_image_size_of_an_extended_webp_header() -> None:
    """VP8X (alpha or animation) stores the canvas size minus one in 24 bits."""
    vp8x = b"VP8X" + (10).to_bytes(4, "little") + b"\x10\0\0\0" + (4999).to_bytes(3, "little")
    vp8x += (299).to_bytes(3, "little")
    webp = b"RIFF" + (4 + len(vp8x)).to_bytes(4, "little") + b"WEBP" + vp8x
    assert image_size(data_uri(webp, "webp")) == (5000, 300)


def test_jpeg_size_is_found_after_other_segments() -> None:
    jpeg = encode_image(120, 64, "mjpeg", "yuvj420p")
    exif = b"\xff\xe1" + (18).to_bytes(2, "big") + b"Exif\0\0" + b"\xff" * 10  # an APP1 full of 0xFF
    assert image_size(data_uri(jpeg[:2] + exif + jpeg[2:], "jpeg")) == (120, 64)


def test_image_size_is_lenient_with_the_data_uri() -> None:
    data = encode_image(40, 90, "png", "rgb24")
    b64 = base64.b64encode(data).decode()
    assert image_size(f"DATA:image/PNG;BASE64,{b64}") == (40, 90)
    assert image_size(f"data:image/png;base64,{b64.rstrip('=')}") == (40, 90)  # padding dropped
    wrapped = "\n".join(b64[i : i + 76] for i in range(0, len(b64), 76))
    assert image_size(f"data:image/png;base64,{wrapped}") == (40, 90)  # MIME line breaks
    assert image_size(f"data:image/jpeg;base64,{b64}") == (40, 90)  # a wrong subtype: the bytes decide
    url_safe = base64.urlsafe_b64encode(data).decode()
    assert image_size(f"data:image/png;base64,{url_safe}") == (40, 90)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/cat.png",
        "http://127.0.0.1/first.jpg",
        "",
        "data:image/png;base64,",
        "data:image/png;base64,!!!!",
        "data:image/png;base64," + base64.b64encode(b"not an image at all" * 10).decode(),
        "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 40).decode(),
        "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0").decode(),
        "data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8\xff\xe0\0\x10JFIF").decode(),
        "data:image/webp;base64," + base64.b64encode(b"RIFF\0\0\0\0WEBPVP8 ").decode(),
        "data:image/gif;base64,R0lGODlh",
        "data:text/plain;base64,aGVsbG8=",
        "data:image/png,",
        "not a url",
        "asset://asset-20250101-abc",
    ],
)
def test_image_size_is_none_when_unknowable(url: str) -> None:
    assert image_size(url) is None


def test_image_size_never_raises_on_odd_input() -> None:
    assert image_size(None) is None  # type: ignore[arg-type]
    assert image_size(12) is None  # type: ignore[arg-type]


def test_image_size_of_a_truncated_jpeg() -> None:
    data = encode_image(200, 100, "mjpeg", "yuvj420p")
    # Only the header survives: either its size or None, never an exception.
    assert image_size(data_uri(data[: len(data) // 3], "jpeg")) in {(200, 100), None}


def test_importing_and_measuring_do_not_load_the_encoder() -> None:
    """The server starts without PyAV, and measuring a PNG/JPEG/GIF/WebP needs only its header."""
    png = data_uri(encode_image(40, 30, "png", "rgb24"), "png")
    code = (
        "import sys, mock_server.media as m; m.MediaSpec.from_key('2x2-1f-m-1');"
        f"assert m.image_size({png!r}) == (40, 30);"
        "print(sorted(x for x in ('av', 'numpy') if x in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.strip() == "[]"


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
