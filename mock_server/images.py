"""Input images, measured safely: the size of a ``data:`` image for ``ratio: adaptive`` [issue 10].

Only image formats upstream accepts are read (PNG, JPEG, WebP, BMP, TIFF, GIF [FIDELITY §11 reference media
limits]), by Pillow, which parses the header and decodes no pixel: an 8 MB photo is measured in
microseconds, and nothing here ever goes near FFmpeg's demuxers (an ``ffconcat`` list once made the server
open local files). Anything that is not one of those images — or is absurdly large — gives None, and the
caller falls back to 16:9 exactly as for a URL it cannot fetch [FIDELITY §11].

A ``data:`` input image is also stored, small and by digest, for the media to show (:func:`ingest_image`,
at create; the renderer reads it back from the ``inputs`` directory of the media cache) [FIDELITY §11].

``data:`` URIs are also what makes a create body big: :func:`data_uri_facts` sums one up (media type, size,
digest) for the journal without keeping, or even decoding at once, its bytes [FIDELITY §12].
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import re
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes, urlsplit

if TYPE_CHECKING:
    from PIL import Image as PILImage

__all__ = [
    "FORMATS",
    "INPUTS_DIR",
    "MAX_DATA_URI_CHARS",
    "MAX_PIXELS",
    "atomic_write",
    "data_uri_bytes",
    "data_uri_facts",
    "image_size",
    "ingest_image",
]

#: The formats measured: upstream's list for reference images, in Pillow's names [FIDELITY §11].
FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "TIFF", "GIF")
#: Data URIs longer than this are not decoded (upstream caps an image at 30 MB; base64 adds a third).
MAX_DATA_URI_CHARS = 48 * 1024 * 1024
#: Headers claiming more pixels than this are not believed (upstream's largest is 6000 × 6000 = 36 M): no
#: pixel is decoded here, but a WebP opens with a canvas of this size allocated, so the size is checked first.
MAX_PIXELS = 64 * 2**20
#: EXIF orientations that turn the picture a quarter turn, so its width and height swap.
_QUARTER_TURNS = frozenset({5, 6, 7, 8})
_EXIF_ORIENTATION = 0x0112

_DATA_URI = re.compile(r"data:([^;,]*)((?:;[^;,]*)*),", re.IGNORECASE)
#: Whitespace a MIME-wrapped base64 payload may carry (substring tests: a regex over 20 MB takes ~100 ms).
_SPACES = (" ", "\n", "\r", "\t")
#: Base64 characters decoded first when measuring: enough for every header but a late TIFF IFD or a JPEG with
#: huge APP segments, which are measured from the whole payload on a second try.
_HEAD_CHARS = 64 * 1024
#: Base64 text hashed per slice (a multiple of 4), so a digest never holds a whole decoded copy.
_SLICE = 4 * 2**20


def _split(url: str) -> tuple[str, bool, int] | None:
    """``(media type, is base64, payload offset)`` of a data URI, else None."""
    match = _DATA_URI.match(url[:512])  # the header is short: never run a regex over megabytes
    if match is None:
        return None
    return match.group(1).lower(), ";base64" in match.group(2).lower(), match.end()


def _has_space(text: str) -> bool:
    return any(c in text for c in _SPACES)


def data_uri_bytes(url: str, limit: int | None = None) -> bytes | None:
    """The bytes a ``data:image/…`` URI carries, else None (not a data URI, not an image, bad base64).

    With ``limit``, only about the first ``limit`` characters of the payload are decoded (a prefix of the file).
    """
    return _decoded(url, limit)[0]


def _decoded(url: str, limit: int | None = None) -> tuple[bytes | None, bool]:
    """:func:`data_uri_bytes`, and whether its base64 was strictly valid: then these are the very bytes
    :func:`data_uri_facts` sums up (it refuses anything loose)."""
    if not isinstance(url, str) or len(url) > MAX_DATA_URI_CHARS:
        return None, False
    head = _split(url)
    if head is None or not head[0].startswith("image/"):
        return None, False
    _, is_base64, start = head
    try:
        payload = url[start:] if limit is None else url[start : start + limit]
        if not is_base64:
            return unquote_to_bytes(payload), True
        if _has_space(payload):  # MIME line breaks
            payload = "".join(payload.split())
        if limit is not None and len(url) - start > limit:
            payload = payload[: len(payload) // 4 * 4]  # a prefix: whole quanta only
        payload += "=" * (-len(payload) % 4)
        altchars = b"-_" if "-" in payload or "_" in payload else None
        try:
            return base64.b64decode(payload, altchars=altchars, validate=True), True
        except binascii.Error:
            return base64.b64decode(payload, altchars=altchars), False  # what strays is dropped
    except (binascii.Error, ValueError, UnicodeError):
        return None, False


def data_uri_facts(url: str) -> dict[str, Any] | None:
    """What the journal keeps of a ``data:`` URI instead of its bytes, or None when ``url`` is not one.

    ``{"data_uri": media type, "chars": length of the URI, "bytes": decoded size, "sha256": hex digest of
    the decoded bytes}`` — ``bytes``/``sha256`` are null when the payload is not valid base64. The digest is
    the one ``sha256sum cat.png`` prints, so a test can tell which file was sent. Base64 is decoded a few
    MB at a time: summing up a 16 MB image never holds a second copy of it.
    """
    if not isinstance(url, str):
        return None
    head = _split(url)
    if head is None:
        return None
    media_type, is_base64, start = head
    facts: dict[str, Any] = {"data_uri": media_type or "text/plain", "chars": len(url), "bytes": None, "sha256": None}
    digest = hashlib.sha256()
    size = 0
    try:
        if not is_base64:
            data = unquote_to_bytes(url[start:])
            digest.update(data)
            size = len(data)
        else:
            payload = url[start:]
            if _has_space(payload):
                payload = "".join(payload.split())
            altchars = b"-_" if "-" in payload or "_" in payload else None
            end = len(payload)
            for i in range(0, end, _SLICE):
                piece = payload[i : i + _SLICE]
                if i + _SLICE >= end:
                    piece += "=" * (-len(piece) % 4)
                chunk = base64.b64decode(piece, altchars=altchars, validate=True)
                digest.update(chunk)
                size += len(chunk)
    except (binascii.Error, ValueError, UnicodeError):
        return facts
    facts["bytes"], facts["sha256"] = size, digest.hexdigest()
    return facts


def image_size(url: str) -> tuple[int, int] | None:
    """``(width, height)`` of a ``data:image/…`` URI's picture as a viewer shows it, else None; never raises.

    http(s) and ``asset://`` URLs cannot be fetched offline, so they give None too (the caller falls back to
    16:9). The bytes decide the format, not the URI's subtype; a JPEG's EXIF orientation is applied (a phone's
    portrait photo is stored landscape with orientation 6) [FIDELITY §11].
    """
    try:
        if not isinstance(url, str):
            return None
        # Most headers sit in the first few kB: decode a prefix first, not 16 MB for 33 bytes of PNG header.
        head = data_uri_bytes(url, limit=_HEAD_CHARS)
        if not head:
            return None
        try:
            return _measure(head)
        except Exception:
            if len(url) <= _HEAD_CHARS:
                raise  # that was the whole file
        data = data_uri_bytes(url)
        return _measure(data) if data else None
    except Exception:  # a parser's surprise on hostile bytes is "cannot measure", never a 500
        return None


def _measure(data: bytes) -> tuple[int, int] | None:
    """The size Pillow reads from ``data``'s header; None when it is out of bounds; raises when ``data`` is not
    (or not enough of) an image of :data:`FORMATS`."""
    from PIL import Image

    if data[:4] == b"RIFF" and not _webp_size_ok(data):
        return None  # Pillow allocates a WebP's canvas when it opens one: judge the claimed size first
    # Image.open parses the header only (pixels are decoded by load(), which is never called), and with
    # ``formats`` no other plugin is tried. Pillow refuses > 2 × MAX_IMAGE_PIXELS itself (DecompressionBombError).
    with Image.open(io.BytesIO(data), formats=FORMATS) as image:
        width, height = image.size
        if not (width > 0 and height > 0 and width * height <= MAX_PIXELS):
            return None
        # A JPEG's EXIF block (APP1) was read with the header: applying its orientation decodes nothing.
        if image.format == "JPEG" and image.getexif().get(_EXIF_ORIENTATION) in _QUARTER_TURNS:
            width, height = height, width
        return width, height


def _webp_size_ok(data: bytes) -> bool:
    """Whether a WebP's claimed canvas is within :data:`MAX_PIXELS` (True when no size is found here:
    Pillow then refuses the file or measures it)."""
    chunk = data[12:16]
    width = height = 0
    if chunk == b"VP8X" and len(data) >= 30:  # extended: 24-bit canvas sides minus one
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
    elif chunk == b"VP8 " and len(data) >= 30:  # lossy: 14-bit sides after the key frame start code
        width = int.from_bytes(data[26:28], "little") & 0x3FFF
        height = int.from_bytes(data[28:30], "little") & 0x3FFF
    elif chunk == b"VP8L" and len(data) >= 25:  # lossless: 14-bit sides minus one
        bits = int.from_bytes(data[21:25], "little")
        width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return width * height <= MAX_PIXELS


# -- storing an input image for the media -----------------------------------------------------------
#: Subdirectory of the media cache holding the downscaled input images, by digest.
INPUTS_DIR = "inputs"
#: Longest side of a stored input image: enough for a 1080p cover fit, small on disk [FIDELITY §11].
INPUT_SIDE = 1280
#: Decoding more pixels than this is refused (upstream's images are at most 6000 px a side [FIDELITY §11]);
#: JPEGs are first reduced while decoding, so only other formats can hit it.
_MAX_INPUT_PIXELS = 6000 * 6000


def _url_ref(url: str) -> str:
    """``url:<host>`` for a URL the mock never fetches (``asset://`` ids show whole, cut to 100)."""
    try:
        parts = urlsplit(url)
        shown = parts.hostname if parts.scheme in ("http", "https") and parts.hostname else url
    except ValueError:
        shown = url
    shown = "".join(c if "!" <= c <= "~" else "?" for c in shown[:100])
    return f"url:{shown or '?'}"


def ingest_image(url: str, directory: Path | str, facts: dict[int, dict[str, Any]] | None = None) -> str:
    """A reference to the image at ``url`` for :attr:`mock_server.render.MediaSpec.images`; never raises.

    A ``data:`` image is decoded (JPEGs reduced while decoding), shrunk to at most 1280 px a side and stored
    as ``<directory>/inputs/<digest>.jpg`` (quality 90: a noisy 720p PNG takes seconds to write), the digest
    being the first 32 hex digits of the SHA-256 of the image bytes; the reference is ``sha256:<digest>``.
    A digest already stored is not decoded again. Only the reference stays with the task: never the bytes
    [FIDELITY §11]. Anything else is ``url:<host>``
    (never fetched), and an image that does not decode is ``bad:<why>``. Blocking: run it off the loop.

    ``facts`` (by ``id(url)``) receives the URI's :func:`data_uri_facts`, found on the way: the journal then
    need not decode an 8 MB image a second time [issue 17]. Only while ``url`` is alive are its facts valid.
    """
    if not isinstance(url, str):
        return "bad:not-a-string"
    if url[:5].lower() != "data:":
        return _url_ref(url)
    if len(url) > MAX_DATA_URI_CHARS:
        return "bad:too-large"
    try:
        data, strict = _decoded(url)
    except Exception:
        data, strict = None, False
    if not data:
        return "bad:not-an-image"
    full = hashlib.sha256(data).hexdigest()
    if facts is not None and strict:
        media_type = _split(url)[0]  # type: ignore[index]  # (_decoded found it)
        facts[id(url)] = {"data_uri": media_type, "chars": len(url), "bytes": len(data), "sha256": full}
    digest = full[:32]
    path = Path(directory) / INPUTS_DIR / f"{digest}.jpg"
    if path.is_file():
        return f"sha256:{digest}"
    try:
        with _DECODING:
            image = _decode_small(data)
    except Exception:
        return "bad:undecodable"
    finally:
        del data
    if image is None:
        return "bad:too-large"
    try:
        atomic_write(path, ".jpg", lambda tmp: image.save(tmp, format="JPEG", quality=90))
    except OSError:
        return "bad:not-stored"
    return f"sha256:{digest}"


#: At most two input images are decoded at once (a 6000 px PNG takes about 100 MB while it decodes).
_DECODING = threading.BoundedSemaphore(2)


def _decode_small(data: bytes) -> PILImage.Image | None:
    """The picture in ``data`` as RGB, at most INPUT_SIDE a side; None when it has too many pixels."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", (INPUT_SIDE, INPUT_SIDE))  # JPEG: decode at 1/2, 1/4 or 1/8 scale
        if image.width * image.height > _MAX_INPUT_PIXELS:
            return None
        image.load()
        if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
            rgba = image.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (128, 128, 128))  # transparency over mid grey
            flat.paste(rgba, mask=rgba.getchannel("A"))
            small = flat
        else:
            small = image.convert("RGB")
        small.thumbnail((INPUT_SIDE, INPUT_SIDE), Image.Resampling.BILINEAR)
        return small


def atomic_write(path: Path, suffix: str, write: Callable[[Path], object]) -> None:
    """Run ``write`` on a temporary file beside ``path``, then rename it into place: no reader sees half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{suffix}", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
