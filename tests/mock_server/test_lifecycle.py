"""The lifecycle: every transition, the per-key queue, expiry, markers, accounts and quotas."""

from __future__ import annotations

import pytest

from tests.mock_server.conftest import KEY, Mock
from tests.support import assert_contract, text_body

TASKS = "/api/v3/contents/generations/tasks"
ORDER = {"queued": 0, "running": 1, "succeeded": 2, "failed": 2, "expired": 2, "cancelled": 2}


async def create(mock: Mock, body: dict | None = None, key: str = KEY) -> str:
    status, data, _ = await mock.call("POST", TASKS, json=body or text_body(), key=key)
    assert status == 200, data
    return data["id"]


async def status_of(mock: Mock, task_id: str, key: str = KEY) -> str:
    status, data, _ = await mock.call("GET", f"{TASKS}/{task_id}", key=key)
    assert status == 200, data
    assert_contract("ark.task", data)
    return data["status"]


async def test_at_most_ten_running_per_key_the_rest_wait_in_order(mock: Mock) -> None:
    ids = [await create(mock) for _ in range(12)]
    other = await create(mock, key="sk-other-key-9999")
    await mock.advance(1)
    statuses = [await status_of(mock, i) for i in ids]
    assert statuses == ["running"] * 10 + ["queued"] * 2
    assert await status_of(mock, other, key="sk-other-key-9999") == "running"  # keys do not share slots
    await mock.advance(3)
    statuses = [await status_of(mock, i) for i in ids]
    assert statuses == ["succeeded"] * 10 + ["running"] * 2
    await mock.advance(3)
    assert {await status_of(mock, i) for i in ids} == {"succeeded"}


async def test_statuses_never_go_backwards_and_updated_at_moves(mock: Mock) -> None:
    task_id = await create(mock)
    seen = []
    for _ in range(10):
        _, data, _ = await mock.call("GET", f"{TASKS}/{task_id}")
        seen.append((ORDER[data["status"]], data["updated_at"]))
        await mock.advance(0.5)
    assert seen == sorted(seen)
    assert len({s for s, _ in seen}) == 3  # queued, running, succeeded all observed


async def test_expire_marker_never_starts_and_expires_when_due(mock: Mock) -> None:
    task_id = await create(mock, text_body(prompt="x [mock:expire]", execution_expires_after=3600))
    await mock.advance(3599)
    assert await status_of(mock, task_id) == "queued"
    await mock.advance(1)
    assert await status_of(mock, task_id) == "expired"
    await mock.advance(10_000)
    assert await status_of(mock, task_id) == "expired"  # terminal stays


async def test_a_task_waiting_behind_the_limit_expires_in_the_queue(make_mock) -> None:
    mock = await make_mock(max_running_per_key=1, run_seconds=5000)
    first = await create(mock)
    second = await create(mock, text_body(execution_expires_after=3600))
    await mock.advance(3600)
    assert (await status_of(mock, first), await status_of(mock, second)) == ("running", "expired")


async def test_expiry_of_a_running_task_frees_its_slot(make_mock) -> None:
    mock = await make_mock(max_running_per_key=1, run_seconds=5000)
    first = await create(mock, text_body(execution_expires_after=3600))
    second = await create(mock)
    await mock.advance(3601)
    assert (await status_of(mock, first), await status_of(mock, second)) == ("expired", "running")


async def test_fail_marker_ends_failed_with_the_output_moderation_code(mock: Mock) -> None:
    task_id = await create(mock, text_body(prompt="a beach [mock:fail]"))
    await mock.advance(10)
    _, data, _ = await mock.call("GET", f"{TASKS}/{task_id}")
    assert data["status"] == "failed"
    assert data["error"]["code"] == "OutputVideoSensitiveContentDetected"
    assert "content" not in data and "usage" not in data


@pytest.mark.parametrize(
    ("marker", "status", "code"),
    [
        ("content_policy", 400, "InputTextSensitiveContentDetected"),
        ("500", 500, "InternalServiceError"),
        ("429", 429, "RateLimitExceeded.EndpointRPMExceeded"),
    ],
)
async def test_create_time_markers(mock: Mock, marker: str, status: int, code: str) -> None:
    got, data, headers = await mock.call("POST", TASKS, json=text_body(prompt=f"x [mock:{marker}]"))
    assert got == status and assert_contract("ark.error", data)["error"]["code"] == code
    if status == 429:
        assert int(headers["Retry-After"]) >= 1
    assert mock.state.store.list(KEY) == []  # nothing was created


async def test_queue_quota_is_429_quota_exceeded(make_mock) -> None:
    mock = await make_mock(max_queued_per_key=3)
    for _ in range(3):
        await create(mock)
    status, data, headers = await mock.call("POST", TASKS, json=text_body())
    assert status == 429 and data["error"]["code"] == "QuotaExceeded" and "Retry-After" in headers
    await mock.advance(1)  # they start running: room in the queue again
    await create(mock)


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        ({"Authorization": f"Bearer {KEY}"}, True),
        ({"Authorization": KEY}, True),  # the seeds' raw form [FIDELITY §1]
        ({"Authorization": f"bearer {KEY}"}, True),
        ({}, False),
        ({"Authorization": ""}, False),
        ({"Authorization": "Bearer"}, False),
        ({"Authorization": "Bearer a b"}, False),
        ({"Authorization": "Basic dXNlcjpwYXNz extra"}, False),
    ],
)
async def test_authentication(mock: Mock, header: dict, ok: bool) -> None:
    status, data, _ = await mock.call("GET", TASKS, key=None, headers=header)
    if ok:
        assert status == 200
    else:
        assert status == 401
        assert_contract("gateway.error", data)
        assert (data["error"]["type"], data["error"]["code"]) == ("invalid_request_error", "invalid_api_key")


