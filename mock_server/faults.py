"""Fault rules (``POST /_mock/faults``): the next N matching requests get a status, a delay or a dropped line.

A rule with ``"target": "callbacks"`` applies to the mock's own outgoing callbacks and webhooks instead,
matched by ``url`` (glob), ``event`` and ``task_id``: the attempt is delayed, or fails without being sent
(``status``: as if the receiver answered it; ``drop``: as if it never connected), so a receiver's handling
of retries can be tested [FIDELITY §8].
"""

from __future__ import annotations

import fnmatch
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from mock_server.errors import ApiError

if TYPE_CHECKING:
    from mock_server.durable import Durable

_FIELDS = {"method", "path", "model", "times", "status", "delay", "drop", "code", "message", "retry_after"}
_DELIVERY_FIELDS = {"target", "url", "event", "task_id", "times", "status", "delay", "drop"}
TARGETS = ("requests", "callbacks")


@dataclass
class FaultRule:
    """One rule; ``times=None`` matches forever, otherwise the next ``times`` matching requests."""

    id: int
    method: str | None = None
    path: str | None = None  # fnmatch pattern over the request path, e.g. /api/v3/contents/*
    model: str | None = None
    times: int | None = 1
    status: int | None = None
    delay: float = 0.0
    drop: bool = False
    code: str | None = None
    message: str | None = None
    retry_after: int | None = None
    hits: int = 0
    target: str = "requests"  # or "callbacks": the mock's outgoing deliveries
    url: str | None = None  # callbacks: fnmatch pattern over the receiver's URL
    event: str | None = None  # callbacks: the status word delivered
    task_id: str | None = None  # callbacks: one task's deliveries only

    def matches(self, method: str, path: str, model: str | None) -> bool:
        """Whether the rule applies to this request."""
        if self.method and self.method.upper() not in (method.upper(), "*"):
            return False
        if self.path and not fnmatch.fnmatchcase(path, self.path):
            return False
        return not (self.model and self.model != model)

    def error(self) -> ApiError | None:
        """The error this rule answers with, if it sets a status."""
        if self.status is None:
            return None
        err = ApiError.for_status(self.status, self.message)
        if self.code:
            err.code = self.code
        if self.retry_after is not None:
            err.headers["Retry-After"] = str(self.retry_after)
        return err


def _bad(message: str) -> ApiError:
    return ApiError(400, "InvalidParameter", message)


class Faults:
    """The active fault rules, consumed in the order they were added."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._next_id = 1
        #: The state file (``--state``), told whenever the rules change.
        self.durable: Durable | None = None

    def add(self, spec: Any) -> FaultRule:
        """Validate a rule body and add it; a 400 names what is wrong."""
        if not isinstance(spec, dict):
            raise _bad("A fault rule must be a JSON object.")
        target = spec.get("target", "requests")
        if target not in TARGETS:
            raise _bad('target must be "requests" or "callbacks".')
        unknown = set(spec) - (_DELIVERY_FIELDS if target == "callbacks" else _FIELDS | {"target"})
        if unknown:
            raise _bad(f"Unknown fault rule field(s): {', '.join(sorted(unknown))}.")
        status, delay, drop = spec.get("status"), spec.get("delay", 0), spec.get("drop", False)
        if status is not None and (type(status) is not int or not 400 <= status <= 599):
            raise _bad("status must be an integer from 400 to 599.")
        if target == "callbacks" and status is not None and drop:
            raise _bad("A callbacks rule takes status or drop, not both.")
        if type(delay) not in (int, float) or not 0 <= delay <= 300:
            raise _bad("delay must be a number of seconds from 0 to 300.")
        if type(drop) is not bool:
            raise _bad("drop must be true or false.")
        if status is None and not delay and not drop:
            raise _bad("A fault rule needs at least one of status, delay or drop.")
        times = spec.get("times", 1)
        if times is not None and (type(times) is not int or times < 1):
            raise _bad("times must be a positive integer, or null for every matching request.")
        for name in ("method", "path", "model", "code", "message", "url", "event", "task_id"):
            if spec.get(name) is not None and not isinstance(spec[name], str):
                raise _bad(f"{name} must be a string.")
        retry_after = spec.get("retry_after")
        if retry_after is not None and (type(retry_after) is not int or retry_after < 0):
            raise _bad("retry_after must be a non-negative integer.")
        rule = FaultRule(
            id=self._next_id,
            method=spec.get("method"),
            path=spec.get("path"),
            model=spec.get("model"),
            times=times,
            status=status,
            delay=float(delay),
            drop=drop,
            code=spec.get("code"),
            message=spec.get("message"),
            retry_after=retry_after,
            target=target,
            url=spec.get("url"),
            event=spec.get("event"),
            task_id=spec.get("task_id"),
        )
        self._next_id += 1
        self._rules.append(rule)
        if self.durable is not None:
            self.durable.faults(self)
        return rule

    def take(self, method: str, path: str, model: str | None) -> FaultRule | None:
        """The first rule matching this request, consuming one of its uses."""
        for rule in self._rules:
            if rule.target == "requests" and rule.matches(method, path, model):
                return self._use(rule)
        return None

    def take_delivery(self, url: str, event: str, task_id: str) -> FaultRule | None:
        """The first callbacks rule matching this delivery attempt, consuming one of its uses."""
        for rule in self._rules:
            if rule.target != "callbacks":
                continue
            if rule.url and not fnmatch.fnmatchcase(url, rule.url):
                continue
            if (rule.event and rule.event != event) or (rule.task_id and rule.task_id != task_id):
                continue
            return self._use(rule)
        return None

    def _use(self, rule: FaultRule) -> FaultRule:
        rule.hits += 1
        if rule.times is not None:
            rule.times -= 1
            if rule.times == 0:
                self._rules.remove(rule)
        if self.durable is not None:
            self.durable.faults(self)
        return rule

    def __bool__(self) -> bool:
        return bool(self._rules)

    def list(self) -> list[dict[str, Any]]:
        """The active rules as JSON."""
        return [asdict(r) for r in self._rules]

    def clear(self) -> None:
        """Remove every rule."""
        self._rules.clear()
        if self.durable is not None:
            self.durable.faults(self)

    def rows(self) -> tuple[list[dict[str, Any]], int]:
        """(every rule as a dict, the next rule id): what a state file keeps."""
        return [asdict(r) for r in self._rules], self._next_id

    def restore(self, rules: list[FaultRule], next_id: int) -> None:
        """Take back the rules of a state file."""
        self._rules = list(rules)
        self._next_id = max([next_id, *(r.id + 1 for r in rules)])
