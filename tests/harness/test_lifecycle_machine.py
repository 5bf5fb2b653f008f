"""The task lifecycle as a state machine: creates in either family, clock jumps, cancels, deletes and
filtered lists, in any order, with the invariants of FIDELITY §2 checked after every step.

Some tasks are created with a ``callback_url`` (Ark) or a ``?webhook=`` (predictions) pointing at the mock's
own sink: their deliveries must follow the lifecycle — one per transition, in order, never for a status the
task did not reach — and every body must meet its contract [FIDELITY §8].

A small ``max_running_per_key`` (2) makes the per-key queue matter, and at most one 4k task runs per key
(upstream's 4k concurrency [FIDELITY §7]); ``execution_expires_after`` 3600 (the
minimum) with big clock jumps, and ``[mock:expire]``, make expiry happen.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

import contracts
from contracts.endpoints import ARK_STATUSES, TERMINAL_STATUSES
from tests.harness import strategies as gen
from tests.harness.mock import KEY, OTHER_KEY, PREDICTION_STATUS, Harness, harness_server

MAX_RUNNING = 2
MAX_RUNNING_4K = 1  # [FIDELITY §7]
TERMINAL = frozenset(ARK_STATUSES) & TERMINAL_STATUSES
RANK = {"queued": 0, "running": 1}
KEYS = (KEY, OTHER_KEY)


@dataclass
class Known:
    """What the test knows of one task it created."""

    id: str
    key: str
    model_id: str
    created_at: float
    expires_after: int
    outcome: str  # succeed | fail | expire
    status: str = "queued"
    deleted: bool = False
    hook: str | None = None  # "callback" | "webhook": deliveries go to the mock's sink


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    """A frozen-clock mock that runs at most two tasks per key."""
    # Retention (7 days, cancelled 24 h) is not part of this model: the machine's clock jumps days at a time,
    # and tests/mock_server/test_fidelity.py covers it [FIDELITY §9].
    yield from harness_server(
        tmp_path_factory.mktemp("media"),
        max_running_per_key=MAX_RUNNING,
        max_running_4k_per_key=MAX_RUNNING_4K,
        retention_seconds=10**9,
        cancelled_retention_seconds=10**9,
    )


class Lifecycle(RuleBasedStateMachine):
    """Model: the tasks created so far and the last status each showed."""

    harness: Harness
    tasks = Bundle("tasks")

    def __init__(self) -> None:
        super().__init__()
        self.known: dict[str, Known] = {}
        self.now = 0.0  # mock time, read from the server at the start and after each advance

    @initialize()
    def fresh(self) -> None:
        self.harness.server.reset()
        # The clock is frozen: only advance() moves it, so the model keeps the time advance() answers
        # instead of asking the server before every check (thousands of round trips to its loop).
        assert self.mock.config.time_scale == 0
        self.now = self.mock.server.now()

    # -- helpers ---------------------------------------------------------------------------------------
    @property
    def mock(self) -> Harness:
        return self.harness

    def _prompt(self, outcome: str) -> str:
        return {"succeed": "a fox in the snow", "fail": "a fox [mock:fail]", "expire": "a fox [mock:expire]"}[outcome]

    def _remember(self, task_id: str, key: str, model: contracts.Model, expires: int, outcome: str) -> Known:
        known = Known(task_id, key, model.id, self.now, expires, outcome)
        self.known[task_id] = known
        return known

    def _observe(self, known: Known, status: str) -> None:
        """A newly seen status: never backwards, terminal for good, expiry exactly when due."""
        before = known.status
        if before in TERMINAL:
            assert status == before, f"{known.id}: terminal {before} became {status}"
        else:
            assert status in TERMINAL or RANK[status] >= RANK[before], f"{known.id}: {before} → {status}"
        due = known.created_at + known.expires_after
        if status in ("queued", "running"):
            assert self.now < due, f"{known.id} still {status} at {self.now}, expired at {due}"
        if status == "expired":
            assert self.now >= due, f"{known.id} expired early"
        if known.outcome == "expire":
            assert status in ("queued", "expired", "cancelled"), f"{known.id} ([mock:expire]) is {status}"
        if status == "succeeded":
            assert known.outcome == "succeed"
        if status == "failed":
            assert known.outcome == "fail"
        known.status = status

    # -- rules -----------------------------------------------------------------------------------------
    @rule(
        target=tasks,
        model=st.sampled_from(gen.MODELS),
        data=st.data(),
        key=st.sampled_from(KEYS),
        outcome=st.sampled_from(["succeed", "succeed", "fail", "expire"]),
        expires=st.sampled_from([3600, 7200, None]),
        callback=st.booleans(),
    )
    def create_ark(
        self, model: contracts.Model, data: st.DataObject, key: str, outcome: str, expires: int | None,
        callback: bool,
    ) -> str:  # fmt: skip
        body = data.draw(gen.valid_ark_bodies(model))
        body["content"][0] = {"type": "text", "text": self._prompt(outcome)}
        # The flex tier waits in a queue of its own and is listed apart [FIDELITY §2]: test_fidelity.py's.
        body.pop("service_tier", None)
        if expires is not None:
            body["execution_expires_after"] = expires
        body["callback_url"] = self.mock.server.base_url + "/_mock/sink/machine" if callback else None
        expires = body.get("execution_expires_after")
        status, answer = self.mock.create_ark(body, key=key)
        assert status == 200, answer
        default = contracts.family_rules("ark")["execution_expires_after_default"]
        known = self._remember(answer["id"], key, model, expires or default, outcome)
        known.hook = "callback" if callback else None
        return answer["id"]

    @rule(
        target=tasks,
        model=st.sampled_from(gen.MODELS),
        data=st.data(),
        key=st.sampled_from(KEYS),
        outcome=st.sampled_from(["succeed", "fail", "expire"]),
        sync=st.sampled_from([False, False, False, True]),
        webhook=st.booleans(),
    )
    def create_prediction(
        self, model: contracts.Model, data: st.DataObject, key: str, outcome: str, sync: bool, webhook: bool
    ) -> str:
        op, name, body = data.draw(gen.valid_prediction_requests(model))
        body["prompt"] = self._prompt(outcome)
        if sync:
            body["enable_sync_mode"] = True
        url = self.mock.server.base_url + "/_mock/sink/machine" if webhook else None
        if webhook:
            body.pop("enable_base64_output", None)  # refused together with a webhook [FIDELITY §8]
        status, answer = self.mock.submit(op, name, body, key=key, webhook=url)
        assert status == 200, answer
        default = contracts.family_rules("ark")["execution_expires_after_default"]
        known = self._remember(answer["data"]["id"], key, model, default, outcome)
        known.hook = "webhook" if webhook else None
        word = answer["data"]["status"]
        if sync and outcome != "expire":
            # enable_sync_mode answers once the task has ended [FIDELITY §3].
            assert word == PREDICTION_STATUS["succeeded" if outcome == "succeed" else "failed"], answer
            known.status = "succeeded" if outcome == "succeed" else "failed"
        else:
            assert word == "created", answer
        return known.id

    @rule(seconds=st.sampled_from([0.5, 1, 1, 2, 3, 3, 4, 10, 3599, 3600, 7200, 172800]))
    def advance(self, seconds: float) -> None:
        self.now = self.mock.advance(seconds)

    @rule(task_id=tasks)
    def read(self, task_id: str) -> None:
        known = self.known[task_id]
        if known.deleted:
            assert self.mock.get_task(task_id, key=known.key)[0] == 404
            assert self.mock.get_prediction(task_id, key=known.key)[0] == 404
            return
        self._observe(known, self.mock.read_both(task_id, key=known.key)["status"])
        # Tasks are private to the key that made them.
        other = KEYS[1 - KEYS.index(known.key)]
        assert self.mock.get_task(task_id, key=other)[0] == 404

    @rule(task_id=tasks)
    def delete(self, task_id: str) -> None:
        """DELETE cancels a queued task, deletes a finished one, refuses a running or cancelled one."""
        known = self.known[task_id]
        if known.deleted:
            status, answer = self.mock.delete(task_id, key=known.key)
            assert status == 404 and answer["error"]["code"] == "NotFound", answer
            return
        before = self.mock.get_task(task_id, key=known.key)[1]["status"]  # the clock is frozen: still true
        self._observe(known, before)
        status, answer = self.mock.delete(task_id, key=known.key)
        if before == "queued":
            assert (status, answer) == (200, {}), answer
            self._observe(known, self.mock.read_both(task_id, key=known.key)["status"])
            assert known.status == "cancelled"
        elif before in ("succeeded", "failed", "expired"):
            assert (status, answer) == (200, {}), answer
            known.deleted = True
            assert self.mock.get_task(task_id, key=known.key)[0] == 404
        else:
            assert status == 400, answer
            assert (answer["error"]["code"], answer["error"]["param"]) == ("InvalidParameter", "id"), answer
            self._observe(known, self.mock.get_task(task_id, key=known.key)[1]["status"])

    @rule(
        data=st.data(),
        key=st.sampled_from(KEYS),
        status=st.sampled_from([None, "queued", "running", "succeeded", "failed", "expired", "cancelled"]),
        model=st.sampled_from([None, *(m.id for m in gen.MODELS)]),
        page_num=st.integers(1, 3),
        page_size=st.integers(1, 6),
    )
    def list_tasks(
        self, data: st.DataObject, key: str, status: str | None, model: str | None, page_num: int, page_size: int
    ) -> None:
        """A filtered page agrees with single reads of every task: same items, same order, same total."""
        mine = [k for k in self.known.values() if k.key == key]
        ids = (
            data.draw(st.none() | st.lists(st.sampled_from([k.id for k in mine]), max_size=4, unique=True))
            if mine
            else None
        )
        params: list[tuple[str, Any]] = [("page_num", page_num), ("page_size", page_size)]
        if status:
            params.append(("filter.status", status))
        if model:
            params.append(("filter.model", model))
        params += [("filter.task_ids", i) for i in ids or ()]
        got_status, page = self.mock.list_tasks(params, key=key)
        assert got_status == 200, page
        singles = {}
        for known in reversed(mine):  # newest first
            if known.deleted:
                continue
            code, task = self.mock.get_task(known.id, key=key)
            assert code == 200, task
            self._observe(known, task["status"])
            singles[known.id] = task
        expected = [
            t
            for t_id, t in singles.items()
            if (not status or t["status"] == status)
            and (not model or self.known[t_id].model_id == model)
            and (not ids or t_id in ids)
        ]
        start = (page_num - 1) * page_size
        assert page["total"] == len(expected), (params, page["total"], [t["id"] for t in expected])
        assert page["items"] == expected[start : start + page_size], params

    # -- invariants ------------------------------------------------------------------------------------
    @invariant()
    def lifecycle_rules_hold(self) -> None:
        """After every step, on one full listing per key (every task the key has, read at one frozen
        instant): the queue rules and the deliveries below."""
        pages = {}
        for key in KEYS:
            code, page = self.mock.list_tasks([("page_size", 500)], key=key)
            assert code == 200, page
            for task in page["items"]:
                self._observe(self.known[task["id"]], task["status"])
            pages[key] = page["items"]
        self._queue_rules_hold(pages)
        self._deliveries_follow_the_lifecycle(pages)

    def _queue_rules_hold(self, pages: dict[str, list[dict[str, Any]]]) -> None:
        """Per key: at most MAX_RUNNING run (MAX_RUNNING_4K of them 4k), and none waits ready while a slot it
        may take is free (FIFO, no idling)."""
        now = self.now
        for items in pages.values():
            running = [t for t in items if t["status"] == "running"]
            assert len(running) <= MAX_RUNNING, f"{len(running)} running for one key"
            busy_4k = sum(1 for t in running if t["resolution"] == "4k") >= MAX_RUNNING_4K
            assert sum(1 for t in running if t["resolution"] == "4k") <= MAX_RUNNING_4K, running
            if len(running) < MAX_RUNNING:
                ready = [
                    t["id"] for t in items
                    if t["status"] == "queued" and self.known[t["id"]].outcome != "expire"
                    and self.known[t["id"]].created_at + self.mock.config.queue_seconds <= now
                    and not (t["resolution"] == "4k" and busy_4k)  # waits for the key's 4k slot
                ]  # fmt: skip
                assert not ready, f"{ready} wait while only {len(running)} run"

    def _deliveries_follow_the_lifecycle(self, pages: dict[str, list[dict[str, Any]]]) -> None:
        """One delivery per transition reached, in order, each body the task at that status; none for a
        task that asked for none [FIDELITY §8]."""
        hooked = {k.id: k for k in self.known.values() if k.hook}
        events: dict[str, list[str]] = {}
        for item in self.mock.deliveries():
            known = self.known.get(item["task_id"])
            assert known is not None and known.hook == item["kind"], item
            assert (item["attempt"], item["outcome"]) == (1, "delivered"), item  # the sink answers 200
            assert item["body"]["id"] == known.id and item["body"]["status"] == item["event"], item
            events.setdefault(known.id, []).append(item["event"])
        listed = {t["id"] for items in pages.values() for t in items}
        for known in hooked.values():
            # Its status was observed from the listing: every task its key has not deleted is listed.
            assert known.deleted or known.id in listed, f"{known.id} is missing from its key's list"
            got = events.get(known.id, [])
            if known.hook == "webhook":
                word = PREDICTION_STATUS[known.status]
                assert got == ([word] if known.status in TERMINAL else []), (known, got)
                continue
            path = {
                "queued": [["queued"]],
                "running": [["queued", "running"]],
                "succeeded": [["queued", "running", "succeeded"]],
                "failed": [["queued", "running", "failed"]],
                "cancelled": [["queued", "cancelled"]],
                # expiry may come before or after the task started; both reach it in order
                "expired": [["queued", "expired"], ["queued", "running", "expired"]],
            }[known.status]
            assert got in path, (known, got)


def test_lifecycle_state_machine(small: Harness) -> None:
    """Random interleavings of every lifecycle operation keep every invariant."""

    class Machine(Lifecycle):
        harness = small

    run_state_machine_as_test(
        Machine,
        settings=settings(max_examples=max(10, settings.default.max_examples // 2), stateful_step_count=30),
    )
