"""Callbacks and webhooks: the mock calls the user's app back on a clock that runs by itself [FIDELITY §8].

A real receiver (a stdlib HTTP server on its own thread, port 0) stands in for the user's app; nothing here
polls the task: the journal proves that only the create reached the mock.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import contracts
from client import Prediction, Task, WebhookVerificationError, webhooks
from mock_server.callbacks import check_url
from mock_server.errors import ApiError
from mock_server.testing import MockServer
from tests.support import assert_contract, http, text_body

TASKS = "/api/v3/contents/generations/tasks"
T2V = "/api/v3/bytedance/dreamina-seedance-2-0-260128/text-to-video"


class Receiver:
    """The user's app: records every POST (headers, raw body) and answers what ``answer(body)`` says."""

    def __init__(self, answer: Callable[[dict[str, Any]], int] = lambda body: 200) -> None:
        self.answer = answer
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.release = threading.Event()
        self.release.set()
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.arrived:
                    receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, raw))
                    receiver.arrived.notify_all()
                receiver.release.wait(30)
                status = receiver.answer(json.loads(raw))
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/seedance"
        # serve_forever checks for shutdown() between polls: its default 0.5 s poll made every close() (each
        # test's teardown) wait half a second.
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True)
        self.thread.start()

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(raw) for _, raw in self.received]

    def statuses(self) -> list[str]:
        return [b["status"] for b in self.bodies()]

    def wait_for(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        """Block until ``count`` POSTs arrived (the deliveries come by themselves)."""
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.received) >= count, timeout), self.statuses()
        return self.bodies()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def frozen(tmp_path) -> Iterator[MockServer]:
    with MockServer(time_scale=0, cache_dir=tmp_path, log_requests=False) as server:
        yield server


def _auth(server: MockServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.api_key}"}


def _create(server: MockServer, **fields: Any) -> str:
    prompt = fields.pop("prompt", "a cat")
    response = http.post(server.ark_base_url + "/contents/generations/tasks", headers=_auth(server),
                          json=text_body(prompt=prompt, **fields))  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()["id"]


def _advance(server: MockServer, seconds: float) -> None:
    response = http.post(server.base_url + "/_mock/clock/advance", json={"seconds": seconds})
    assert response.status_code == 200, response.text


def _attempts(server: MockServer, **query: str) -> dict[str, Any]:
    response = http.get(server.base_url + "/_mock/callbacks", params=query)
    assert response.status_code == 200, response.text
    return response.json()


# -- the must-shows ----------------------------------------------------------------------------------------
def test_frozen_clock_one_advance_delivers_running_then_succeeded_with_no_polling(
    frozen: MockServer, receiver: Receiver
) -> None:
    task_id = _create(frozen, callback_url=receiver.url)
    assert receiver.wait_for(1)[0]["status"] == "queued"  # [FIDELITY §8] the initial queued is sent
    _advance(frozen, 10)
    bodies = receiver.wait_for(3)
    assert [b["status"] for b in bodies] == ["queued", "running", "succeeded"]
    done = bodies[-1]
    assert_contract("ark.callback", done)
    assert done["id"] == task_id
    assert done["content"]["video_url"].startswith(frozen.base_url + "/media/")
    assert done["usage"]["completion_tokens"] == done["usage"]["total_tokens"] > 0
    # The task object itself, exactly as GET returns it (no envelope) [FIDELITY §8].
    got = http.get(frozen.ark_base_url + f"/contents/generations/tasks/{task_id}", headers=_auth(frozen)).json()
    assert done == got
    # Only the create reached the API: nobody polled.
    # (the create, and the GET just above, made after the callbacks came)
    assert [(e["method"], e["path"]) for e in frozen.journal()] == [("POST", TASKS), ("GET", f"{TASKS}/{task_id}")]


def test_with_time_running_the_callback_arrives_with_no_request_at_all(tmp_path, receiver: Receiver) -> None:
    with MockServer(time_scale=1, queue_seconds=0.05, run_seconds=0.1, cache_dir=tmp_path) as server:
        task_id = _create(server, callback_url=receiver.url)
        bodies = receiver.wait_for(3)
        assert [b["status"] for b in bodies] == ["queued", "running", "succeeded"]
        assert bodies[-1]["id"] == task_id and bodies[-1]["content"]["video_url"]
        assert [e["method"] for e in server.journal()] == ["POST"]  # the create alone


