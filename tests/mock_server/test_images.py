"""Measuring input images for ``ratio: adaptive``: Pillow reads headers only, and only image formats [issue 10]."""

from __future__ import annotations

import base64
import hashlib
import io
import struct
import subprocess
import sys
import tracemalloc
import zlib
from pathlib import Path

import pytest
from PIL import Image

from mock_server.images import MAX_PIXELS, data_uri_bytes, data_uri_facts, image_size
from tests.mock_server.conftest import Mock

TASKS = "/api/v3/contents/generations/tasks"


def encode(width: int, height: int, fmt: str, mode: str = "RGB", **options: object) -> bytes:
    """An image file of ``width × height`` written by Pillow (a gradient, so codecs have something to do)."""
    image = Image.linear_gradient("L").resize((width, height)).convert(mode)
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


def data_uri(data: bytes, subtype: str) -> str:
    return f"data:image/{subtype};base64,{base64.b64encode(data).decode()}"


def png_header(width: int, height: int, idat: bytes = b"") -> bytes:
    """A PNG whose IHDR claims ``width × height``, followed by ``idat`` as its only picture data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("fmt", "mode", "subtype", "options"),
    [
        ("PNG", "RGB", "png", {}),
        ("JPEG", "RGB", "jpeg", {}),
        ("GIF", "P", "gif", {}),
        ("WEBP", "RGB", "webp", {}),  # lossy: VP8
        ("WEBP", "RGBA", "webp", {"lossless": True}),  # lossless: VP8L
        ("WEBP", "RGBA", "webp", {"exif": b"Exif\0\0II*\0\x08\0\0\0\0\0"}),  # extended: VP8X
        ("BMP", "RGB", "bmp", {}),
        ("TIFF", "RGB", "tiff", {}),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_every_upstream_image_format_is_measured(fmt: str, mode: str, subtype: str, options: dict) -> None:
    data = encode(301, 171, fmt, mode, **options)  # odd sides catch off-by-one header maths
    assert image_size(data_uri(data, subtype)) == (301, 171)


def test_other_image_formats_fall_back() -> None:
    # Upstream takes jpeg/png/webp/bmp/tiff/gif [FIDELITY §11]; Pillow could read these too, the mock does not.
    for fmt in ("PPM", "ICO", "TGA", "PCX"):
        assert image_size(data_uri(encode(64, 32, fmt), "png")) is None, fmt


def test_the_bytes_decide_the_format_and_the_uri_is_read_leniently() -> None:
    data = encode(40, 90, "PNG")
    b64 = base64.b64encode(data).decode()
    assert image_size(f"DATA:image/PNG;BASE64,{b64}") == (40, 90)
    assert image_size(f"data:image/png;base64,{b64.rstrip('=')}") == (40, 90)  # padding dropped
    wrapped = "\n".join(b64[i : i + 76] for i in range(0, len(b64), 76))
    assert image_size(f"data:image/png;base64,{wrapped}") == (40, 90)  # MIME line breaks
    assert image_size(f"data:image/jpeg;base64,{b64}") == (40, 90)  # a wrong subtype: the bytes decide
    url_safe = base64.urlsafe_b64encode(data).decode()
    assert image_size(f"data:image/png;base64,{url_safe}") == (40, 90)


def test_jpeg_exif_orientation_is_applied() -> None:
    """A phone's portrait photo is stored landscape with orientation 6: a viewer (and the ratio) sees portrait."""
    for orientation, expected in ((1, (120, 64)), (3, (120, 64)), (6, (64, 120)), (8, (64, 120))):
        exif = Image.Exif()
        exif[0x0112] = orientation
        assert image_size(data_uri(encode(120, 64, "JPEG", exif=exif), "jpeg")) == expected, orientation


def test_jpeg_size_is_found_after_other_segments() -> None:
    jpeg = encode(120, 64, "JPEG")
    app = b"\xff\xe2" + (18).to_bytes(2, "big") + b"\xff" * 16  # an APP2 full of 0xFF
    assert image_size(data_uri(jpeg[:2] + app + jpeg[2:], "jpeg")) == (120, 64)


def test_a_header_far_into_the_file_is_still_found() -> None:
    # Measuring decodes the first 48 kB first; a JPEG whose frame header follows 120 kB of APP segments
    # (big ICC profiles and thumbnails do that) is measured from the whole payload.
    jpeg = encode(120, 64, "JPEG")
    app = b"\xff\xe2" + (60_002).to_bytes(2, "big") + bytes(60_000)
    assert image_size(data_uri(jpeg[:2] + app + app + jpeg[2:], "jpeg")) == (120, 64)


