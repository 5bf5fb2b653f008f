"""The endpoint table (contracts.endpoints): every fact the routes, /openapi.json, the conformance checks and
the harness derive from it holds together — names, paths, families, contracts and status words."""

from __future__ import annotations

import pytest

import contracts
from contracts import conformance, endpoints
from contracts.endpoints import ENDPOINTS, PREDICTION_OPS, PREDICTION_STATUS, by_name, family_of, match, path


def test_names_are_unique_and_every_contract_exists() -> None:
    assert len({e.name for e in ENDPOINTS}) == len(ENDPOINTS)
    assert len({(e.method, e.path) for e in ENDPOINTS}) == len(ENDPOINTS)
    named = {c for e in ENDPOINTS for c in (e.request, e.response, e.error, e.status_contract) if c is not None}
    assert named <= set(contracts.names())
    assert {by_name(f"predictions.{op}").request for op in PREDICTION_OPS} == set(PREDICTION_OPS.values())


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_a_concrete_path_matches_its_own_endpoint(endpoint: endpoints.Endpoint) -> None:
    params = {p: f"v-{p}" for p in ("task_id", "model") if "{" + p + "}" in endpoint.path}
    concrete = path(endpoint.name, **params)
    assert "{" not in concrete
    assert match(endpoint.method, concrete) == (endpoint, params)
    assert family_of(concrete) == endpoint.family
    # The conformance checks judge its answers by the table's contracts.
    assert conformance.success_contract(endpoint.method, concrete) == endpoint.response
    assert conformance.family_error_contract(concrete) == endpoint.error


def test_match_needs_the_method_and_the_whole_path() -> None:
    tasks = path("ark.list")
    assert match("PUT", tasks) is None
    assert match("GET", tasks + "/a/b") is None
    assert match("POST", path("predictions.text-to-video", model="m") + "x") is None
    assert match("POST", "/api/v3/bytedance/m/unknown-op") is None
    assert match("GET", "/_mock/health") is None


def test_family_of_reads_the_first_segment_under_the_api() -> None:
    assert family_of("/api/v3/bytedance/m/unknown-op") == "predictions"  # a 404 in the family's shape
    assert family_of("/api/v3/predictions") == "predictions"
    assert family_of(path("ark.get", task_id="x") + "/more") == "ark"
    assert family_of("/api/v3/bytedancex") is None
    assert family_of("/api/v3/unknown") is None
    assert family_of("/media/x.mp4") is None


def test_creates_and_task_reads() -> None:
    assert {e.name for e in ENDPOINTS if e.creates} == {"ark.create", *(f"predictions.{op}" for op in PREDICTION_OPS)}
    assert {e.name for e in ENDPOINTS if e.reads_task} == {"ark.get", "predictions.result", "predictions.get"}


def test_status_words_come_from_the_contracts() -> None:
    ark = endpoints.statuses("ark.task")
    predictions = set(endpoints.statuses("predictions.envelope"))
    assert ark == endpoints.ARK_STATUSES and ark[:2] == ("queued", "running")  # lifecycle order
    assert list(PREDICTION_STATUS) == list(ark)
    assert set(PREDICTION_STATUS.values()) <= predictions
    webhook = set(contracts.schema("predictions.webhook")["properties"]["status"]["enum"])
    assert {PREDICTION_STATUS[s] for s in ark if s in endpoints.TERMINAL_STATUSES} == webhook
    assert not endpoints.LIVE_STATUSES & endpoints.TERMINAL_STATUSES
    assert set(ark) | predictions == endpoints.LIVE_STATUSES | endpoints.TERMINAL_STATUSES


def test_request_contracts_of_creates() -> None:
    assert conformance.request_contract("POST", path("ark.create")) == ("ark.create_task.request", None)
    for op, contract in PREDICTION_OPS.items():
        assert conformance.request_contract("POST", path(f"predictions.{op}", model="m")) == (contract, "m")
    assert conformance.request_contract("GET", path("ark.list")) is None
    assert conformance.request_contract("POST", "/api/v3/bytedance/m/unknown-op") is None
