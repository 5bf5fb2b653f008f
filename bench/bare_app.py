"""The ceiling for this stack: a bare aiohttp app answering the mock's benchmarked paths with fixed JSON.

    python bench/bare_app.py --port 0 [--low-level]

Same interpreter, same aiohttp, same event loop (uvloop where installed: mock_server/eventloop.py) and same
runner settings as ``seedance-mock`` (``AppRunner``, no access log), but no middleware, no validation, no
state: whatever the mock does beyond this is what the ratio measures. POST handlers read the body, as any
JSON API must.

``--low-level`` serves the same answers from aiohttp's lowest layer instead: ``web.Server`` with one handler
that picks the answer by method and path prefix (no ``Application``, no router, no ``Request`` subclass). It is
about the most a server on aiohttp's web layer can do here; bench_http.py shows it beside aimock [issue 17].
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from aiohttp import web

TASK = b'{"id":"cgt-20250101000000-bench","model":"dreamina-seedance-2-0-260128","status":"queued"}'
CREATED = b'{"id":"cgt-20250101000000-bench"}'
PREDICTION = b'{"code":200,"message":"success","data":{"id":"cgt-20250101000000-bench","status":"created"}}'


def fixed(body: bytes, *, read: bool = False):  # type: ignore[no-untyped-def]
    async def handler(request: web.Request) -> web.Response:
        if read:
            await request.read()
        return web.Response(body=body, content_type="application/json")

    return handler


def create_app() -> web.Application:
    """The bare app: the benchmarked paths plus /_mock/health."""
    app = web.Application()
    app.add_routes(
        [
            web.get("/api/v3/contents/generations/tasks/{task_id}", fixed(TASK)),
            web.post("/api/v3/contents/generations/tasks", fixed(CREATED, read=True)),
            web.get("/api/v3/predictions/{task_id}/result", fixed(PREDICTION)),
            web.post("/api/v3/bytedance/{model}/text-to-video", fixed(PREDICTION, read=True)),
            web.get("/_mock/health", fixed(b'{"status":"ok"}')),
        ]
    )
    return app


async def low_level(request: web.BaseRequest) -> web.Response:
    """The same answers as :func:`create_app`'s routes, chosen without a router."""
    path = request.path
    if request.method == "POST":
        await request.read()
        if path == "/api/v3/contents/generations/tasks":
            return web.Response(body=CREATED, content_type="application/json")
        if path.startswith("/api/v3/bytedance/") and path.endswith("/text-to-video"):
            return web.Response(body=PREDICTION, content_type="application/json")
    elif request.method == "GET":
        if path.startswith("/api/v3/contents/generations/tasks/"):
            return web.Response(body=TASK, content_type="application/json")
        if path.startswith("/api/v3/predictions/") and path.endswith("/result"):
            return web.Response(body=PREDICTION, content_type="application/json")
        if path == "/_mock/health":
            return web.Response(body=b'{"status":"ok"}', content_type="application/json")
    return web.Response(status=404)


async def serve(host: str, port: int, *, lowest: bool = False) -> None:
    runner: web.BaseRunner
    if lowest:
        runner = web.ServerRunner(web.Server(low_level, access_log=None), handle_signals=True)
    else:
        runner = web.AppRunner(create_app(), access_log=None, handle_signals=True)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    name = "aiohttp web.Server" if lowest else "bare aiohttp"
    print(f"{name} listening on http://{host}:{runner.addresses[0][1]}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--low-level", action="store_true", help="aiohttp's web.Server alone: no app, no router")
    args = parser.parse_args()
    from mock_server.eventloop import run

    with contextlib.suppress(KeyboardInterrupt):
        run(serve(args.host, args.port, lowest=args.low_level))


if __name__ == "__main__":
    main()