def test_only_the_header_is_read() -> None:
    """Image.open is lazy: a 6000 × 4000 PNG whose pixel data is garbage is measured from its IHDR alone,
    without allocating anything near its 72 MB of pixels."""
    data = data_uri(png_header(6000, 4000, idat=b"not zlib at all" * 100), "png")
    assert image_size(data) == (6000, 4000)  # untraced first: Pillow's plugin imports are not the point
    tracemalloc.start()
    try:
        assert image_size(data) == (6000, 4000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


@pytest.mark.parametrize(
    "data",
    [
        png_header(60_000, 60_000),  # Pillow's own decompression-bomb error (3.6 G pixels)
        png_header(9000, 9000),  # 81 M pixels: above the mock's limit, below Pillow's
        png_header(0, 100),
        # A WebP claiming a 16000 × 16000 canvas: Pillow would allocate the canvas on open, so it is judged first.
        b"RIFF\x30\0\0\0WEBPVP8X\x0a\0\0\0\x10\0\0\0" + (15999).to_bytes(3, "little") * 2 + b"\0" * 20,
    ],
    ids=["60000²", "9000²", "zero-width", "webp-16000²"],
)
def test_huge_or_empty_dimensions_fall_back_without_allocating(data: bytes) -> None:
    # Once untraced first: the first call in a worker imports Pillow's format plugins (over 1 MB of module
    # objects), which is not what this measures; image_size keeps nothing between calls.
    assert image_size(data_uri(data, "png")) is None
    tracemalloc.start()
    try:
        assert image_size(data_uri(data, "png")) is None
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000
    assert MAX_PIXELS >= 8192 * 8192  # an 8K picture is still measured


FFCONCAT = b"ffconcat version 1.0\nfile portrait.png\n"


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
        "data:image/png;base64," + base64.b64encode(FFCONCAT).decode(),
        "data:image/png," + FFCONCAT.decode(),
        "data:image/png;base64,\ud800AAAA",
        "data:text/plain;base64,aGVsbG8=",
        "data:image/png,",
        "not a url",
        "asset://asset-20250101-abc",
    ],
)
def test_what_is_not_a_measurable_image_gives_none(url: str) -> None:
    assert image_size(url) is None


def test_image_size_never_raises_on_odd_input() -> None:
    assert image_size(None) is None  # type: ignore[arg-type]
    assert image_size(12) is None  # type: ignore[arg-type]
    truncated = encode(200, 100, "JPEG")
    assert image_size(data_uri(truncated[: len(truncated) // 3], "jpeg")) == (200, 100)  # the header survived


def test_an_ffconcat_payload_opens_no_local_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through FFmpeg's demuxers, an ffconcat list made the server open files beside its working directory
    and report *their* aspect. Pillow has no such format: the payload is not an image."""
    (tmp_path / "portrait.png").write_bytes(encode(90, 160, "PNG"))
    monkeypatch.chdir(tmp_path)
    for subtype in ("png", "x-ffconcat"):
        assert image_size(data_uri(FFCONCAT, subtype)) is None


async def test_an_ffconcat_payload_falls_back_to_16_9(
    mock: Mock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "portrait.png").write_bytes(encode(90, 160, "PNG"))
    monkeypatch.chdir(tmp_path)
    image = {"type": "image_url", "image_url": {"url": data_uri(FFCONCAT, "png")}}
    body = {"model": "seedance-1-5-pro-251215", "ratio": "adaptive", "content": [{"type": "text", "text": "x"}, image]}
    status, created, _ = await mock.call("POST", TASKS, json=body)
    assert status == 200
    status, task, _ = await mock.call("GET", f"{TASKS}/{created['id']}")
    assert status == 200 and task["ratio"] == "16:9"  # the local file's 9:16 never shows


def test_measuring_loads_neither_ffmpeg_nor_numpy() -> None:
    """The server starts without PyAV, and measuring every accepted format needs no FFmpeg at all."""
    uris = [data_uri(encode(40, 30, fmt), fmt.lower()) for fmt in ("PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF")]
    code = (
        "import sys, mock_server.images as m, mock_server.media;"
        f"assert [m.image_size(u) for u in {uris!r}] == [(40, 30)] * 6;"
        "print(sorted(x for x in ('av', 'numpy') if x in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.strip() == "[]"


# -- what the journal keeps of a data: URI ---------------------------------------------------------------
def test_data_uri_facts_are_type_size_and_the_files_digest() -> None:
    data = encode(64, 48, "PNG")
    facts = data_uri_facts(data_uri(data, "png"))
    assert facts == {
        "data_uri": "image/png",
        "chars": len(data_uri(data, "png")),
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    # Sliced decoding gives the same digest as decoding at once, whatever the length and the alphabet.
    big = bytes(range(256)) * 40_000 + b"xy"  # ~10 MB: crosses several slices, ends unaligned
    for encoded in (base64.b64encode(big).decode(), base64.urlsafe_b64encode(big).decode().rstrip("=")):
        facts = data_uri_facts("data:image/webp;base64," + encoded)
        assert facts is not None and (facts["bytes"], facts["sha256"]) == (len(big), hashlib.sha256(big).hexdigest())
    assert data_uri_bytes(data_uri(data, "png")) == data


def test_data_uri_facts_of_odd_uris() -> None:
    assert data_uri_facts("https://example.com/a.png") is None
    assert data_uri_facts(None) is None  # type: ignore[arg-type]
    bad = data_uri_facts("data:image/png;base64,!!!!")
    assert bad == {"data_uri": "image/png", "chars": 26, "bytes": None, "sha256": None}
    surrogate = data_uri_facts("data:image/png;base64,\ud800AAAA")
    assert surrogate is not None and surrogate["bytes"] is None
    plain = data_uri_facts("data:,hello%20world")
    assert plain is not None and plain["data_uri"] == "text/plain" and plain["bytes"] == 11
