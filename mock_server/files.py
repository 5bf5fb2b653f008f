"""GET/HEAD /media/{name}: the real MP4 (or MOV) and PNG files behind every video and last-frame URL [issue 4].

The URLs are signed and checked in :mod:`mock_server.signing`; the files come from the media cache
(:mod:`mock_server.media`), rendered on first request.
"""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

from mock_server.errors import ApiError
from mock_server.state import STATE

# One byte range, "bytes=first-[last]" or "bytes=-suffix" (RFC 9110 §14.1.2), with bounded numbers.
_RANGE = re.compile(r"bytes=([0-9]{0,19})-([0-9]{0,19})")


def check_range(header: str | None, size: int) -> None:
    """416 (with a JSON body and ``Content-Range: bytes */size``) for a Range no byte of the file satisfies:
    a start at or past the end, a last byte before the first, a zero-length suffix (``bytes=-0``), or
    anything but one plain byte range (aiohttp answers those 416 too, without a body) [FIDELITY §12].
    A satisfiable one is served as 206 by aiohttp."""
    if header is None:
        return
    match = _RANGE.fullmatch(header.strip())
    ok = False
    if match is not None:
        first, last = match.groups()
        if first:
            ok = int(first) < size and (not last or int(last) >= int(first))
        elif last:
            ok = int(last) > 0 and size > 0
    if not ok:
        raise ApiError(
            416,
            "RangeNotSatisfiable",
            f"The Range header asks for no byte of this {size}-byte file (send one range, bytes=first-last).",
            "Range",
            headers={"Content-Range": f"bytes */{size}"},
        )


async def media(request: web.Request) -> web.StreamResponse:
    """Serve a signed media file; FileResponse gives Range (206), ETag, Content-Length and HEAD."""
    state = request.app[STATE]
    name = request.match_info["name"]
    query = request.query
    spec = state.signer.verify(name, query.get("expires"), query.get("signature"), query.get("spec"))
    path: Path
    if name.endswith(".mp4"):
        path, ctype = await state.media.ensure_video(spec), "video/mp4"
    elif name.endswith(".mov"):  # output_format "mov": a QuickTime movie [FIDELITY §11]
        path, ctype = await state.media.ensure_video(spec, "mov"), "video/quicktime"
    elif name.endswith(".png"):
        path, ctype = await state.media.ensure_last_frame(spec), "image/png"
    else:
        raise ApiError(404, "NotFound", f"No media called {name}.")
    check_range(request.headers.get("Range"), path.stat().st_size)
    return web.FileResponse(path, headers={"Content-Type": ctype, "Cache-Control": "private, max-age=86400"})


def routes() -> list[web.RouteDef]:
    """The media route (GET also answers HEAD)."""
    return [web.get("/media/{name}", media)]
