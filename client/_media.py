"""Media inputs: URLs and ``data:`` URIs pass through; local paths and bytes become ``data:<mime>;base64,…``.

Both families take an image either as a URL or inline as Base64 [seed 000: "image URL or Base64 encoded
image"], so a local file never needs a separate upload.
"""

from __future__ import annotations

import base64
import mimetypes
import os
from pathlib import Path
from typing import Union

from client._errors import ValidationError

__all__ = ["MediaInput", "sniff_mime", "to_data_uri", "to_media_url"]

#: What a media argument may be: an http(s) URL, a ``data:`` URI, a local path, or raw bytes.
MediaInput = Union[str, bytes, bytearray, os.PathLike[str]]  # noqa: UP007 -- a runtime alias

_PASS_THROUGH = ("http://", "https://", "data:")

# Magic numbers of the formats the API takes (and a few neighbours), first match wins.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"BM", 0, "image/bmp"),
    (b"ftyp", 4, "video/mp4"),
    (b"ID3", 0, "audio/mpeg"),
    (b"\xff\xfb", 0, "audio/mpeg"),
    (b"fLaC", 0, "audio/flac"),
    (b"OggS", 0, "audio/ogg"),
)


def sniff_mime(data: bytes) -> str | None:
    """The MIME type announced by ``data``'s first bytes, or None."""
    if data[:4] == b"RIFF" and len(data) >= 12:
        kind = data[8:12]
        if kind == b"WEBP":
            return "image/webp"
        if kind == b"WAVE":
            return "audio/wav"
    for magic, offset, mime in _SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            return mime
    return None


def to_data_uri(data: bytes, mime: str | None = None) -> str:
    """``data:<mime>;base64,<data>``; the MIME type is sniffed when not given."""
    mime = mime or sniff_mime(data) or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def to_media_url(value: MediaInput, *, param: str) -> str:
    """A URL the API accepts for ``value``; ``param`` names the argument in a ValidationError."""
    if isinstance(value, bytes | bytearray):
        if not value:
            raise ValidationError(f"{param} is empty bytes", param=param, value=value)
        return to_data_uri(bytes(value))
    if isinstance(value, str):
        if value.lower().startswith(_PASS_THROUGH):
            return value
        if "://" in value:
            raise ValidationError(
                f"{param} {value!r} is not an http(s) URL, a data: URI or a local file",
                param=param,
                value=value,
            )
        path = Path(value).expanduser()
    elif isinstance(value, os.PathLike):
        path = Path(value)
    else:
        raise ValidationError(
            f"{param} must be a URL, a data: URI, a file path or bytes, not {type(value).__name__}",
            param=param,
            value=value,
        )
    if not path.is_file():
        raise ValidationError(f"{param}: no such file {str(path)!r}", param=param, value=value)
    data = path.read_bytes()
    guessed, _ = mimetypes.guess_type(path.name)
    return to_data_uri(data, sniff_mime(data) or guessed)
