"""The validation proxy, ``--upstream URL`` [issue 14], and the replay of recorded traffic, ``--replay DIR``.

Every ``/api/`` request goes to the upstream with its method, path, query, body and ``Authorization``; the
upstream's answer comes back unchanged (status, body, the headers that matter). On the way both sides are
judged by ``contracts.conformance`` — the same checks the live contract suite runs — and each disagreement
is drift: counted in an ``x-seedance-drift`` header, listed by ``GET /_mock/drift``, logged, and printed by
``seedance-mock drift-report``. The proxy talks to the upstream only; a timeout or a connection failure is a
502 in the family's error shape, counted as ``unreachable``.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections import deque
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from contracts import conformance, endpoints
from contracts.conformance import Finding
from mock_server.config import MockConfig
from mock_server.errors import ApiError, render
from mock_server.recording import Recorder, Replayer, api_key_of, iso, scrub
from mock_server.state import STATE
from mock_server.wire import reply

log = logging.getLogger("seedance_mock")

#: Request headers passed on: the caller's key and what describes the body and the client, nothing else
#: (no cookies, no admin token, no Host: the upstream's own host is used).
FORWARDED = ("Authorization", "Content-Type", "Accept", "User-Agent", "X-Client-Request-Id")
#: Answer headers passed back: what clients read [FIDELITY §1, §2 wire quirks, §7 SDK behaviour].
RETURNED = ("Content-Type", "Retry-After", "x-request-id", "x-client-request-id", "x-should-retry")
#: Findings kept for ``GET /_mock/drift`` (the oldest go first); ``checked`` counts them all.
KEEP = 1000


def check_upstream(url: str) -> str:
    """``url`` as the proxy's upstream (``http(s)://host[:port][/prefix]``, no trailing slash); ValueError
    says what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"--upstream must be an http:// or https:// URL with a host, not {url!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("--upstream takes an origin (and optional path prefix): no query, fragment or user info")
    try:
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        raise ValueError(f"--upstream has an invalid port: {url!r}") from None
    return url.rstrip("/")


def _family(path: str) -> str:
    return endpoints.family_of(path) or "ark"


def _request_id() -> str:
    # Shaped like upstream's (time + 20 hex digits) [FIDELITY §1]; for the proxy's own 4xx/502 answers.
    return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + f"{random.getrandbits(80):020x}"


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return raw.decode("utf-8", "replace")


class DriftBook:
    """What ``GET /_mock/drift`` shows: how many answers were checked and every finding."""

    def __init__(self) -> None:
        self.checked = 0
        self.unreachable = 0
        self.items: deque[dict[str, Any]] = deque(maxlen=KEEP)

    def add(self, kind: str, method: str, path: str, finding: Finding, request_id: str | None) -> dict[str, Any]:
        item = {
            "kind": kind,
            "endpoint": path,
            "method": method,
            "contract": finding.contract,
            "path": finding.path,
            "expected": finding.expected,
            "got": finding.got,
            "request_id": request_id,
            "time": iso(time.time()),
        }
        self.items.append(item)
        log.warning(
            "drift: %s %s [%s] expected %s; got %s (upstream request id %s)",
            method,
            path,
            finding.where,
            finding.expected,
            finding.got,
            request_id,
        )
        return item

    def as_json(self) -> dict[str, Any]:
        return {"checked": self.checked, "unreachable": self.unreachable, "drift": list(self.items)}


