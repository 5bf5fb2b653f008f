"""Media arguments: URLs and data: URIs pass through; files and bytes become data: URIs."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from client import ValidationError, to_data_uri, to_media_url

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 16


@pytest.mark.parametrize(
    "url",
    ["https://example.com/a.png", "http://127.0.0.1:8000/x.jpg", "data:image/png;base64,AAAA", "HTTPS://X/Y"],
)
def test_urls_pass_through(url: str) -> None:
    assert to_media_url(url, param="image") == url


def test_bytes_become_a_sniffed_data_uri() -> None:
    assert to_media_url(PNG, param="image") == "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert to_media_url(bytearray(JPEG), param="image").startswith("data:image/jpeg;base64,")
    webp = b"RIFF\0\0\0\0WEBPVP8 "
    assert to_data_uri(webp).startswith("data:image/webp;base64,")
    assert to_data_uri(b"\0\0\0\x18ftypmp42").startswith("data:video/mp4;base64,")
    assert to_data_uri(b"plain").startswith("data:application/octet-stream;base64,")


def test_files_become_data_uris(tmp_path: Path) -> None:
    png = tmp_path / "frame.png"
    png.write_bytes(PNG)
    assert to_media_url(str(png), param="image") == to_data_uri(PNG, "image/png")
    assert to_media_url(png, param="image") == to_data_uri(PNG, "image/png")
    # A format the sniffer does not know is named from the file extension.
    odd = tmp_path / "clip.webm"
    odd.write_bytes(b"\x1a\x45\xdf\xa3")
    assert to_media_url(odd, param="video").startswith("data:video/webm;base64,")


@pytest.mark.parametrize("value", ["/no/such/file.png", "ftp://example.com/a.png", b"", 42])
def test_unusable_values_are_refused(value: object) -> None:
    with pytest.raises(ValidationError) as info:
        to_media_url(value, param="first_frame")  # type: ignore[arg-type]
    assert info.value.param == "first_frame"
    assert "first_frame" in str(info.value)
