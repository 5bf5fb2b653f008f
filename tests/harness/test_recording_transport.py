"""The live suite's recording transport, offline: what it hands on must still be readable by the client."""

from __future__ import annotations

import gzip
import json

import httpx

from client import SeedanceClient
from tests.harness.live import ARK_TASKS, UNKNOWN_TASK, RecordingTransport

TASK = {"id": UNKNOWN_TASK, "model": "seedance-1-0-lite-t2v-250428", "status": "queued"}


def test_a_gzip_answer_reaches_the_client_and_the_record_decoded() -> None:
    """A gateway that compresses (``Content-Encoding: gzip``): the client reads the JSON once, and the
    recorded body is the same JSON, not the compressed bytes nor a second decoding of them."""
    raw = json.dumps(TASK).encode()

    def gateway(request: httpx.Request) -> httpx.Response:
        packed = gzip.compress(raw)
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip", "Content-Length": str(len(packed))}
        return httpx.Response(200, headers=headers, content=packed)

    transport = RecordingTransport(httpx.MockTransport(gateway))
    client = SeedanceClient("sk-harness-0123456789", base_url="http://gateway.test", transport=transport)
    try:
        answer = client.request("GET", f"{ARK_TASKS}/{UNKNOWN_TASK}").json()
    finally:
        client.close()
    assert answer == TASK
    [exchange] = transport.take()
    assert (exchange.method, exchange.path, exchange.status, exchange.body) == (
        "GET",
        f"{ARK_TASKS}/{UNKNOWN_TASK}",
        200,
        TASK,
    )
