"""Upstreams for the validation-proxy tests: a deliberately drifted fake, and a server thread to run it.

No test here leaves 127.0.0.1: the upstream is either a second mock (``MockServer``) or :func:`drifted_app`.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

from client._base import tls_context
from mock_server.testing import MockServer

ARK = "/api/v3/contents/generations/tasks"
MODEL_1 = "seedance-1-0-lite-t2v-250428"
#: The Ark create every proxy session and replay test sends (a short 480p text-to-video task).
KITE = {"model": MODEL_1, "content": [{"type": "text", "text": "a kite"}], "resolution": "480p", "duration": 2}
MODEL_2 = "dreamina-seedance-2-0-fast-260128"
#: A key long enough that a leak of it would be unmistakable.
SECRET = "sk-proxy-test-0123456789abcdef-SECRET"
AUTH = {"Authorization": f"Bearer {SECRET}"}
FAKE_ID = "cgt-20260101000000-drift"
FAKE_RID = "20260101000000fakeupstream0001"
#: What the drifted fake saw: (method, path and query, Authorization).
SEEN = web.AppKey("seen", list)


def drifted_app() -> web.Application:
    """An upstream that answers off-contract: a status word neither family uses, a string where an integer
    belongs, a missing required field; and one endpoint that never answers in time."""
    app = web.Application()
    seen: list[tuple[str, str, str | None]] = []
    app[SEEN] = seen

    async def create(request: web.Request) -> web.Response:
        seen.append((request.method, request.path_qs, request.headers.get("Authorization")))
        return web.json_response({"id": FAKE_ID}, headers={"x-request-id": FAKE_RID})

    async def get(request: web.Request) -> web.Response:
        seen.append((request.method, request.path_qs, request.headers.get("Authorization")))
        task = {
            "id": request.match_info["id"],
            # "model" missing (required)
            "status": "in_progress",  # not a status word of either family
            "duration": "5",  # a string where an integer belongs
            "created_at": 1766663633,
            "updated_at": 1766663640,
        }
        return web.json_response(task, headers={"x-request-id": FAKE_RID, "Retry-After": "7"})

    async def refuse(request: web.Request) -> web.Response:
        key = request.headers.get("Authorization", "")
        seen.append((request.method, request.path_qs, key))
        # An upstream that echoes the caller's key in a message: the proxy must not record or log it whole.
        body = {"error": {"message": f"Invalid key {key}", "type": "invalid_request_error", "code": 401}}
        return web.json_response(body, status=401)

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.json_response({})

    app.router.add_post(ARK, create)
    app.router.add_get(ARK + "/{id}", get)
    app.router.add_get(ARK, refuse)
    app.router.add_get("/api/v3/predictions/{id}/result", slow)
    return app


@contextmanager
def serve(app: web.Application) -> Iterator[str]:
    """Run ``app`` on 127.0.0.1:0 in a thread; yields its origin."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def boot() -> None:
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.2)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        holder["runner"] = runner
        holder["port"] = runner.addresses[0][1]

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(boot())
        ready.set()
        loop.run_forever()
        loop.run_until_complete(holder["runner"].cleanup())
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield f"http://127.0.0.1:{holder['port']}"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def record_session(upstream: MockServer, proxy: MockServer) -> dict[str, str]:
    """A small session through ``proxy``: an Ark task and a prediction polled to the end, one refused
    create. Returns the task ids by family."""
    http = httpx.Client(base_url=proxy.base_url, headers=AUTH, timeout=10, verify=tls_context())
    with http:
        ark = http.post(
            ARK,
            json=KITE,
        )
        ark_id = ark.json()["id"]
        sub = http.post(
            f"/api/v3/bytedance/{MODEL_2}/text-to-video", json={"prompt": "a kite", "resolution": "480p", "duration": 4}
        )
        pred_id = sub.json()["data"]["id"]
        http.get(f"{ARK}/{ark_id}")
        http.get(f"/api/v3/predictions/{pred_id}/result")
        upstream.advance(1.5)
        http.get(f"{ARK}/{ark_id}")
        http.get(f"/api/v3/predictions/{pred_id}/result")
        upstream.advance(100)
        http.get(f"{ARK}/{ark_id}")
        http.get(f"/api/v3/predictions/{pred_id}/result")
        http.post(ARK, json={"model": MODEL_1, "content": [{"type": "text", "text": "a kite"}], "duration": 1000})
    return {"ark": ark_id, "predictions": pred_id}


def make_fixture(folder: Path) -> None:
    """(Re)make the recording kept under tests/fixtures/recordings/mock-session (run by hand, see README)."""
    with (
        MockServer(time_scale=0, random_seed=14, start_time=1_790_000_000) as up,
        MockServer(upstream=up.base_url, record_dir=folder, time_scale=0) as px,
    ):
        record_session(up, px)


if __name__ == "__main__":
    make_fixture(Path(__file__).parents[1] / "fixtures" / "recordings" / "mock-session")