class Proxy:
    """One proxy's upstream, HTTP session, drift book, status tracker and optional recorder."""

    def __init__(self, config: MockConfig) -> None:
        assert config.upstream is not None
        self.upstream = check_upstream(config.upstream)
        self.timeout = config.upstream_timeout
        self.max_bytes = config.max_body_bytes
        self.log_requests = config.log_requests
        self.book = DriftBook()
        self.tracker = conformance.StatusTracker()
        self.recorder = Recorder(config.record_dir, self.upstream) if config.record_dir else None
        self.session: aiohttp.ClientSession | None = None

    async def start(self, app: web.Application) -> None:
        self.session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            cookie_jar=aiohttp.DummyCookieJar(),  # every caller's cookies stay theirs
            auto_decompress=True,
        )

    async def close(self, app: web.Application) -> None:
        if self.session is not None:
            await self.session.close()

    def _error(self, family: str, err: ApiError) -> web.Response:
        rid = _request_id()
        response = reply(render(err, family, rid), err.status, err.headers)
        response.headers["x-request-id"] = rid
        return response

    async def handle(self, request: web.Request) -> web.Response:
        """Forward ``request``, judge both sides, record, and return the upstream's answer unchanged."""
        family = _family(request.path)
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._error(
                family,
                ApiError(413, "RequestEntityTooLarge", f"The request body is larger than {self.max_bytes} bytes."),
            )
        headers = {h: request.headers[h] for h in FORWARDED if h in request.headers}
        # The path and query exactly as sent, always relative (an absolute-form request line names no host
        # of ours to go to): the host is the upstream's, whatever the caller wrote.
        url = self.upstream + request.rel_url.raw_path_qs
        started = time.perf_counter()
        assert self.session is not None
        try:
            async with self.session.request(
                request.method, url, data=raw or None, headers=headers, allow_redirects=False
            ) as answer:
                body_raw = await answer.content.read(self.max_bytes + 1)
                if len(body_raw) > self.max_bytes:
                    raise ValueError(f"the answer is larger than {self.max_bytes} bytes")
                status = answer.status
                kept = {h: answer.headers[h] for h in RETURNED if h in answer.headers}
        except (TimeoutError, aiohttp.ClientError, ValueError, OSError) as exc:
            return self._unreachable(request, family, exc)
        found = 0
        try:
            found = self._observe(request, raw, status, kept, body_raw, started)
        except Exception:  # a bug of ours must never cost the caller the upstream's answer
            log.exception("validation proxy: could not check %s %s", request.method, request.path)
        response = web.Response(body=body_raw, status=status)
        for name, value in kept.items():
            response.headers[name] = value
        if found:
            response.headers["x-seedance-drift"] = str(found)
        return response

    def _observe(
        self, request: web.Request, raw: bytes, status: int, kept: dict[str, str], body_raw: bytes, started: float
    ) -> int:
        """Judge and record one exchange; returns the number of findings."""
        upstream_rid = kept.get("x-request-id")
        request_body = _parse(raw) if raw else None
        answer_body = _parse(body_raw) if body_raw else None
        found = self._judge(request, request_body, status, answer_body, upstream_rid)
        if self.log_requests:
            ms = (time.perf_counter() - started) * 1000
            log.info(
                "%s %s → upstream %s %.1fms%s",
                request.method,
                request.path,
                status,
                ms,
                f" drift {found}" if found else "",
            )
        if self.recorder is not None:
            self.recorder.exchange(
                method=request.method,
                path=request.path,
                query=request.query_string,
                authorization=request.headers.get("Authorization"),
                request_body=request_body,
                status=status,
                headers=kept,
                body=answer_body,
                seen=time.time(),
            )
        return found

    def _judge(self, request: web.Request, sent: Any, status: int, body: Any, rid: str | None) -> int:
        """Check the request and the answer; every finding goes to the book. Returns how many."""
        method, path = request.method, request.path
        self.book.checked += 1
        key = api_key_of(request.headers.get("Authorization"))
        findings: list[tuple[str, Finding]] = []
        if isinstance(sent, dict):
            findings += [("request", f) for f in conformance.check_request(method, path, sent, status, body)]
        if body is None or isinstance(body, str):
            if conformance.success_contract(method, path) or not 200 <= status < 300:
                shown = conformance.short(body if body else "<empty>", 80)
                findings.append(("response", Finding("body", "", "a JSON body", shown)))
        else:
            for f in conformance.check_answer(method, path, status, body, tracker=self.tracker):
                kind = "transition" if f.contract == "transition" else "usage" if f.contract == "usage" else "response"
                findings.append((kind, f))
        for kind, f in findings:
            safe = Finding(f.contract, f.path, f.expected, scrub(f.got, key))
            self.book.add(kind, method, path, safe, rid)
        return len(findings)

    def _unreachable(self, request: web.Request, family: str, exc: BaseException) -> web.Response:
        self.book.checked += 1
        self.book.unreachable += 1
        reason = (
            "no answer within the timeout" if isinstance(exc, TimeoutError) else (f"{type(exc).__name__}: {exc}"[:300])
        )
        self.book.add(
            "unreachable",
            request.method,
            request.path,
            Finding("upstream", "", f"an answer from {self.upstream} within {self.timeout:g} s", reason),
            None,
        )
        err = ApiError(502, "BadGateway", f"The upstream {self.upstream} did not answer: {reason}.")
        return self._error(family, err)


PROXY = web.AppKey("seedance_mock_proxy", Proxy)
REPLAY = web.AppKey("seedance_mock_replay", Replayer)


async def replayed(replayer: Replayer, request: web.Request) -> web.StreamResponse | None:
    """The recorded answer to an API request (taken after authentication) when one covers it; None lets the
    simulated mock answer, unless ``--replay-strict`` (a 404)."""
    answer = await replayer.answer(request)
    if answer is not None:
        return answer
    if replayer.strict:
        raise ApiError(
            404,
            "NotFound",
            f"No recording answers {request.method} {request.path} (--replay-strict serves recorded traffic only).",
        )
    return None


async def drift(request: web.Request) -> web.Response:
    """GET /_mock/drift: ``{"checked", "unreachable", "drift": [...]}`` of the validation proxy."""
    proxy = request.app.get(PROXY)
    if proxy is None:
        raise ApiError(404, "NotFound", "No validation proxy runs here: start seedance-mock with --upstream URL.")
    return reply(proxy.book.as_json())


def install(app: web.Application, config: MockConfig) -> list[web.RouteDef]:
    """Wire the proxy (``--upstream``) or the replay (``--replay``) into a fresh app [issue 14]; returns the
    routes it adds. Every /api/ request goes to the proxy, before anything else of the mock; a recorded
    answer stands in for the simulated one after authentication (mock_server.app.framed)."""
    state = app[STATE]
    if config.upstream:
        proxy = app[PROXY] = state.upstream = Proxy(config)
        app.on_startup.append(proxy.start)
        app.on_cleanup.append(proxy.close)
    if config.replay_dir:
        app[REPLAY] = state.replayer = Replayer(config.replay_dir, config.replay_ignore, config.replay_strict)
    return [web.get("/_mock/drift", drift)]
