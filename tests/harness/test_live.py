"""The contract checks against the real API: ``pytest --live`` (key ``GPTPROTO_API_KEY``, base URL
``GPTPROTO_BASE_URL``, default https://gptproto.com).

Free by default: requests the API must refuse, missing and bad keys, unknown task ids, one list page.
Paid generations only with ``--live-budget N`` (at most N tasks), at the cheapest settings, followed to the
end. Every answer is judged by its contract; each disagreement is drift, printed at the end of the run,
and fails its test. The same module runs against the mock (``GPTPROTO_BASE_URL=http://127.0.0.1:PORT``),
where it must find no drift (tests/harness/test_live_against_mock.py keeps it so).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import contracts
from client import DEFAULT_BASE_URL, ENV_API_KEY, ENV_BASE_URL, APIError, SeedanceClient, TaskError
from contracts import conformance, endpoints
from tests.harness.drift import DriftLog
from tests.harness.live import (
    ARK_REFUSALS,
    ARK_TASKS,
    BAD_KEY,
    NO_KEY_REASON,
    PREDICTION_REFUSALS,
    UNKNOWN_TASK,
    Exchange,
    RecordingTransport,
    cheapest_model,
    live_client,
    send_raw,
)
from tests.harness.live_options import BUDGET, DRIFT

pytestmark = pytest.mark.live

#: Seconds between polls of a paid task (GPTPROTO_LIVE_POLL_INTERVAL; a mock standing in can take 0.1).
POLL_INTERVAL = float(os.environ.get("GPTPROTO_LIVE_POLL_INTERVAL", "5"))


@pytest.fixture(scope="session")
def live_target() -> tuple[str, str]:
    """(key, base URL) of the API under test; the one skip reason when there is no key."""
    key = os.environ.get(ENV_API_KEY)
    if not key:
        pytest.skip(NO_KEY_REASON)
    return key, os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL


class Live:
    """One live test's client, its recorded exchanges and the run's drift log."""

    def __init__(self, test: str, key: str, base_url: str, log: DriftLog) -> None:
        self.test = test
        self.key = key
        self.base_url = base_url
        self.log = log
        self.client, self.transport = live_client(key, base_url)
        self.clients: list[tuple[SeedanceClient, RecordingTransport]] = [(self.client, self.transport)]

    def other_client(self, key: str) -> tuple[SeedanceClient, RecordingTransport]:
        """A client with another key, recorded like the first."""
        pair = live_client(key, self.base_url)
        self.clients.append(pair)
        return pair

    def close(self) -> None:
        for client, _ in self.clients:
            client.close()

    # -- judging ---------------------------------------------------------------------------------------
    def expect(self, ex: Exchange, where: str, ok: bool, expected: str, got: Any) -> bool:
        return self.log.expect(self.test, ex.endpoint, where, ok, expected, got)

    def answers_meet_contracts(self, exchanges: list[Exchange], error_contract: str | None = None) -> None:
        """Every answer meets its contract (``contracts.conformance.check_answer``, the checks the validation
        proxy runs): a 2xx its success contract, with a finished task's usage fitting the token formula and
        each task's status moving only forward; an error ``error_contract`` (by default the gateway's shape
        for a gateway error type, else the family's)."""
        tracker = conformance.StatusTracker()
        for ex in exchanges:
            found = conformance.check_answer(
                ex.method, ex.path, ex.status, ex.body, error_contract_name=error_contract, tracker=tracker
            )
            self.log.add(self.test, ex.endpoint, found)

    def refused(
        self,
        send: Callable[[], Any],
        *,
        status: int | None = None,
        error_contract: str,
        params: tuple[str, ...] = (),
        transport: RecordingTransport | None = None,
    ) -> Exchange:
        """``send()`` must be refused (4xx, or exactly ``status``) in ``error_contract``'s shape, naming one
        of ``params`` when it names a field at all."""
        transport = transport or self.transport
        with contextlib.suppress(APIError):
            send()
        ex = transport.take()[-1]
        wanted = f"HTTP {status}" if status else "HTTP 4xx (refused)"
        ok = ex.status == status if status else 400 <= ex.status < 500
        self.expect(ex, "HTTP status", ok, wanted, ex.status)
        if 200 <= ex.status < 300:
            self._undo(ex)
            return ex
        self.log.check_contract(self.test, ex.endpoint, error_contract, ex.body)
        error = ex.body.get("error") if isinstance(ex.body, dict) else None
        param = error.get("param") if isinstance(error, dict) else None
        if params and param is not None:
            # The contracts allow an error without param; one that names a field must name a refused one.
            self.expect(ex, f"{error_contract}: error.param", param in params, f"one of {list(params)}", param)
        return ex

    def _undo(self, ex: Exchange) -> None:
        # Accepted where the contracts refuse: cancel at once so the drift costs nothing.
        body = ex.body if isinstance(ex.body, dict) else {}
        task_id = body.get("id") or (body.get("data") or {}).get("id")
        if task_id:
            with contextlib.suppress(APIError):
                self.client.cancel_task(task_id)

    def assert_no_drift(self) -> None:
        drifted = self.log.of(self.test)
        assert not drifted, "the live API drifted from the contracts:\n" + "\n".join(d.line() for d in drifted)


@pytest.fixture
def live(request: pytest.FixtureRequest, live_target: tuple[str, str]) -> Iterator[Live]:
    """A recorded client on the API under test, for one test."""
    key, base_url = live_target
    log = request.config.stash[DRIFT]
    log.base_url = base_url
    session = Live(request.node.nodeid, key, base_url, log)
    yield session
    session.close()


def _refused_params(name: str, body: Any) -> tuple[str, ...]:
    found = contracts.violations(name, body)
    assert found, f"curated refusal is accepted by {name}: {body}"  # the curated set itself is wrong
    return tuple(dict.fromkeys(v.param for v in found))


