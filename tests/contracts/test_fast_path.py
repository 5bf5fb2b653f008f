"""The fast yes/no check (jsonschema-rs) and the Python validator judge every body the same way."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import contracts
from contracts import names, schema
from contracts._registry import _fast_check, _listing_validator, _violations, validator
from tests.harness.strategies import ark_bodies, prediction_requests

OPS = {
    "text-to-video": "predictions.text_to_video.request",
    "image-to-video": "predictions.image_to_video.request",
    "reference-to-video": "predictions.reference_to_video.request",
}


def same_verdict(name: str, instance: Any) -> None:
    assert _fast_check(name)(instance) == validator(name).is_valid(instance), (name, instance)


def test_the_fast_check_is_jsonschema_rs() -> None:
    # Without it every create costs ~2 ms of pure-Python validation (bench/bench_handlers.py).
    import jsonschema_rs

    assert isinstance(_fast_check("ark.create_task.request").__self__, jsonschema_rs.Draft202012Validator)


@given(ark_bodies())
def test_same_verdict_on_ark_create_bodies(body: dict[str, Any]) -> None:
    same_verdict("ark.create_task.request", body)


@given(prediction_requests())
def test_same_verdict_on_prediction_bodies(request: tuple[str, str, dict[str, Any]]) -> None:
    op, model, body = request
    same_verdict(OPS[op], {**body, "model": model})


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@given(st.sampled_from(names()), JSON)
def test_same_verdict_on_arbitrary_json_for_every_contract(name: str, instance: Any) -> None:
    same_verdict(name, instance)


def test_same_verdict_on_every_example_in_the_contracts() -> None:
    for name in names():
        for example in schema(name).get("examples", []):
            same_verdict(name, example)


@pytest.mark.parametrize("text", ["1766663633\n", "5\n", "١٢", "cgt-20251225195352-ab12c\n", " 5", "5 "])
def test_patterns_match_the_whole_string_as_ecma_262_does(text: str) -> None:
    # "$" ends the string in JSON Schema's regex dialect; Python's re.search would let it match before "\n".
    from contracts._registry import _Validator, registry

    for name in ("unix_time", "int_or_numeric_string", "task_id", "predictions_duration"):
        check = _Validator({"$ref": f"common.json#/$defs/{name}", "$id": "https://seedance-mock.dev/contracts/t.json"},
                           registry=registry())  # fmt: skip
        assert not check.is_valid(text), (name, text)


def test_a_refusal_is_never_an_empty_list() -> None:
    body = {"id": "cgt-20251225195352-ab12c\n"}
    assert not contracts.is_valid("ark.create_task.response", body)
    assert contracts.violations("ark.create_task.response", body)


@given(ark_bodies())
def test_a_remembered_refusal_lists_what_the_validator_lists(body: dict[str, Any]) -> None:
    """Refused bodies are remembered by their JSON text: the first and the second answer are the validator's."""
    name = "ark.create_task.request"
    if contracts.is_valid(name, body):
        assert contracts.violations(name, body) == []
    else:
        first, second = contracts.violations(name, body), contracts.violations(name, body)
        assert first == second == _violations(name, body)


def test_bodies_equal_to_python_but_not_in_json_are_remembered_apart() -> None:
    # 1 == 1.0 == True in Python, and dicts compare without their order; the contracts tell them apart.
    name = "ark.create_task.request"
    base = {"model": "dreamina-seedance-2-0-260128", "content": [{"type": "text", "text": "x"}]}
    answers = [contracts.violations(name, {**base, "watermark": value}) for value in (1, True, 1.0, 1)]
    assert answers[0] == answers[3] and answers[0] != [] and answers[1] == []
    for value in (1, 1.0):
        assert contracts.violations(name, {**base, "watermark": value}) == _violations(
            name, {**base, "watermark": value}
        )


# Refusals are listed through each contract with its references inlined (contracts._registry._inlined). Listed
# through the references themselves, by the very validator the contracts define, every violation must be the
# same, in the same order: the param, the kind and the wording an error answer carries.


def same_listing(name: str, instance: Any) -> None:
    assert _listing_validator(name) is not validator(name), f"{name} is no longer inlined"
    assert _violations(name, instance) == _violations(name, instance, validator(name)), (name, instance)


@given(ark_bodies())
def test_inlined_references_list_the_same_violations_of_ark_bodies(body: dict[str, Any]) -> None:
    same_listing("ark.create_task.request", body)


@given(prediction_requests())
def test_inlined_references_list_the_same_violations_of_prediction_bodies(
    request: tuple[str, str, dict[str, Any]],
) -> None:
    op, model, body = request
    same_listing(OPS[op], {**body, "model": model})


@given(st.sampled_from(names()), JSON)
def test_inlined_references_list_the_same_violations_of_arbitrary_json(name: str, instance: Any) -> None:
    same_listing(name, instance)


def test_a_reference_cycle_is_listed_through_the_references() -> None:
    from contracts._registry import _inlined, _NotInlinable, registry

    cyclic = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://seedance-mock.dev/contracts/cyclic.json",
        "$defs": {"node": {"items": {"$ref": "#/$defs/node"}}},
        "$ref": "#/$defs/node",
    }
    resolver = registry().with_contents([(cyclic["$id"], cyclic)]).resolver(cyclic["$id"])
    with pytest.raises(_NotInlinable):
        _inlined(cyclic, resolver)


_TEXT = {"type": "text", "text": "x"}


@pytest.mark.parametrize(
    "body",
    [
        {"model": "dreamina-seedance-2-0-260128", "content": [0] * 150},
        {"model": "dreamina-seedance-2-0-260128", "content": [_TEXT], **{f"k{i}": i for i in range(150)}},
    ],
    ids=["150 refused items", "150 unknown fields"],
)
def test_a_huge_refusal_lists_at_most_100_of_its_items_and_names_the_same_first(body: dict[str, Any]) -> None:
    # A body of 8 000 zeros in content took 1.5 s to list, 50 000 unknown fields 2.5 s: the event loop's time.
    name = "ark.create_task.request"
    listed, every = _violations(name, body), _violations(name, body, validator(name))
    assert (len(listed), len(every)) == (100, 150)
    assert listed[0] == every[0] and set(listed) <= set(every)