def test_a_receiver_answering_500_to_succeeded_gets_exactly_four_attempts_spaced_on_the_mock_clock(
    frozen: MockServer,
) -> None:
    receiver = Receiver(lambda body: 500 if body["status"] == "succeeded" else 200)
    try:
        task_id = _create(frozen, callback_url=receiver.url)
        _advance(frozen, 4)  # running at +1, succeeded at +4: the first attempt of succeeded fails
        receiver.wait_for(3)
        frozen.wait_for_callback(task_id, "succeeded")
        seen = _attempts(frozen, task_id=task_id, event="succeeded")
        assert (seen["total"], seen["pending"], seen["in_flight"]) == (1, 1, 0)  # the retry waits for the clock
        _advance(frozen, 5)  # retry 1 is due 5 mock seconds after the transition
        receiver.wait_for(4)
        _advance(frozen, 60)  # retries 2 and 3
        receiver.wait_for(6)
        frozen.flush_callbacks(10)
        seen = _attempts(frozen, task_id=task_id, event="succeeded")
        assert [(a["attempt"], a["outcome"], a["status_code"], a["final"]) for a in seen["items"]] == [
            (1, "rejected", 500, False),
            (2, "rejected", 500, False),
            (3, "rejected", 500, False),
            (4, "rejected", 500, True),
        ]
        assert [a["mock_time"] >= a["event_time"] + 5 * (a["attempt"] - 1) for a in seen["items"]] == [True] * 4
        assert receiver.statuses() == ["queued", "running"] + ["succeeded"] * 4
        # running is not retried even when it fails [FIDELITY §8: succeeded/failed only]
        assert _attempts(frozen, task_id=task_id, event="running")["total"] == 1
    finally:
        receiver.close()


def test_a_failed_task_delivers_failed_with_its_error(frozen: MockServer, receiver: Receiver) -> None:
    task_id = _create(frozen, callback_url=receiver.url, prompt="a fox [mock:fail]")
    _advance(frozen, 10)
    failed = receiver.wait_for(3)[-1]
    assert_contract("ark.callback", failed)
    assert (failed["id"], failed["status"]) == (task_id, "failed")
    assert failed["error"]["code"] == "OutputVideoSensitiveContentDetected" and failed["error"]["message"]
    assert "content" not in failed
    assert isinstance(webhooks.parse(json.dumps(failed)), Task)
    assert webhooks.parse_callback(failed).error.code == "OutputVideoSensitiveContentDetected"


def test_a_prediction_webhook_is_a_signed_bare_prediction_that_verifies(frozen: MockServer, receiver: Receiver) -> None:
    response = http.post(frozen.base_url + T2V, params={"webhook": receiver.url}, headers=_auth(frozen),
                          json={"prompt": "a dog", "duration": 5})  # fmt: skip
    assert response.status_code == 200, response.text
    prediction_id = response.json()["data"]["id"]
    _advance(frozen, 10)
    receiver.wait_for(1)
    headers, raw = receiver.received[0]
    body = json.loads(raw)
    assert_contract("predictions.webhook", body)
    assert "data" not in body and body["id"] == prediction_id and body["status"] == "completed"
    assert body["input"] == {"prompt": "a dog", "duration": 5}
    assert body["outputs"][0].startswith(frozen.base_url + "/media/")

    secret_answer = http.get(frozen.base_url + "/api/v3/webhook/secret", headers=_auth(frozen)).json()
    secret = secret_answer["data"]["secret"]
    assert (secret_answer["code"], secret[:6]) == (200, "whsec_")
    # By hand, as the docs describe: HMAC-SHA256 of "{id}.{timestamp}.{raw body}", key = secret minus whsec_.
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + raw
    expected = hmac.new(secret.removeprefix("whsec_").encode(), signed, hashlib.sha256).hexdigest()
    assert headers["webhook-signature"] == f"v3,{expected}"
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 300
    # And with the client.
    webhooks.verify(headers, raw, secret)
    parsed = webhooks.parse(raw)
    assert isinstance(parsed, Prediction) and parsed.succeeded and parsed.video_url == body["outputs"][0]
    with pytest.raises(WebhookVerificationError):
        webhooks.verify(headers, raw.replace(b"completed", b"failed"), secret)
    # A webhook is sent for the terminal state only [FIDELITY §8].
    assert [a["event"] for a in frozen.callbacks(prediction_id)] == ["completed"]