# ---------------------------------------------------------------------------------------------- free checks


@pytest.mark.parametrize("case", sorted(ARK_REFUSALS))
def test_ark_refuses(live: Live, case: str) -> None:
    """A create body the contract refuses is refused live, in the Ark error shape, naming a refused field."""
    body = ARK_REFUSALS[case]
    params = _refused_params("ark.create_task.request", body)
    status = 404 if case == "unknown model" else None  # FIDELITY §5: unknown model → 404
    live.refused(
        lambda: send_raw(live.client, "POST", ARK_TASKS, json_body=body),
        status=status,
        error_contract="ark.error",
        params=params,
    )
    live.assert_no_drift()


@pytest.mark.parametrize("case", sorted(PREDICTION_REFUSALS))
def test_predictions_refuse(live: Live, case: str) -> None:
    """A predictions submit the contract refuses is refused live, in the predictions error shape."""
    op, model, body = PREDICTION_REFUSALS[case]
    params = _refused_params(endpoints.PREDICTION_OPS[op], {**body, "model": model})
    status = 404 if case == "unknown model" else None
    live.refused(
        lambda: send_raw(live.client, "POST", endpoints.path(f"predictions.{op}", model=model), json_body=body),
        status=status,
        error_contract="predictions.error",
        params=params,
    )
    live.assert_no_drift()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", ARK_TASKS),
        ("POST", ARK_TASKS),
        ("GET", f"{ARK_TASKS}/{UNKNOWN_TASK}"),
        ("GET", endpoints.path("predictions.result", task_id=UNKNOWN_TASK)),
        ("POST", endpoints.path("predictions.text-to-video", model="dreamina-seedance-2-0-fast-260128")),
    ],
)
def test_missing_key_is_401_in_the_gateway_shape(live: Live, method: str, path: str) -> None:
    """No Authorization header: 401 in the gateway's error shape [FIDELITY §1], on both families."""
    body = {"prompt": "a kite"} if endpoints.family_of(path) == "predictions" else None
    if method == "POST" and body is None:
        body = {"model": "seedance-1-0-lite-t2v-250428", "content": [{"type": "text", "text": "a kite"}]}
    live.refused(
        lambda: send_raw(live.client, method, path, json_body=body, authenticate=False),
        status=401,
        error_contract="gateway.error",
    )
    live.assert_no_drift()


def test_bad_key_is_401_in_the_gateway_shape(live: Live) -> None:
    """A key the gateway does not know: 401 in the gateway's shape, through the client's public call."""
    client, transport = live.other_client(BAD_KEY)
    live.refused(
        lambda: client.list_tasks(page_size=1), status=401, error_contract="gateway.error", transport=transport
    )
    live.assert_no_drift()


def test_unknown_task_id_is_404(live: Live) -> None:
    """An id no task has: 404 through both families (read and delete)."""
    live.refused(lambda: live.client.get_task(UNKNOWN_TASK), status=404, error_contract="ark.error")
    live.refused(lambda: live.client.delete_task(UNKNOWN_TASK), status=404, error_contract="ark.error")
    live.refused(lambda: live.client.get_prediction(UNKNOWN_TASK), status=404, error_contract="predictions.error")
    live.assert_no_drift()


def test_list_page_meets_its_contract(live: Live) -> None:
    """One page of the task list (free): ``ark.task_list``, every item an ``ark.task``."""
    live.client.list_tasks(page_size=5)
    live.answers_meet_contracts(live.transport.take())
    live.assert_no_drift()


# ---------------------------------------------------------------------------------------------- paid


def _spend(request: pytest.FixtureRequest) -> None:
    budget = request.config.stash[BUDGET]
    if budget.left <= 0:
        pytest.skip(f"paid generation: --live-budget {budget.total} allows no more tasks (pass --live-budget N)")
    budget.left -= 1


def test_paid_ark_generation(live: Live, request: pytest.FixtureRequest) -> None:
    """Cheapest Ark text-to-video, created, polled to the end and read through both families."""
    _spend(request)
    model, resolution, duration = cheapest_model("ark")
    try:
        task = live.client.create_and_wait(
            model.id,
            "A red kite over a quiet beach",
            resolution=resolution,
            duration=duration,
            timeout=1800,
            poll_interval=POLL_INTERVAL,
        )
        live.client.get_prediction(task.id)
        live.client.list_tasks(page_size=1, task_ids=[task.id])
    except TaskError:
        pass  # a failed or expired task still answers in contract shape; drift is what is judged here
    exchanges = live.transport.take()
    live.answers_meet_contracts(exchanges)
    final = [ex for ex in exchanges if ex.method == "GET" and ex.path.startswith(ARK_TASKS + "/")][-1]
    if isinstance(final.body, dict) and final.body.get("status") == "succeeded":
        live.expect(final, "ark.task: resolution", final.body.get("resolution") == resolution, resolution, final.body)
        live.expect(final, "ark.task: duration", final.body.get("duration") == duration, str(duration), final.body)
    live.assert_no_drift()


def test_paid_prediction(live: Live, request: pytest.FixtureRequest) -> None:
    """Cheapest predictions text-to-video, submitted, polled to the end and read through both families."""
    _spend(request)
    model, resolution, duration = cheapest_model("predictions")
    try:
        prediction = live.client.text_to_video(
            model.id, "A red kite over a quiet beach", resolution=resolution, duration=duration
        )
        live.client.wait(prediction, timeout=1800, poll_interval=POLL_INTERVAL)
        live.client.get_task(prediction.id)
    except TaskError:
        pass
    live.answers_meet_contracts(live.transport.take())
    live.assert_no_drift()
