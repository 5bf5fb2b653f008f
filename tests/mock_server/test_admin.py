"""The control plane: health, reset, clock, journal, fault rules, key settings and the OpenAPI document."""

from __future__ import annotations

import json
import re

import aiohttp
import pytest
from jsonschema import Draft202012Validator

import contracts
from tests.mock_server.conftest import KEY, Mock
from tests.support import assert_contract, text_body

TASKS = "/api/v3/contents/generations/tasks"


async def test_health_and_reset(mock: Mock) -> None:
    await mock.call("POST", TASKS, json=text_body())
    status, health, _ = await mock.call("GET", "/_mock/health", key=None)
    assert status == 200 and health["status"] == "ok" and health["tasks"]["total"] == 1
    assert health["tasks"]["by_status"]["queued"] == 1
    assert (await mock.call("POST", "/_mock/reset", key=None))[0] == 200
    assert (await mock.call("GET", "/_mock/health"))[1]["tasks"]["total"] == 0
    assert (await mock.call("GET", "/_mock/requests"))[1]["total"] == 0


async def test_clock_advance_and_time_scale(mock: Mock) -> None:
    before = (await mock.call("GET", "/_mock/clock"))[1]["now"]
    status, data, _ = await mock.call("POST", "/_mock/clock/advance", json={"seconds": 90})
    assert status == 200 and data["now"] == pytest.approx(before + 90)
    for bad in [{"seconds": -1}, {"seconds": "10"}, {}, [], {"seconds": True}]:
        status, data, _ = await mock.call("POST", "/_mock/clock/advance", json=bad)
        assert status == 400 and data["error"]["param"] == "seconds"
    status, data, _ = await mock.call("PUT", "/_mock/clock", json={"time_scale": 2.5})
    assert status == 200 and data["time_scale"] == 2.5
    assert (await mock.call("PUT", "/_mock/clock", json={"time_scale": -1}))[0] == 400


async def test_journal_records_requests_with_keys_redacted(mock: Mock) -> None:
    await mock.call("POST", TASKS, json=text_body(prompt="hello"))
    await mock.call("GET", f"{TASKS}?page_size=5")
    status, journal, _ = await mock.call("GET", "/_mock/requests")
    assert status == 200 and journal["total"] == 2
    create, listing = journal["items"]
    assert (create["method"], create["path"], create["status"]) == ("POST", TASKS, 200)
    assert create["body"]["content"][0]["text"] == "hello"
    assert listing["query"] == {"page_size": ["5"]}
    assert create["key"] != KEY and KEY not in str(journal)
    assert (await mock.call("GET", "/_mock/requests?method=POST"))[1]["total"] == 1
    assert (await mock.call("GET", "/_mock/requests?limit=1"))[1]["items"][0]["seq"] == listing["seq"]


async def test_journal_is_capped(make_mock) -> None:
    mock = await make_mock(journal_size=3)
    for _ in range(5):
        await mock.call("GET", TASKS)
    items = (await mock.call("GET", "/_mock/requests"))[1]["items"]
    assert [e["seq"] for e in items] == [3, 4, 5]


async def test_fault_rule_answers_the_next_n_matching_requests(mock: Mock) -> None:
    status, rule, _ = await mock.call(
        "POST", "/_mock/faults", json={"method": "POST", "path": TASKS, "status": 503, "times": 2}
    )
    assert status == 201 and rule["times"] == 2
    assert (await mock.call("GET", TASKS))[0] == 200  # method does not match
    for _ in range(2):
        status, data, _ = await mock.call("POST", TASKS, json=text_body())
        assert status == 503 and assert_contract("ark.error", data)["error"]["code"] == "ServerOverloaded"
    assert (await mock.call("POST", TASKS, json=text_body()))[0] == 200
    assert (await mock.call("GET", "/_mock/faults"))[1]["items"] == []


async def test_fault_rule_by_model_with_code_and_retry_after(mock: Mock) -> None:
    await mock.call("POST", "/_mock/faults", json={
        "model": "seedance-1-5-pro-251215", "status": 429, "code": "ServerOverloaded", "retry_after": 7,
    })  # fmt: skip
    assert (await mock.call("POST", TASKS, json=text_body("dreamina-seedance-2-0-260128")))[0] == 200
    status, data, headers = await mock.call("POST", TASKS, json=text_body("seedance-1-5-pro-251215"))
    assert (status, data["error"]["code"], headers["Retry-After"]) == (429, "ServerOverloaded", "7")


async def test_fault_rule_on_the_predictions_family_uses_its_shape(mock: Mock) -> None:
    await mock.call("POST", "/_mock/faults", json={"path": "/api/v3/predictions/*", "status": 500})
    status, data, _ = await mock.call("GET", "/api/v3/predictions/cgt-20250101000000-aaaaa/result")
    assert status == 500 and assert_contract("predictions.error", data)


async def test_fault_rule_delay_then_normal_answer(mock: Mock) -> None:
    await mock.call("POST", "/_mock/faults", json={"path": TASKS, "delay": 0.2})
    import time

    started = time.perf_counter()
    assert (await mock.call("GET", TASKS))[0] == 200
    assert time.perf_counter() - started >= 0.2