# -- predictions webhook details ------------------------------------------------------------------------
def test_the_secret_is_stable_per_key_and_differs_between_keys(frozen: MockServer) -> None:
    def secret(key: str) -> str:
        answer = http.get(frozen.base_url + "/api/v3/webhook/secret", headers={"Authorization": key})
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]["secret"]

    assert secret("sk-one-aaaaaa") == secret("Bearer sk-one-aaaaaa") != secret("sk-two-bbbbbb")
    missing = http.get(frozen.base_url + "/api/v3/webhook/secret")
    assert missing.status_code == 401 and "error" in missing.json()


def test_webhook_url_body_field_and_failed_predictions(frozen: MockServer, receiver: Receiver) -> None:
    body = {"prompt": "a fox [mock:fail]", "webhook_url": receiver.url}
    response = http.post(frozen.base_url + T2V, headers=_auth(frozen), json=body)
    assert response.status_code == 200, response.text
    _advance(frozen, 10)
    sent = receiver.wait_for(1)[0]
    assert_contract("predictions.webhook", sent)
    assert sent["status"] == "failed" and sent["error"].startswith("OutputVideoSensitiveContentDetected")
    assert "webhook_url" not in sent["input"]


def test_the_webhook_input_echo_cuts_data_uris(frozen: MockServer) -> None:
    import base64
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.effect_noise((400, 400), 64).convert("RGB").save(buf, "PNG")
    image = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    assert len(image) > 10_000
    url = frozen.base_url + "/api/v3/bytedance/dreamina-seedance-2-0-260128/image-to-video"
    response = http.post(url, params={"webhook": frozen.sink_url()}, headers=_auth(frozen),
                          json={"prompt": "a dog", "image": image})  # fmt: skip
    assert response.status_code == 200, response.text
    frozen.advance(10)
    frozen.flush_callbacks(10)
    (received,) = frozen.sink()
    assert_contract("predictions.webhook", received["body"])
    echoed = received["body"]["input"]["image"]
    assert echoed.startswith(image[:1024]) and echoed.endswith(f"({len(image)} chars)")


@pytest.mark.parametrize("where", ["query", "body"])
def test_a_webhook_with_base64_output_is_a_400(frozen: MockServer, where: str) -> None:
    body: dict[str, Any] = {"prompt": "a dog", "enable_base64_output": True}
    params = {}
    if where == "query":
        params["webhook"] = frozen.sink_url()
    else:
        body["webhook_url"] = frozen.sink_url()
    response = http.post(frozen.base_url + T2V, params=params, headers=_auth(frozen), json=body)
    assert response.status_code == 400, response.text
    assert_contract("predictions.error", response.json())
    assert response.json()["error"]["param"] == "enable_base64_output"
    assert frozen.call(lambda s: len(s.store)) == 0
    # Without a webhook the flag is accepted.
    ok = http.post(frozen.base_url + T2V, headers=_auth(frozen), json={"prompt": "a", "enable_base64_output": True})
    assert ok.status_code == 200, ok.text


# -- who may be called ----------------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "user-42", "http://", "http://héllo/", "http://a:99999/"])
def test_a_callback_url_that_is_not_http_is_refused_naming_the_field(frozen: MockServer, url: str) -> None:
    response = http.post(frozen.ark_base_url + "/contents/generations/tasks", headers=_auth(frozen),
                          json=text_body(callback_url=url))  # fmt: skip
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == "callback_url"


