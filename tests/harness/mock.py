"""The mock server as the property tests drive it: one server per module on its own thread, a frozen clock,
one kept-alive HTTP connection, and every answer checked against its response contract on the way in."""

from __future__ import annotations

import base64
import http.client
import json
import select
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from contracts import conformance, endpoints
from mock_server.testing import MockServer
from tests.support import assert_contract

KEY = "sk-harness-0123456789"
OTHER_KEY = "sk-harness-other-9876"
# Paths and status words are the endpoint table's; which error contract an answer meets is the conformance
# checks' (the gateway's shape for a gateway error type [FIDELITY §1], else the family's): one source each.
ARK_TASKS = endpoints.path("ark.list")
GATEWAY_TYPES = conformance.GATEWAY_TYPES
PREDICTION_STATUS = endpoints.PREDICTION_STATUS
error_contract = conformance.error_contract
#: The statuses a task ends in without a video (a prediction then carries an ``error``).
UNSUCCESSFUL = endpoints.TERMINAL_STATUSES - {"succeeded", "completed"}


def _query_value(value: Any) -> str:
    # As httpx writes a query value (the harness's client before this one): true / false, "" for None.
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


class Connection:
    """One kept-alive HTTP/1.1 connection to the mock (``http.client``).

    The property tests send thousands of small requests; httpx spent about 1 ms of CPU on each of them in
    the client alone, three times what a bare request costs, so the harness talks plain HTTP. JSON bodies
    are encoded as httpx encodes them (UTF-8, compact, no NaN), so the mock reads the same bytes.
    """

    def __init__(self, port: int, timeout: float = 30) -> None:
        self._http = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def send(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        params: Any = None,
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        """(status, headers, body bytes) of one request; ``json_body`` None sends no body."""
        if params:
            pairs = params.items() if isinstance(params, dict) else params
            path += "?" + urlencode([(name, _query_value(value)) for name, value in pairs])
        sent = dict(headers or {})
        content = None
        if json_body is not None:
            content = json.dumps(json_body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
            sent["Content-Type"] = "application/json"
        sock = self._http.sock
        if sock is not None and select.select([sock], [], [], 0)[0]:
            self._http.close()  # readable while idle: the server closed it (keep-alive timeout); open anew
        self._http.request(method, path, body=content, headers=sent)
        response = self._http.getresponse()
        return response.status, response.headers, response.read()


class Harness:
    """HTTP to one :class:`MockServer`, with every response body validated against its contract."""

    def __init__(self, server: MockServer) -> None:
        self.server = server
        self.http = Connection(server.port)
        self.config = server.config

    def close(self) -> None:
        self.http.close()

    def request(
        self, method: str, path: str, *, contract: str | None, key: str = KEY, json_body: Any = None, params: Any = None
    ) -> tuple[int, Any]:
        """(status, JSON body); a 2xx body must meet ``contract``, an error body its error contract."""
        auth = {"Authorization": f"Bearer {key}"}
        status, headers, raw = self.http.send(method, path, headers=auth, json_body=json_body, params=params)
        body = json.loads(raw)
        assert headers.get("x-request-id"), f"{method} {path}: no x-request-id"
        if 200 <= status < 300:
            if contract is not None:
                assert_contract(contract, body)
        else:
            assert status < 500, f"{method} {path} → {status}: {body}"
            assert_contract(error_contract(path, body), body)
        return status, body

    # -- the calls -------------------------------------------------------------------------------------
    def create_ark(self, body: Any, key: str = KEY) -> tuple[int, Any]:
        return self.request("POST", ARK_TASKS, contract="ark.create_task.response", json_body=body, key=key)

    def submit(self, op: str, model: str, body: Any, key: str = KEY, webhook: str | None = None) -> tuple[int, Any]:
        params = {"webhook": webhook} if webhook is not None else None
        path = endpoints.path(f"predictions.{op}", model=model)
        return self.request("POST", path, contract="predictions.envelope", json_body=body, key=key, params=params)

    def deliveries(self, task_id: str | None = None, *, flush: bool = True) -> list[dict[str, Any]]:
        """Every callback / webhook attempt recorded (with ``flush``, after the pending ones are done: only
        when no retry waits for the frozen clock), each body checked against its contract
        (``ark.callback``, ``predictions.webhook``)."""
        if flush:
            self.server.flush_callbacks(30)
        params = {"task_id": task_id} if task_id else None
        status, _, raw = self.http.send("GET", "/_mock/callbacks", params=params)
        assert status == 200, raw
        items = json.loads(raw)["items"]
        for item in items:
            assert_contract("ark.callback" if item["kind"] == "callback" else "predictions.webhook", item["body"])
        return items

    def get_task(self, task_id: str, key: str = KEY) -> tuple[int, Any]:
        return self.request("GET", f"{ARK_TASKS}/{task_id}", contract="ark.task", key=key)

    def get_prediction(self, task_id: str, key: str = KEY) -> tuple[int, Any]:
        path = endpoints.path("predictions.result", task_id=task_id)
        return self.request("GET", path, contract="predictions.envelope", key=key)

    def list_tasks(self, params: list[tuple[str, Any]], key: str = KEY) -> tuple[int, Any]:
        return self.request("GET", ARK_TASKS, contract="ark.task_list", params=params, key=key)

    def delete(self, task_id: str, key: str = KEY) -> tuple[int, Any]:
        return self.request("DELETE", f"{ARK_TASKS}/{task_id}", contract="ark.delete_task.response", key=key)

    def read_both(self, task_id: str, key: str = KEY) -> dict[str, Any]:
        """The task through both families; they must tell the same story."""
        status, task = self.get_task(task_id, key)
        assert status == 200, task
        status, envelope = self.get_prediction(task_id, key)
        assert status == 200, envelope
        data = envelope["data"]
        assert data["id"] == task["id"] == task_id
        assert data["model"] == task["model"]
        assert data["status"] == PREDICTION_STATUS[task["status"]], (task["status"], data["status"])
        assert (data["error"] is not None) == (task["status"] in UNSUCCESSFUL), data
        if task["status"] == "succeeded":
            (output,) = data["outputs"]
            if output.startswith(("http://", "https://")):
                assert output == task["content"]["video_url"]
            else:  # enable_base64_output: the MP4 itself, bare base64 [FIDELITY §3]
                assert base64.b64decode(output, validate=True)[4:8] == b"ftyp", output[:40]
        return task

    def advance(self, seconds: float) -> float:
        return self.server.advance(seconds)


def harness_server(cache_dir: Path, **overrides: Any) -> Iterator[Harness]:
    """A frozen-clock server (queued 1 s, running 3 s) with a quota no property test reaches."""
    settings: dict[str, Any] = {
        "time_scale": 0,
        "queue_seconds": 1,
        "run_seconds": 3,
        "max_queued_per_key": 10**6,
        "log_requests": False,
        "random_seed": 11,
        "cache_dir": cache_dir,
        **overrides,
    }
    with MockServer(**settings) as server:
        harness = Harness(server)
        try:
            yield harness
        finally:
            harness.close()