async def test_strict_key_list_and_revoked_keys(make_mock) -> None:
    mock = await make_mock(api_keys=("sk-allowed-0001",))
    assert (await mock.call("GET", TASKS, key="sk-allowed-0001"))[0] == 200
    assert (await mock.call("GET", TASKS, key="sk-stranger-0002"))[0] == 401
    status, _, _ = await mock.call("PUT", "/_mock/keys/sk-allowed-0001", json={"valid": False})
    assert status == 200
    assert (await mock.call("GET", TASKS, key="sk-allowed-0001"))[0] == 401


async def test_balance_is_charged_per_succeeded_task_then_403(mock: Mock) -> None:
    # 2.0 720p 16:9 5 s costs 108900 tokens: a balance of 200000 pays for one.
    await mock.call("PUT", f"/_mock/keys/{KEY}", json={"balance": 200_000})
    await create(mock)
    await mock.advance(10)
    status, acct, _ = await mock.call("GET", f"/_mock/keys/{KEY}")
    assert (acct["balance"], acct["spent"]) == (200_000 - 108_900, 108_900)
    status, data, _ = await mock.call("POST", TASKS, json=text_body())
    assert status == 403
    assert_contract("gateway.error", data)
    assert data["error"]["type"] == "permission_error" and "balance" in data["error"]["message"].lower()


async def test_failed_tasks_are_not_charged(mock: Mock) -> None:
    await create(mock, text_body(prompt="[mock:fail]"))
    await mock.advance(10)
    assert (await mock.call("GET", f"/_mock/keys/{KEY}"))[1]["spent"] == 0


async def test_allowed_models_per_key(mock: Mock) -> None:
    await mock.call("PUT", f"/_mock/keys/{KEY}", json={"models": ["seedance-1-5-pro-251215"]})
    await create(mock, text_body("seedance-1-5-pro-251215"))
    status, data, _ = await mock.call("POST", TASKS, json=text_body("dreamina-seedance-2-0-260128"))
    assert status == 403 and assert_contract("gateway.error", data)


async def test_requests_per_minute_limit_with_retry_after(mock: Mock) -> None:
    await mock.call("PUT", f"/_mock/keys/{KEY}", json={"rpm": 2})
    assert (await mock.call("GET", TASKS))[0] == 200
    await mock.advance(20)
    assert (await mock.call("GET", TASKS))[0] == 200
    status, data, headers = await mock.call("GET", TASKS)
    assert status == 429 and assert_contract("gateway.error", data)
    assert data["error"]["code"] == "rate_limit_exceeded"
    assert headers["Retry-After"] == "40"  # the first request leaves the window 40 s from now
    await mock.advance(40)
    assert (await mock.call("GET", TASKS))[0] == 200


async def test_ids_are_reproducible_with_a_random_seed_and_fixed_start(make_mock) -> None:
    first = await make_mock(random_seed=1, start_time=1_766_663_633)
    second = await make_mock(random_seed=1, start_time=1_766_663_633)
    a, b = await create(first), await create(second)
    assert a == b and a.startswith("cgt-20251225115353-")


async def test_oldest_finished_tasks_are_forgotten_beyond_max_tasks(make_mock) -> None:
    mock = await make_mock(max_tasks=5)
    finished = [await create(mock) for _ in range(4)]
    await mock.advance(10)
    live = [await create(mock) for _ in range(3)]
    # The 6th task crossed the cap: the oldest finished tasks went, down to 1% (here: 1 task) under it.
    assert [(await mock.call("GET", f"{TASKS}/{t}"))[0] for t in finished] == [404, 404, 200, 200]
    assert [await status_of(mock, t) for t in live] == ["queued"] * 3  # live work is never lost
    assert len(mock.state.store) == 5


async def test_a_cap_with_only_live_tasks_keeps_them_all(make_mock) -> None:
    mock = await make_mock(max_tasks=3)
    ids = [await create(mock) for _ in range(6)]
    assert [await status_of(mock, t) for t in ids] == ["queued"] * 6
    await mock.advance(10)
    assert {await status_of(mock, t) for t in ids} == {"succeeded"}


async def test_pending_events_stay_bounded_by_the_stored_tasks(make_mock) -> None:
    # Every create schedules a 48 h expiry; deleted and finished tasks must not keep theirs in memory.
    mock = await make_mock(max_tasks=50, max_running_per_key=100)
    for _ in range(30):
        for _ in range(50):
            await create(mock)
        await mock.advance(10)
    store = mock.state.store
    assert len(store) <= 50
    assert len(store._events) <= 2 * len(store) + 1024 + 1
    for _ in range(5):
        await create(mock)
    await mock.advance(10)
    assert {t.status for t in store.list(KEY)} == {"succeeded"}
