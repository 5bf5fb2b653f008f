"""Does an exchange with the API meet the contracts? The one set of checks the live contract suite
(``tests/harness``) and the validation proxy (``seedance-mock --upstream``) both run.

Each check returns :class:`Finding` objects (where, what the contracts expected, what came back); an empty
list means the exchange conforms. Nothing here does I/O or imports anything of ours beyond ``contracts``.

* :func:`check_answer`  an answer against the success or error contract of its endpoint and status, plus
  the usage of a finished task against the token formula;
* :func:`check_request` a create request against its request contract, next to the verdict the API gave;
* :class:`StatusTracker` statuses seen per task only ever move forward.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contracts._capabilities import frame_size, lookup_model, token_usage
from contracts._registry import violations
from contracts.endpoints import ARK_STATUSES, PREDICTION_STATUS, TERMINAL_STATUSES, family_of, match

__all__ = [
    "ABSENT",
    "GATEWAY_TYPES",
    "PARAM_ALIASES",
    "Finding",
    "StatusTracker",
    "canonical",
    "check_answer",
    "check_contract",
    "check_request",
    "check_usage",
    "error_contract",
    "family_error_contract",
    "request_contract",
    "short",
    "success_contract",
    "task_of",
    "value_at",
]

#: ``error.type`` values that mark the gateway's own error shape rather than the family's [FIDELITY §1].
GATEWAY_TYPES = frozenset({"invalid_request_error", "permission_error", "rate_limit_error"})
#: Spellings that name the same field: ``camerafixed`` (seed 000) and ``camera_fixed`` (the SDKs) are one
#: parameter sent under two names [FIDELITY §2]; nothing else is normalised.
PARAM_ALIASES = {"camerafixed": "camera_fixed"}


@dataclass(frozen=True)
class Finding:
    """One way an exchange disagrees with the contracts.

    ``contract`` names what judged it (a contract name, or ``HTTP status``, ``transition``, ``usage``,
    ``request``); ``path`` is the field (``data.status``, ``error.param``; empty for the whole body).
    """

    contract: str
    path: str
    expected: str
    got: str

    @property
    def where(self) -> str:
        """``contract: path`` as one label (the live suite's summary prints it)."""
        return f"{self.contract}: {self.path or '(body)'}"


def canonical(param: str | None) -> str | None:
    """``param`` with the aliases of :data:`PARAM_ALIASES` folded."""
    return None if param is None else PARAM_ALIASES.get(param, param)


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


#: What :func:`value_at` answers for a path that leads nowhere (:func:`short` shows it as ``<absent>``).
ABSENT: Any = _Absent()


def short(value: Any, limit: int = 160) -> str:
    """A value as a finding quotes it: JSON (strings repr'd), cut to ``limit`` characters."""
    if value is ABSENT:
        return "<absent>"
    text = repr(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def value_at(instance: Any, path: str) -> Any:
    """The value at a violation's path (``error.param``, ``items[0].status``), or :data:`ABSENT`."""
    current = instance
    for part in path.replace("[", ".").replace("]", "").split("."):
        if part == "":
            continue
        if isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        elif isinstance(current, dict) and part in current:
            current = current[part]
        else:
            return ABSENT
    return current


# ---------------------------------------------------------------------------------------------- which contract


def success_contract(method: str, path: str) -> str | None:
    """The contract a 2xx answer of ``method path`` must meet (None: no endpoint or no contract covers it)."""
    found = match(method, path)
    return found[0].response if found else None


def family_error_contract(path: str) -> str:
    """The error contract of the family ``path`` belongs to (Ark's for a path of neither)."""
    return "predictions.error" if family_of(path) == "predictions" else "ark.error"


def error_contract(path: str, body: Any) -> str:
    """The contract an error answer must meet: the gateway's shape for a gateway error type, else the
    family's."""
    error = body.get("error") if isinstance(body, Mapping) else None
    gateway = isinstance(error, Mapping) and error.get("type") in GATEWAY_TYPES
    return "gateway.error" if gateway else family_error_contract(path)


def request_contract(method: str, path: str) -> tuple[str, str | None] | None:
    """(contract, the path's model) judging a create request, or None when ``method path`` creates nothing."""
    found = match(method, path)
    if found is None:
        return None
    endpoint, params = found
    if not endpoint.creates or endpoint.request is None:
        return None
    return endpoint.request, params.get("model")


# ---------------------------------------------------------------------------------------------- checks


def check_contract(name: str, body: Any) -> list[Finding]:
    """Every way ``body`` breaks contract ``name``, each naming the field, the rule and the value found."""
    return [Finding(name, v.param, v.message, short(value_at(body, v.param))) for v in violations(name, body)]


def check_usage(task: Any) -> list[Finding]:
    """An Ark task's ``usage`` against ``w × h × frames / 1024`` for the size it reports [FIDELITY §2].

    Checked only when the task names a known model, resolution and a concrete ratio, and reports
    ``completion_tokens``; anything missing is the schema's business, not this check's.
    """
    if not isinstance(task, Mapping):
        return []
    usage = task.get("usage")
    tokens = usage.get("completion_tokens") if isinstance(usage, Mapping) else None
    model = lookup_model(task["model"]) if isinstance(task.get("model"), str) else None
    resolution, ratio = task.get("resolution"), task.get("ratio")
    frames, duration = task.get("frames"), task.get("duration")
    if type(tokens) is not int or model is None or not isinstance(resolution, str) or not isinstance(ratio, str):
        return []
    if type(frames) is not int and type(duration) is not int:
        return []
    try:
        width, height = frame_size(model, resolution, ratio)
        expected = token_usage(
            width, height, duration if type(frames) is not int else None, frames if type(frames) is int else None
        )
    except (KeyError, ValueError):
        return []
    if tokens == expected:
        return []
    size = f"{width}x{height}, " + (f"{frames} frames" if type(frames) is int else f"{duration} s")
    return [Finding("usage", "usage.completion_tokens", f"{expected} ({size}: w × h × frames / 1024)", str(tokens))]


def check_answer(
    method: str,
    path: str,
    status: int,
    body: Any,
    *,
    error_contract_name: str | None = None,
    tracker: StatusTracker | None = None,
) -> list[Finding]:
    """Every way one answer breaks the contracts: its body against the success contract of its endpoint
    (2xx) or the error contract (anything else; ``error_contract_name`` overrides which), the usage of a
    finished Ark task, and — with a ``tracker`` — whether each task's status moved only forward."""
    if 200 <= status < 300:
        name = success_contract(method, path)
        if name is None:
            return []
        found = check_contract(name, body)
        if name == "ark.task":
            found += check_usage(body)
        elif name == "ark.task_list" and isinstance(body, Mapping) and isinstance(body.get("items"), list):
            for i, item in enumerate(body["items"]):
                found += [Finding(f.contract, f"items[{i}].{f.path}", f.expected, f.got) for f in check_usage(item)]
        if tracker is not None:
            found += tracker.observe(method, path, body)
        return found
    return check_contract(error_contract_name or error_contract(path, body), body)


def check_request(method: str, path: str, body: Any, status: int, answer: Any) -> list[Finding]:
    """A create request judged by its contract next to the API's verdict (``status``, ``answer``).

    Drift when the API accepts what the contracts refuse, refuses as invalid (400 naming a field) what they
    accept, or refuses naming a field the contracts do not name. Other refusals (auth, balance, rate,
    content policy) say nothing about the request contract.
    """
    which = request_contract(method, path)
    if which is None:
        return []
    name, model = which
    instance = {**body, "model": model} if model is not None and isinstance(body, Mapping) else body
    refused = violations(name, instance)
    named = [canonical(v.param) for v in refused]
    error = answer.get("error") if isinstance(answer, Mapping) else None
    param = error.get("param") if isinstance(error, Mapping) else None
    if 200 <= status < 300:
        if refused:
            listed = ", ".join(f"{v.param} ({v.message})" for v in refused[:3])
            return [Finding(name, refused[0].param, f"refused: {listed}", f"HTTP {status} (accepted)")]
        return []
    if status != 400 or not isinstance(param, str) or not param:
        return []
    if not refused:
        return [Finding(name, param, "accepted (the contract refuses nothing)", f"HTTP 400 naming {param!r}")]
    if canonical(param) not in named:
        return [Finding(name, param, f"a refusal naming one of {named}", f"HTTP 400 naming {param!r}")]
    return []


# ---------------------------------------------------------------------------------------------- lifecycle

#: How far along each status word is, in both vocabularies [FIDELITY §2, §3]; terminal words share a rank
#: (the last one, 2).
_TERMINAL_RANK = 2
_RANK = {
    word: _TERMINAL_RANK if word in TERMINAL_STATUSES else ARK_STATUSES.index(ark)
    for ark in ARK_STATUSES
    for word in (ark, PREDICTION_STATUS[ark])
}


def task_of(method: str, path: str, body: Any) -> tuple[str, str, Any] | None:
    """(family, task id, status) an answer reports about one task, or None."""
    if not isinstance(body, Mapping):
        return None
    found = match(method, path)
    if found is None or not (found[0].reads_task or found[0].creates) or found[0].name == "ark.create":
        return None
    endpoint, params = found
    if endpoint.family == "ark":
        return "ark", str(body.get("id") or params["task_id"]), body.get("status")
    if endpoint.family == "predictions":
        data = body.get("data")
        if isinstance(data, Mapping) and isinstance(data.get("id"), str):
            return "predictions", data["id"], data.get("status")
    return None


class StatusTracker:
    """The last status seen of each task (per family: each has its own words); finds a step backwards.

    Statuses move queued → running → a terminal one (created → processing → completed | failed), and a
    terminal status never changes [FIDELITY §2, §3]. Words neither vocabulary knows are the schema's
    business. Keeps at most ``limit`` tasks, forgetting the oldest.
    """

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._last: dict[tuple[str, str], str] = {}

    def _step(self, family: str, task_id: str, status: Any, where: str) -> list[Finding]:
        if not isinstance(status, str) or status not in _RANK:
            return []
        key = (family, task_id)
        previous = self._last.pop(key, None)
        self._last[key] = status
        if len(self._last) > self.limit:
            del self._last[next(iter(self._last))]
        if previous is None or previous == status:
            return []
        if _RANK[status] < _RANK[previous] or _RANK[previous] == _TERMINAL_RANK:
            return [Finding("transition", where, f"a status after {previous!r} (only forward)", repr(status))]
        return []

    def observe(self, method: str, path: str, body: Any) -> list[Finding]:
        """Note the statuses an answer reports (a task, a prediction, a list page) and find any regression."""
        listed = match(method, path)
        is_list = listed is not None and listed[0].name == "ark.list"
        if is_list and isinstance(body, Mapping) and isinstance(body.get("items"), list):
            found = []
            for i, item in enumerate(body["items"]):
                if isinstance(item, Mapping) and isinstance(item.get("id"), str):
                    found += self._step("ark", item["id"], item.get("status"), f"items[{i}].status")
            return found
        seen = task_of(method, path, body)
        if seen is None:
            return []
        family, task_id, status = seen
        return self._step(family, task_id, status, "data.status" if family == "predictions" else "status")