def test_callback_allow_restricts_who_is_called(tmp_path) -> None:
    with MockServer(time_scale=0, cache_dir=tmp_path, callback_allow=("http://127.0.0.1:*",)) as server:
        refused = http.post(server.ark_base_url + "/contents/generations/tasks", headers=_auth(server),
                             json=text_body(callback_url="https://example.com/hook"))  # fmt: skip
        assert refused.status_code == 400
        error = refused.json()["error"]
        assert (error["code"], error["param"]) == ("InvalidParameter", "callback_url")
        assert "--callback-allow" in error["message"]
        hook = http.post(server.base_url + T2V, params={"webhook": "https://example.com/hook"},
                          headers=_auth(server), json={"prompt": "a"})  # fmt: skip
        assert hook.status_code == 400 and hook.json()["error"]["param"] == "webhook"
        assert _create(server, callback_url=server.sink_url())
        assert server.call(lambda s: len(s.store)) == 1  # refused creates left nothing behind


# -- seeing and steering deliveries -----------------------------------------------------------------------
def test_mock_callbacks_lists_attempts_with_filters(frozen: MockServer) -> None:
    ok = _create(frozen, callback_url=frozen.sink_url("ok"))
    bad = _create(frozen, callback_url=frozen.sink_url("bad") + "?status=503")
    _advance(frozen, 10)
    frozen.wait_for_callback(ok, "succeeded")
    frozen.wait_for_callback(bad, "succeeded")
    everything = _attempts(frozen)
    assert {a["task_id"] for a in everything["items"]} == {ok, bad}
    first = everything["items"][0]
    assert set(first) >= {"task_id", "url", "event", "attempt", "outcome", "status_code", "error", "mock_time",
                          "real_time", "body"}  # fmt: skip
    assert [a["event"] for a in _attempts(frozen, task_id=ok)["items"]] == ["queued", "running", "succeeded"]
    assert {a["task_id"] for a in _attempts(frozen, outcome="rejected")["items"]} == {bad}
    assert {a["task_id"] for a in _attempts(frozen, url="*/sink/ok")["items"]} == {ok}
    assert _attempts(frozen, event="running", limit="1")["total"] == 1
    for query in ({"outcome": "meh"}, {"colour": "red"}, {"limit": "-1"}, {"kind": "x"}):
        response = http.get(frozen.base_url + "/_mock/callbacks", params=query)
        assert response.status_code == 400, query
    # The sink recorded what it got, and answers the status it was told to.
    sink = http.get(frozen.sink_url("ok")).json()
    assert [e["body"]["status"] for e in sink["items"]] == ["queued", "running", "succeeded"]
    assert sink["items"][0]["headers"]["content-type"] == "application/json"
    # The journal of API requests is unchanged: deliveries and the sink are not in it.
    assert [e["path"] for e in frozen.journal()] == [TASKS, TASKS]


def test_fault_rules_fail_or_delay_deliveries_so_retries_can_be_tested(frozen: MockServer, receiver: Receiver) -> None:
    frozen.add_fault(target="callbacks", event="succeeded", status=503, times=2)
    task_id = _create(frozen, callback_url=receiver.url)
    _advance(frozen, 100)  # every retry is due
    receiver.wait_for(3)
    frozen.flush_callbacks(10)
    succeeded = frozen.callbacks(task_id, event="succeeded")
    assert [(a["attempt"], a["outcome"], a["status_code"]) for a in succeeded] == [
        (1, "faulted", 503),
        (2, "faulted", 503),
        (3, "delivered", 200),
    ]
    assert receiver.statuses() == ["queued", "running", "succeeded"]  # the faulted ones were never sent
    # drop: as if the receiver could not be reached
    frozen.add_fault(target="callbacks", url=receiver.url, drop=True, times=1)
    other = _create(frozen, callback_url=receiver.url)
    frozen.flush_callbacks(10)
    assert [a["outcome"] for a in frozen.callbacks(other)] == ["faulted"]  # queued is not retried
    bad = http.post(frozen.base_url + "/_mock/faults", json={"target": "callbacks", "path": "/x", "status": 500})
    assert bad.status_code == 400
    # A callbacks rule never touches API requests.
    frozen.add_fault(target="callbacks", status=500, times=None)
    assert http.get(frozen.ark_base_url + f"/contents/generations/tasks/{task_id}", headers=_auth(frozen)).is_success


