"""Input images, measured safely: the size of a ``data:`` image for ``ratio: adaptive`` [issue 10].

Only image formats upstream accepts are read (PNG, JPEG, WebP, BMP, TIFF, GIF [UPSTREAM §7 reference media
limits]), by Pillow, which parses the header and decodes no pixel: an 8 MB photo is measured in
microseconds, and nothing here ever goes near FFmpeg's demuxers (an ``ffconcat`` list once made the server
open local files). Anything that is not one of those images — or is absurdly large — gives None, and the
caller falls back to 16:9 exactly as for a URL it cannot fetch [FIDELITY §11].

``data:`` URIs are also what makes a create body big: :func:`data_uri_facts` sums one up (media type, size,
digest) for the journal without keeping, or even decoding at once, its bytes [FIDELITY §12].
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import re
from typing import Any
from urllib.parse import unquote_to_bytes

__all__ = ["FORMATS", "MAX_DATA_URI_CHARS", "MAX_PIXELS", "data_uri_bytes", "data_uri_facts", "image_size"]

#: The formats measured: upstream's list for reference images, in Pillow's names [UPSTREAM §7].
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
    if not isinstance(url, str) or len(url) > MAX_DATA_URI_CHARS:
        return None
    head = _split(url)
    if head is None or not head[0].startswith("image/"):
        return None
    _, is_base64, start = head
    try:
        payload = url[start:] if limit is None else url[start : start + limit]
        if not is_base64:
            return unquote_to_bytes(payload)
        if _has_space(payload):  # MIME line breaks
            payload = "".join(payload.split())
        if limit is not None and len(url) - start > limit:
            payload = payload[: len(payload) // 4 * 4]  # a prefix: whole quanta only
        payload += "=" * (-len(payload) % 4)
        altchars = b"-_" if "-" in payload or "_" in payload else None
        return base64.b64decode(payload, altchars=altchars)
    except (binascii.Error, ValueError, UnicodeError):
        return None


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
