"""The fast yes/no check (jsonschema-rs) and the Python validator judge every body the same way."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from contracts import names, schema
from contracts._registry import _fast_check, validator
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