def test_a_hanging_receiver_never_slows_the_api_and_concurrency_is_bounded(tmp_path) -> None:
    receiver = Receiver()
    receiver.release.clear()  # the app hangs on every delivery until the test lets it go
    try:
        with MockServer(time_scale=0, cache_dir=tmp_path, callback_timeout=30, callback_concurrency=2) as server:
            ids = [_create(server, callback_url=receiver.url) for _ in range(4)]
            receiver.wait_for(2)  # two deliveries in flight, held by the receiver
            assert _attempts(server)["in_flight"] == 2
            # The API answers while the deliveries hang.
            for task_id in ids:
                got = http.get(server.ark_base_url + f"/contents/generations/tasks/{task_id}", headers=_auth(server))
                assert got.json()["status"] == "queued"
            assert len(receiver.received) == 2  # still only two: the bound holds
            receiver.release.set()
            server.flush_callbacks(20)
            assert [a["outcome"] for a in server.callbacks()] == ["delivered"] * 4
    finally:
        receiver.close()


def test_an_unanswered_delivery_times_out(tmp_path) -> None:
    receiver = Receiver()
    receiver.release.clear()
    try:
        with MockServer(time_scale=0, cache_dir=tmp_path, callback_timeout=0.1) as server:  # the least allowed
            task_id = _create(server, callback_url=receiver.url)
            server.flush_callbacks(20)
            (attempt,) = server.callbacks(task_id)
            assert (attempt["outcome"], attempt["status_code"], attempt["error"]) == (
                "timeout",
                None,
                "no answer within 0.1 s",
            )
    finally:
        receiver.close()


def test_cancelled_is_delivered_and_events_can_be_chosen(tmp_path, receiver: Receiver) -> None:
    with MockServer(time_scale=0, cache_dir=tmp_path, callback_events=("succeeded", "cancelled")) as server:
        cancelled = _create(server, callback_url=receiver.url)
        response = http.delete(server.ark_base_url + f"/contents/generations/tasks/{cancelled}", headers=_auth(server))
        assert response.status_code == 200
        assert [b["status"] for b in receiver.wait_for(1)] == ["cancelled"]
        done = _create(server, callback_url=receiver.url)
        server.advance(10)
        server.flush_callbacks(10)
        assert [(b["id"], b["status"]) for b in receiver.bodies()] == [(cancelled, "cancelled"), (done, "succeeded")]


def test_deliveries_of_one_task_never_overtake_each_other(tmp_path, receiver: Receiver) -> None:
    """A slow first delivery holds back the task's next one: the app sees its statuses in order."""
    receiver.release.clear()
    with MockServer(time_scale=0, cache_dir=tmp_path, callback_timeout=10) as server:
        task_id = _create(server, callback_url=receiver.url)
        receiver.wait_for(1)  # queued is being delivered and hangs
        server.advance(10)  # running and succeeded are due now, but wait their turn
        assert [(a["event"]) for a in server.callbacks(task_id)] == []
        receiver.release.set()
        server.flush_callbacks(10)
        assert receiver.statuses() == ["queued", "running", "succeeded"]


def test_reset_forgets_deliveries_and_sinks(frozen: MockServer) -> None:
    _create(frozen, callback_url=frozen.sink_url())
    frozen.flush_callbacks(10)
    assert frozen.sink() and frozen.callbacks()
    assert http.post(frozen.base_url + "/_mock/reset", json={}).status_code == 200
    assert frozen.sink() == [] and frozen.callbacks() == []


def test_the_sink_records_any_body_and_refuses_bad_names(frozen: MockServer) -> None:
    url = frozen.sink_url("raw")
    assert http.post(url, content=b"not json \xff", headers={"Content-Type": "text/plain"}).status_code == 200
    assert http.post(url + "?status=500", json={"a": 1}).status_code == 500
    lone = http.post(url, content=b'{"a": "\\ud800"}', headers={"Content-Type": "application/json"})
    assert lone.status_code == 200
    items = http.get(url).json()["items"]
    assert items[0]["body"] == "not json \ufffd" and items[1]["body"] == {"a": 1}
    assert items[2]["raw"] == '{"a": "\\ud800"}'  # kept as text: a lone surrogate cannot be answered as JSON
    assert http.post(frozen.base_url + "/_mock/sink/" + "x" * 65).status_code == 400
    assert http.post(url + "?status=99").status_code == 400
    assert http.delete(url).status_code == 200 and http.get(url).json()["total"] == 0