async def test_fault_rule_drops_the_connection(mock: Mock) -> None:
    await mock.call("POST", "/_mock/faults", json={"path": TASKS, "drop": True})
    with pytest.raises(aiohttp.ClientError):
        await mock.call("GET", TASKS)
    assert (await mock.call("GET", TASKS))[0] == 200  # only once
    journal = (await mock.call("GET", "/_mock/requests"))[1]["items"]
    assert journal[0]["status"] is None


@pytest.mark.parametrize(
    "rule",
    [{}, {"status": 200}, {"status": "500"}, {"delay": -1}, {"drop": "yes"}, {"times": 0}, {"colour": 1},
     {"status": 500, "path": 5}, "not an object"],
)  # fmt: skip
async def test_bad_fault_rules_are_400(mock: Mock, rule) -> None:
    status, data, _ = await mock.call("POST", "/_mock/faults", json=rule)
    assert status == 400 and assert_contract("ark.error", data)


async def test_clear_faults(mock: Mock) -> None:
    await mock.call("POST", "/_mock/faults", json={"status": 500, "times": None})
    assert (await mock.call("DELETE", "/_mock/faults"))[0] == 200
    assert (await mock.call("GET", TASKS))[0] == 200


@pytest.mark.parametrize(
    "patch",
    [{"balance": "lots"}, {"rpm": 0}, {"models": "all"}, {"models": ["no-such-model"]}, {"valid": 1},
     {"colour": "red"}, []],
)  # fmt: skip
async def test_bad_key_settings_are_400(mock: Mock, patch) -> None:
    status, data, _ = await mock.call("PUT", f"/_mock/keys/{KEY}", json=patch)
    assert status == 400 and assert_contract("ark.error", data)


def _contract_refs(node: object, name: str) -> object:
    """A served component with its ``#/components/schemas/<x>`` references spelt as the contracts spell them."""
    if isinstance(node, dict):
        out = {k: _contract_refs(v, name) for k, v in node.items()}
        if isinstance(node.get("$ref"), str):
            target, _, pointer = node["$ref"].removeprefix("#/components/schemas/").partition("/")
            out["$ref"] = ("" if target == name else f"{target}.json") + "#" + (f"/{pointer}" if pointer else "")
            out["$ref"] = out["$ref"].removesuffix("#")
        return out
    if isinstance(node, list):
        return [_contract_refs(item, name) for item in node]
    return node


async def test_openapi_document_is_assembled_from_the_contracts(mock: Mock) -> None:
    status, doc, _ = await mock.call("GET", "/openapi.json", key=None)
    assert status == 200 and doc["openapi"].startswith("3.1")
    assert set(doc["components"]["schemas"]) >= set(contracts.names())  # + the predictions bodies as sent
    for name, schema in doc["components"]["schemas"].items():
        if name not in contracts.names() or name == "model-rules":
            # Rewritten for schema generators, same verdicts: tests/mock_server/test_openapi.py.
            Draft202012Validator.check_schema(schema)
            continue
        # The contract itself, its references pointing inside the document so that outside tools resolve them
        # (so a valid schema: test_contract_schemas.py checks each contract against the metaschema, ~50 ms a
        # contract in jsonschema, not worth doing twice).
        assert _contract_refs(schema, name) == {
            k: v for k, v in contracts.schema(name).items() if k not in ("$id", "$schema")
        }
    for ref in re.findall(r'"\$ref": "([^"]*)"', json.dumps(doc)):
        assert ref.startswith("#/"), ref
        node: object = doc
        for part in ref[2:].split("/"):
            node = node[int(part)] if isinstance(node, list) else node[part]  # type: ignore[index]
    assert {"/api/v3/contents/generations/tasks", "/api/v3/contents/generations/tasks/{task_id}",
            "/api/v3/bytedance/{model}/text-to-video", "/api/v3/bytedance/{model}/image-to-video",
            "/api/v3/bytedance/{model}/reference-to-video",
            "/api/v3/predictions/{task_id}/result", "/api/v3/predictions/{task_id}"} <= set(doc["paths"])  # fmt: skip
    refs = {
        op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        for item in doc["paths"].values()
        for method, op in item.items()
        if method == "post"
    }
    assert all(r.split("/")[-1] in doc["components"]["schemas"] for r in refs)


async def test_state_changes_need_a_json_content_type(mock: Mock) -> None:
    # `curl -d '{...}'` sends application/x-www-form-urlencoded, which is also what any web page may post to
    # localhost without a preflight: the control plane refuses it (README: `curl --json`) [FIDELITY §13].
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    status, data, _ = await mock.call("POST", "/_mock/clock/advance", data=b'{"seconds": 5}', headers=headers)
    assert status == 415 and data["error"]["param"] == "Content-Type"
    assert (await mock.call("GET", "/_mock/clock"))[1]["advanced"] == 0
    status, data, _ = await mock.call("POST", "/_mock/clock/advance", json={"seconds": 5})
    assert status == 200 and data["advanced"] == 5
    # The API families are strict too, like upstream.
    status, _, _ = await mock.call("POST", TASKS, data=b'{"model": "x"}', headers=headers)
    assert status == 415
