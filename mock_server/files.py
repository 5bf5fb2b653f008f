"""GET/HEAD /media/{name}: the real MP4 and PNG files behind every video and last-frame URL [issue 4]."""

from __future__ import annotations

from aiohttp import web

from mock_server.errors import ApiError
from mock_server.state import STATE


async def media(request: web.Request) -> web.StreamResponse:
    """Serve a signed media file; FileResponse gives Range (206), ETag, Content-Length and HEAD."""
    state = request.app[STATE]
    name = request.match_info["name"]
    query = request.query
    spec = state.check_media(name, query.get("expires"), query.get("signature"), query.get("spec"))
    if name.endswith(".mp4"):
        path, ctype = await state.media.ensure_video(spec), "video/mp4"
    elif name.endswith(".png"):
        path, ctype = await state.media.ensure_last_frame(spec), "image/png"
    else:
        raise ApiError(404, "NotFound", f"No media called {name}.")
    return web.FileResponse(path, headers={"Content-Type": ctype, "Cache-Control": "private, max-age=86400"})


def routes() -> list[web.RouteDef]:
    """The media route (GET also answers HEAD)."""
    return [web.get("/media/{name}", media)]
