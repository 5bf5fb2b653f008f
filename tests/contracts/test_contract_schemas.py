"""Every contract is valid draft 2020-12, named as ARCHITECTURE.md says, and every $ref resolves."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import contracts
from contracts import build

#: The contract names of ARCHITECTURE.md, exactly.
EXPECTED = {
    "common",
    "model-rules",
    "ark.create_task.request",
    "ark.create_task.response",
    "ark.task",
    "ark.task_list",
    "ark.list_tasks.query",
    "ark.delete_task.response",
    "ark.error",
    "ark.callback",
    "gateway.error",
    "predictions.text_to_video.request",
    "predictions.image_to_video.request",
    "predictions.reference_to_video.request",
    "predictions.envelope",
    "predictions.error",
    "predictions.webhook",
    "predictions.webhook_secret.response",
}


def test_names_are_exactly_the_architecture_table() -> None:
    assert set(contracts.names()) == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    doc = contracts.schema(name)
    Draft202012Validator.check_schema(doc)
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert doc["$id"] == f"{contracts.ID_PREFIX}{name}.json"


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_ref_resolves(name: str) -> None:
    doc = contracts.schema(name)
    resolver = contracts.registry().resolver(base_uri=doc["$id"])
    refs = list(_refs(doc))
    for ref in refs:
        resolved = resolver.lookup(ref).contents
        assert isinstance(resolved, (dict, bool)), ref
    # Compiling and running the validator walks every reachable $ref as well.
    contracts.validator(name).is_valid({})


def test_committed_model_rules_equal_the_generator_output() -> None:
    committed = (build.OUTPUT).read_text("utf-8")
    assert committed == build.render(), "run: python -m contracts.build"
    assert build.main(["--check"]) == 0


def test_model_rules_are_marked_generated() -> None:
    assert "GENERATED" in contracts.schema("model-rules")["$comment"]


def _registry_with(rules: dict[str, Any]) -> Registry:
    docs = {name: contracts.schema(name) for name in contracts.names()}
    docs["model-rules"] = rules
    return Registry().with_resources((doc["$id"], Resource.from_contents(doc, DRAFT202012)) for doc in docs.values())


def test_one_edit_of_models_json_changes_the_contract() -> None:
    # 2.0 fast refuses 1080p [seed]; grant it in the capability data and the generated contract follows.
    data = json.loads((build.OUTPUT.parents[1] / "data" / "models.json").read_text("utf-8"))
    body = {
        "model": "dreamina-seedance-2-0-fast-260128",
        "content": [{"type": "text", "text": "x"}],
        "resolution": "1080p",
    }
    assert not contracts.is_valid("ark.create_task.request", body)
    for model in data["models"]:
        if model["id"] == "dreamina-seedance-2-0-fast-260128":
            model["resolutions"].append("1080p")
    edited = Draft202012Validator(
        contracts.schema("ark.create_task.request"), registry=_registry_with(build.build(data))
    )
    assert edited.is_valid(body)


def test_build_check_reports_a_stale_file(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "model-rules.json"
    stale.write_text("{}\n", "utf-8")
    monkeypatch.setattr(build, "OUTPUT", stale)
    assert build.main(["--check"]) == 1
    assert build.main([]) == 0
    assert stale.read_text("utf-8") == build.render()
