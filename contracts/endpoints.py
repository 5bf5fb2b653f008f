"""The API's endpoints, once: method, path, family, operation, contracts and status vocabulary of each.

Everything that needs a path or an operation's contract derives it from :data:`ENDPOINTS` — the mock's
routes, ``/openapi.json``, the client's paths, the conformance checks and the contract harness — so a path
is typed here and nowhere else. Paths are templates in the aiohttp/OpenAPI style (``{task_id}``, ``{model}``).

Status words come from the contracts' own enums (:func:`statuses`), never from a second list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from contracts._registry import schema

__all__ = [
    "ARK_STATUSES",
    "ENDPOINTS",
    "LIVE_STATUSES",
    "PREDICTION_OPS",
    "PREDICTION_STATUS",
    "TERMINAL_STATUSES",
    "Endpoint",
    "by_name",
    "family_of",
    "match",
    "path",
    "statuses",
]

_API = "/api/v3"
_TASKS = _API + "/contents/generations/tasks"  # seed 000's Ark paths [FIDELITY §1]
_BYTEDANCE = _API + "/bytedance"  # seed 004's predictions submit paths [FIDELITY §1]
_PREDICTIONS = _API + "/predictions"


@dataclass(frozen=True)
class Endpoint:
    """One served API endpoint.

    ``name`` is ``<family>.<operation>`` (``ark.create``, ``predictions.text-to-video``); ``request`` is
    the contract of the body (or query, for a list) and ``response`` the contract of a 2xx answer (None:
    none); ``error`` is the family's error contract; ``status_contract`` is the contract whose ``status``
    enum is the vocabulary this endpoint answers in.
    """

    name: str
    method: str
    path: str
    family: str
    operation: str
    request: str | None
    response: str | None
    error: str
    status_contract: str | None = None

    def url(self, **params: str) -> str:
        """The path with its ``{placeholders}`` filled (each value must be a non-empty string)."""
        return self.path.format(**params)

    @property
    def pattern(self) -> re.Pattern[str]:
        """A regex matching concrete paths of this endpoint; placeholders become named groups."""
        return _pattern(self.path)

    @property
    def creates(self) -> bool:
        """Whether a 2xx answer means a new task (the Ark create, a predictions submit)."""
        return self.name == "ark.create" or (self.family == "predictions" and self.operation in PREDICTION_OPS)

    @property
    def reads_task(self) -> bool:
        """Whether this endpoint answers one task named by its ``{task_id}`` (not deleting it)."""
        return self.method == "GET" and "{task_id}" in self.path

    @property
    def root(self) -> str:
        """The first path segment under ``/api/v3`` (``/api/v3/bytedance``): what :func:`family_of` reads."""
        return "/".join(self.path.split("/")[:4])


#: The three predictions submit operations and the request contract that judges each [seed 004].
PREDICTION_OPS: dict[str, str] = {
    "text-to-video": "predictions.text_to_video.request",
    "image-to-video": "predictions.image_to_video.request",
    "reference-to-video": "predictions.reference_to_video.request",
}

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("ark.create", "POST", _TASKS, "ark", "create",
             "ark.create_task.request", "ark.create_task.response", "ark.error"),
    Endpoint("ark.list", "GET", _TASKS, "ark", "list",
             "ark.list_tasks.query", "ark.task_list", "ark.error", "ark.task"),
    Endpoint("ark.get", "GET", _TASKS + "/{task_id}", "ark", "get",
             None, "ark.task", "ark.error", "ark.task"),
    Endpoint("ark.delete", "DELETE", _TASKS + "/{task_id}", "ark", "delete",
             None, "ark.delete_task.response", "ark.error"),
    *(
        Endpoint(f"predictions.{op}", "POST", _BYTEDANCE + "/{model}/" + op, "predictions", op,
                 contract, "predictions.envelope", "predictions.error", "predictions.envelope")
        for op, contract in PREDICTION_OPS.items()
    ),
    Endpoint("predictions.result", "GET", _PREDICTIONS + "/{task_id}/result", "predictions", "result",
             None, "predictions.envelope", "predictions.error", "predictions.envelope"),
    # WaveSpeed's SDK polls the prediction without the /result suffix [FIDELITY §3].
    Endpoint("predictions.get", "GET", _PREDICTIONS + "/{task_id}", "predictions", "get",
             None, "predictions.envelope", "predictions.error", "predictions.envelope"),
    Endpoint("predictions.webhook_secret", "GET", _API + "/webhook/secret", "predictions", "webhook_secret",
             None, "predictions.webhook_secret.response", "predictions.error"),
)  # fmt: skip

_BY_NAME = {e.name: e for e in ENDPOINTS}


def by_name(name: str) -> Endpoint:
    """The endpoint called ``name`` (``ark.get``); KeyError when there is none."""
    return _BY_NAME[name]


def path(name: str, **params: str) -> str:
    """The concrete path of endpoint ``name`` (``path("ark.get", task_id="cgt-1")``)."""
    return _BY_NAME[name].url(**params)


@cache
def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts))
    return re.compile(f"^{regex}$")


def family_of(concrete: str) -> str | None:
    """The family whose endpoints live under the first segment of ``concrete`` below ``/api/v3`` (so an
    unknown predictions operation still answers in that family's shape), or None."""
    for endpoint in ENDPOINTS:
        if concrete == endpoint.root or concrete.startswith(endpoint.root + "/"):
            return endpoint.family
    return None


def match(method: str, concrete: str) -> tuple[Endpoint, dict[str, str]] | None:
    """The endpoint serving ``method concrete`` (a request path, no query) and its path parameters."""
    for endpoint in ENDPOINTS:
        if endpoint.method == method:
            found = endpoint.pattern.match(concrete)
            if found:
                return endpoint, found.groupdict()
    return None


@cache
def statuses(contract: str) -> tuple[str, ...]:
    """The ``status`` vocabulary of a contract, from its enum (the envelope's sits under ``data``)."""
    doc = schema(contract)
    props = doc["properties"]
    if "status" not in props:  # the envelope: {"code", "message", "data": {"$ref": "#/$defs/prediction"}}
        props = doc["$defs"][props["data"]["$ref"].rsplit("/", 1)[-1]]["properties"]
    return tuple(props["status"]["enum"])


#: A task's statuses in Ark's words, in lifecycle order: the ``ark.task`` enum [seed 000].
ARK_STATUSES: tuple[str, ...] = statuses("ark.task")
#: Each Ark status in the predictions family's words, ``created → processing → completed | failed``: the
#: prediction vocabulary has no expired/cancelled, and the wavespeed SDK stops on ``failed`` [seed 004, sdk].
#: Every key is an :data:`ARK_STATUSES` word and every value a ``predictions.envelope`` one (a test checks).
PREDICTION_STATUS: dict[str, str] = {
    "queued": "created",
    "running": "processing",
    "succeeded": "completed",
    "failed": "failed",
    "expired": "failed",
    "cancelled": "failed",
}
#: The words of a task that may still change, in either family's vocabulary [seed 000, seed 004].
LIVE_STATUSES: frozenset[str] = frozenset(
    word for ark in ("queued", "running") for word in (ark, PREDICTION_STATUS[ark])
)
#: Statuses after which a task never changes: every word either family answers in, less the live ones.
TERMINAL_STATUSES: frozenset[str] = (
    frozenset(statuses("ark.task")) | frozenset(statuses("predictions.envelope"))
) - LIVE_STATUSES