# -- the driver ------------------------------------------------------------------------------------------
def test_an_idle_server_does_not_turn_its_driver(tmp_path) -> None:
    """No busy loop: with nothing due, the driver sleeps until woken (a spin would turn thousands of times in
    each 0.1 s watched here)."""
    with MockServer(time_scale=1, cache_dir=tmp_path) as server:
        before = _attempts(server)["driver_turns"]
        time.sleep(0.1)
        assert _attempts(server)["driver_turns"] == before
        # A task's life wakes it a few times (create, transitions), not continuously.
        _create(server)
        server.advance(10)
        time.sleep(0.1)
        turns = _attempts(server)["driver_turns"] - before
        assert 1 <= turns <= 20, turns


def test_a_create_turns_the_driver_only_when_its_task_is_due_sooner(tmp_path) -> None:
    """Under load every create used to turn the driver; now only one due before its next turn does [issue 17].
    With the clock frozen none is (the advance wakes it); with time running, a task due sooner than the one the
    driver sleeps for still moves on time."""
    with MockServer(time_scale=0, cache_dir=tmp_path) as server:
        _create(server)
        before = _attempts(server)["driver_turns"]
        for n in range(10):
            _create(server, prompt=f"cat {n}")
        assert _attempts(server)["driver_turns"] == before
        server.advance(10)
        assert _attempts(server)["driver_turns"] > before  # the advance woke it
    with MockServer(time_scale=1, queue_seconds=0.05, run_seconds=0.05, cache_dir=tmp_path) as server:
        # Due in 600 s (flex waits longer): the driver sleeps until then.
        _create(server, model="seedance-1-0-pro-250528", service_tier="flex")
        task_id = _create(server)  # due in 0.05 s
        deadline = time.monotonic() + 10
        while server.call(lambda s: s.store.get(task_id).status) != "succeeded":  # no request settles it
            assert time.monotonic() < deadline
            time.sleep(0.02)


def test_with_time_running_statuses_advance_with_no_request(tmp_path) -> None:
    with MockServer(time_scale=1, queue_seconds=0.05, run_seconds=0.05, cache_dir=tmp_path) as server:
        task_id = _create(server)
        deadline = time.monotonic() + 10
        # Read the store directly (no HTTP request, no lazy settle): the driver moved it.
        while server.call(lambda s: s.store.get(task_id).status) != "succeeded":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert [e["method"] for e in server.journal()] == ["POST"]


# -- the callback_url contract and the mock's own URL check agree ------------------------------------------
_CALLBACK_PATTERN = contracts.schema("common")["$defs"]["callback_url"]["pattern"]


@settings(max_examples=3 * settings.default.max_examples, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.from_regex(re.compile(_CALLBACK_PATTERN.removesuffix("$") + r"\Z")))
def test_every_url_the_contract_admits_is_one_the_mock_can_call(url: str) -> None:
    """Schemathesis found `hTTPS://tw8EQ(N~i]<Wc0P"R=%@8`: the contract took it, the mock's URL parser did not
    (a 400 for a schema-valid create). The contract now states the authority the mock can parse."""
    assume(len(url) <= 2048)
    assert check_url(url, None, "callback_url") == url


def test_an_authority_the_mock_cannot_parse_is_refused_by_the_contract_too() -> None:
    for url in ['hTTPS://tw8EQ(N~i]<Wc0P"R=%@8', "http://[::1", "http://host:99999/", "http://host:x/", "http://@/"]:
        assert re.match(_CALLBACK_PATTERN.removesuffix("$") + r"\Z", url) is None, url
        with pytest.raises(ApiError):
            check_url(url, None, "callback_url")
