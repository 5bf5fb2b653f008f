"""The three judges of a create request, and the rule that they must agree.

* the JSON contract: ``contracts.violations(name, body)`` — refused when non-empty, naming every field;
* the client's own validation: ``validate_ark_request`` / ``validate_prediction_request`` — refused when it
  raises ``client.ValidationError``, naming one field (``.param``);
* the mock server: 2xx accepted, 4xx refused naming one field (``error.param`` in either family's shape).

They agree when all three accept, or all three refuse and each field the client and the server name is one
the contract names; when the contract names a single field, the client and the server both name exactly
that one (see :func:`assert_agree` for why several wrong fields are judged more loosely). Field names are
compared exactly but for :data:`PARAM_ALIASES`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import contracts
from client import ValidationError, validate_ark_request, validate_prediction_request
from contracts import conformance, endpoints

#: Aliases and ``canonical`` are the package's (shared with the validation proxy); the contract of each
#: predictions operation is the endpoint table's.
PARAM_ALIASES = conformance.PARAM_ALIASES
PREDICTION_CONTRACTS = endpoints.PREDICTION_OPS
canonical = conformance.canonical


@dataclass(frozen=True)
class Verdict:
    """One judge's answer: accepted, or refused naming ``params`` (the contract may name several)."""

    judge: str
    accepted: bool
    params: tuple[str, ...] = ()
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        if self.accepted:
            return f"{self.judge}: accepted"
        return f"{self.judge}: refused {list(self.params)} — {self.detail}"


def contract_verdict(name: str, body: Any) -> Verdict:
    """What contract ``name`` says of ``body``."""
    found = contracts.violations(name, body)
    if not found:
        return Verdict("contract", True)
    detail = "; ".join(f"{v.param} ({v.kind}): {v.message}" for v in found[:4])
    return Verdict("contract", False, tuple(dict.fromkeys(v.param for v in found)), detail)


def _client(check: Any, *args: Any) -> Verdict:
    try:
        check(*args)
    except ValidationError as err:
        return Verdict("client", False, (str(err.param),), err.message)
    return Verdict("client", True)


def ark_client_verdict(body: Any) -> Verdict:
    """What the client's own validation says of an Ark create body."""
    return _client(validate_ark_request, body)


def prediction_client_verdict(op: str, model: str, body: Any) -> Verdict:
    """What the client's own validation says of a predictions submit."""
    return _client(validate_prediction_request, op, model, body)


def server_verdict(status: int, body: Any) -> Verdict:
    """What the mock server's answer says (2xx accepted; 4xx refused with ``error.param``)."""
    if 200 <= status < 300:
        return Verdict("server", True, extra={"status": status, "body": body})
    error = body.get("error") if isinstance(body, Mapping) else None
    param = error.get("param") if isinstance(error, Mapping) else None
    code = error.get("code") if isinstance(error, Mapping) else None
    return Verdict(
        "server", False, (str(param),), f"HTTP {status} {code}", extra={"status": status, "body": body, "code": code}
    )


def show(request: Any) -> str:
    """A request as the failure message prints it."""
    return json.dumps(request, ensure_ascii=False, default=repr)


def assert_agree(request: Any, contract: Verdict, client: Verdict, server: Verdict) -> None:
    """Fail, saying who said what, unless the three judges agree on ``request``."""
    verdicts = f"\n  request: {show(request)}\n  {contract}\n  {client}\n  {server}"
    assert contract.accepted == client.accepted == server.accepted, "the judges disagree on accept/refuse" + verdicts
    if contract.accepted:
        return
    named = {canonical(p) for p in contract.params}
    server_param, client_param = canonical(server.params[0]), canonical(client.params[0])
    assert server_param in named, "the server refused a field the contract does not name" + verdicts
    assert client_param in named, "the client refused a field the contract does not name" + verdicts
    if len(named) == 1:
        assert server_param == client_param, "the client and the server name different fields" + verdicts
    # Several fields wrong at once: each judge names the first one *it* checks, and nothing fixes that
    # order. An error names one ``param``, and nothing upstream we know of says which of several; the mock
    # checks the model first, then takes the contract's most relevant violation (jsonschema's ``relevance``
    # heuristic, a library ranking); the client checks fields in its own hand-written order, deliberately
    # not by calling the contract (client/_validation.py). Minimal cases where they differ:
    #   Ark  {"model": "seedance-1-0-lite-t2v-250428", "content": [text], "ratio": "2:1", "draft": "true"}
    #        → server "ratio", client "draft";
    #   predictions text-to-video seedance-1-0-lite-t2v-250428 {"prompt": …, "duration": 3,
    #        "aspect_ratio": "adaptive"} → server "duration", client "aspect_ratio".
    # Requiring one field here would tie the client to jsonschema's ranking; so each must only be a field
    # the contract names (checked above). A request with one wrong field (every case of the boundary sweep,
    # many draws) is held to the same field.
