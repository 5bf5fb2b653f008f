"""Three judges, one verdict: for every generated create request of either family, the JSON contract, the
client's own validation and the mock server accept it together or refuse it together, naming a field the
contract names. Every accepted request is then followed to the end through both families, and every answer
on the way meets its response contract (``Harness.request`` checks each one)."""

from __future__ import annotations

import json
from typing import Any, TypeVar

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import contracts
from tests.harness import strategies as gen
from tests.harness.judges import (
    PREDICTION_CONTRACTS,
    Verdict,
    ark_client_verdict,
    assert_agree,
    contract_verdict,
    prediction_client_verdict,
    server_verdict,
)
from tests.harness.mock import Harness

#: These properties explore the widest space of the suite: several times the profile's examples.
WIDE = settings(max_examples=settings.default.max_examples * 4)
NARROW = settings(max_examples=settings.default.max_examples)

Case = TypeVar("Case")

#: Task fields that are integers, however they were sent (``42.0`` is the integer 42 in JSON).
INTEGER_FIELDS = ("duration", "frames", "framespersecond", "seed", "execution_expires_after", "priority")

KNOWN_NAMES = frozenset(n for m in contracts.all_models() for n in m.names)


def _is_unknown_model(name: Any) -> bool:
    return isinstance(name, str) and name != "" and name not in KNOWN_NAMES


def _check_unknown_model(name: Any, contract: Verdict, server: Verdict) -> None:
    # FIDELITY §5: an unknown model is a 404 InvalidEndpointOrModel.NotFound, whatever else is wrong.
    if _is_unknown_model(name):
        assert server.extra["status"] == 404, server
        assert server.extra["code"] == "InvalidEndpointOrModel.NotFound", server
        assert server.params == ("model",), server
        assert "model" in contract.params, contract
    elif not server.accepted:
        assert server.extra["status"] == 400, server


def _follow(mock: Harness, task_id: str, *, finished_at_once: bool = False) -> dict[str, Any]:
    """Queued → running → succeeded on the frozen clock, read through both families at each step."""
    task = mock.read_both(task_id)
    flex = task["service_tier"] == "flex"
    assert task_id.startswith("cgt-batch-") == flex, task  # a flex task's id [FIDELITY §2]
    # Flex waits longer queued [FIDELITY §2].
    wait = mock.config.queue_seconds + (mock.config.flex_queue_seconds if flex else 0)
    expires = task.get("execution_expires_after")
    if not finished_at_once and expires is not None and expires <= wait + mock.config.run_seconds:
        # Asked to expire before it can finish (2.x takes any execution_expires_after [FIDELITY §5]): it does.
        assert task["status"] == "queued", task
        mock.advance(wait + mock.config.run_seconds)
        assert mock.read_both(task_id)["status"] == "expired"
        return task  # as created: the caller checks the fields it reports
    if not finished_at_once:
        assert task["status"] == "queued", task
        mock.advance(wait)
        assert mock.read_both(task_id)["status"] == "running"
        mock.advance(mock.config.run_seconds)
        task = mock.read_both(task_id)
    assert task["status"] == "succeeded", task
    _holds_ints(task)  # 42.0 may have been asked for: the task holds 42, not 42.0
    model = contracts.lookup_model(task["model"])
    assert model is not None
    width, height = contracts.frame_size(model, task["resolution"], task["ratio"])
    frames = task.get("frames") or contracts.frame_count(task["duration"])
    tokens = contracts.token_usage(width, height, frames=frames)
    assert task["usage"] == {"completion_tokens": tokens, "total_tokens": tokens}, task
    status, listed = mock.list_tasks([("filter.task_ids", task_id)])
    assert status == 200 and listed == {"total": 0 if flex else 1, "items": [] if flex else [task]}, listed
    if flex:  # absent unless the list asks for flex [FIDELITY §2]
        status, listed = mock.list_tasks([("filter.task_ids", task_id), ("filter.service_tier", "flex")])
        assert status == 200 and listed == {"total": 1, "items": [task]}, listed
    for attempt in mock.deliveries(task_id, flush=False):  # a callback_url was asked: bodies meet ark.callback
        assert attempt["body"]["id"] == task_id and attempt["body"]["status"] == attempt["event"], attempt
    return task


def _settled_as_asked(task: dict[str, Any], asked: dict[str, Any], defaults: dict[str, Any]) -> None:
    """What the task reports is what was asked, or the default when nothing was."""
    model = contracts.lookup_model(task["model"])
    assert model is not None
    for field, default in defaults.items():
        value = asked.get(field)
        expected = default if value is None else value
        if field == "duration":
            if asked.get("frames") is not None:
                assert "duration" not in task, task  # frames only when sent, then no duration [FIDELITY §2]
                continue  # frames overrides duration [FIDELITY §2]
            expected = int(expected)
            if expected == -1:  # the model picked an integer in its range [FIDELITY §5]
                assert model.duration[0] <= task["duration"] <= model.duration[1], task
                continue
        if field == "resolution":
            expected = expected.lower()  # matched case-insensitively, reported lower-case [FIDELITY §5]
        if field == "generate_audio" and not model.audio:
            assert "generate_audio" not in task, task  # only for models with audio [FIDELITY §2]
            continue
        if field == "ratio" and expected == "adaptive":
            assert task["ratio"] in contracts.ratios(), task
            continue
        assert task[field] == expected, (field, task[field], expected)
    if asked.get("seed") not in (None, -1):
        assert task["seed"] == asked["seed"]
    if asked.get("frames") is not None:
        assert task["frames"] == asked["frames"]


def _forced_adaptive(asked: dict[str, Any], model: contracts.Model, scenario: str) -> dict[str, Any]:
    """``asked`` with ``ratio: adaptive`` where the model renders adaptive whatever was sent (2.5's first
    frame, edit, extend) [FIDELITY §5]: the task then reports the ratio its input gave."""
    if model.forces_adaptive(scenario, asked.get("omni_reference_task_type")):
        return {**asked, "ratio": "adaptive"}
    return asked


def _echoes_options(task: dict[str, Any], asked: dict[str, Any], model: contracts.Model) -> None:
    """The task object's per-model fields [FIDELITY §2]: draft on 1.5 pro only, seed only where the model
    takes one, priority / output_format / safety_identifier echoed."""
    assert ("draft" in task) == model.has_draft, task
    if model.has_draft:
        assert task["draft"] is (asked.get("draft") is True), task
    assert ("seed" in task) == model.takes("seed"), task
    for name in ("priority", "safety_identifier", "output_format"):
        if asked.get(name) is not None:
            assert task[name] == asked[name], (name, task)
    if model.output_formats and asked.get("output_format") is None:
        assert task["output_format"] == model.output_formats[0], task


# ---------------------------------------------------------------------------------------------- Ark


def _ark_scenario(content: list[dict[str, Any]]) -> str:
    roles = {i.get("role") for i in content if i.get("type") in ("image_url", "video_url", "audio_url")}
    if roles & {"reference_image", "reference_video", "reference_audio"}:
        return "reference"
    if "last_frame" in roles:
        return "first_last_frame"
    return "first_frame" if roles else "text"


@WIDE
@given(body=gen.ark_bodies())
def test_ark_create_judges_agree(mock: Harness, body: dict[str, Any]) -> None:
    """Ark create bodies: contract, client and server agree, and an accepted task runs to the end."""
    mock.server.reset()
    contract = contract_verdict("ark.create_task.request", body)
    client = ark_client_verdict(body)
    status, answer = mock.create_ark(body)
    server = server_verdict(status, answer)
    assert_agree(body, contract, client, server)
    _check_unknown_model(body.get("model"), contract, server)
    if server.accepted:
        task = _follow(mock, answer["id"])
        model = contracts.lookup_model(body["model"])
        assert model is not None and task["model"] == body["model"]
        scenario = _ark_scenario(body["content"])
        _settled_as_asked(
            task,
            _forced_adaptive(body, model, scenario),
            {
                # A draft renders at 480p [FIDELITY §5].
                "resolution": "480p" if body.get("draft") is True else model.default_resolution,
                "duration": model.duration_default,
                "generate_audio": True,
                "ratio": model.default_ratio[scenario],
            },
        )
        _echoes_options(task, body, model)


@NARROW
@given(body=gen.valid_ark_bodies())
def test_valid_ark_bodies_are_accepted_by_all(mock: Harness, body: dict[str, Any]) -> None:
    """Bodies built only from what the capability data allows are accepted by every judge."""
    mock.server.reset()
    assert contract_verdict("ark.create_task.request", body).accepted, body
    assert ark_client_verdict(body).accepted, body
    status, answer = mock.create_ark(body)
    assert status == 200, answer
    _follow(mock, answer["id"])


@NARROW
@given(body=gen.valid_ark_bodies(), unknown=st.sampled_from(gen.UNKNOWN_MODELS))
def test_unknown_model_is_refused_on_model_by_all(mock: Harness, body: dict[str, Any], unknown: str) -> None:
    """An unknown model: 404 InvalidEndpointOrModel.NotFound; the contract and the client name ``model``."""
    body = {**body, "model": unknown}
    contract = contract_verdict("ark.create_task.request", body)
    client = ark_client_verdict(body)
    status, answer = mock.create_ark(body)
    assert (status, answer["error"]["code"], answer["error"]["param"]) == (
        404,
        "InvalidEndpointOrModel.NotFound",
        "model",
    )
    assert contract.params == ("model",), contract
    assert client.params == ("model",), client


@NARROW
@given(data=st.data())
def test_nulls_mean_absent(mock: Harness, data: st.DataObject) -> None:
    """Any optional field sent as null (as the Ark SDK does) changes no judge's verdict [FIDELITY §2]."""
    body = data.draw(gen.ark_bodies())
    assume(isinstance(body.get("model"), str) and "content" in body)  # a skipped draw is no passing example
    nulls = data.draw(st.lists(st.sampled_from([*sorted(gen.ark_options(gen.MODELS[0])), "unknown_field"]), max_size=5))
    padded = {**body, **{name: None for name in nulls if name not in body}}
    for judge in (
        # Only accept / refuse is compared: the contract's yes/no (the verdict contract_verdict gives, without
        # listing every violation of a refused body, ~5 ms each).
        lambda b: contracts.is_valid("ark.create_task.request", b),
        lambda b: ark_client_verdict(b).accepted,
    ):
        assert judge(body) == judge(padded), (body, padded)
    mock.server.reset()
    assert mock.create_ark(body)[0] == mock.create_ark(padded)[0]


# The legacy prompt commands [FIDELITY §2], read by the one grammar the client and the mock read them with
# (contracts.commands). A body field wins over a command [decision]; a command whose value is not even of
# the field's type is refused all the same (the client and the mock both read every command before merging),
# so the body it stands for carries the raw text there and the contract refuses that field.


def _with_commands(body: dict[str, Any]) -> dict[str, Any]:
    """The body the text commands of its prompt stand for."""
    prompt = next((i["text"] for i in body["content"] if i.get("type") == "text"), "")
    commands = {c.field: c for c in contracts.read_commands(prompt)}
    merged = {**{f: c.value for f, c in commands.items()}, **body}
    merged.update({f: c.value for f, c in commands.items() if not c.ok})
    return merged


@NARROW
@given(data=st.data())
def test_text_commands_judges_agree(mock: Harness, data: st.DataObject) -> None:
    """Prompts ending in ``--flag value`` commands: the client and the server parse them on their own; the
    contract judges the body the commands stand for. All three agree."""
    model = data.draw(st.sampled_from(gen.MODELS))
    body = data.draw(gen.valid_ark_bodies(model))
    body["content"][0] = {"type": "text", "text": data.draw(gen.text_command_prompts(model))}
    mock.server.reset()
    contract = contract_verdict("ark.create_task.request", _with_commands(body))
    client = ark_client_verdict(body)
    status, answer = mock.create_ark(body)
    assert_agree(body, contract, client, server_verdict(status, answer))
    if status == 200:
        task = _follow(mock, answer["id"])
        merged = _with_commands(body)
        for field in ("resolution", "seed", "frames", "duration"):
            if field == "duration" and "frames" in merged:
                continue  # frames overrides duration [FIDELITY §2]
            if field in merged and merged[field] != -1:
                asked = merged[field].lower() if field == "resolution" else merged[field]  # [FIDELITY §5]
                assert task[field] == asked, (field, task, merged)


@pytest.mark.parametrize("command", ["--dur ٣", "--seed ١٠", "--frames ۱۲۱", "--dur ５", "--seed 1_0", "--cf yes"])
def test_text_commands_of_other_digits_are_refused_by_all(mock: Harness, command: str) -> None:
    """A command value only ``\\d`` or ``int()`` would read as a number ("٣", "５", "1_0") is refused by the
    client, the mock and the contract alike, each naming the command's field."""
    (parsed,) = contracts.read_commands(command)
    body = {"model": "seedance-1-0-lite-t2v-250428", "content": [{"type": "text", "text": f"a kite {command}"}]}
    mock.server.reset()
    contract = contract_verdict("ark.create_task.request", _with_commands(body))
    status, answer = mock.create_ark(body)
    server = server_verdict(status, answer)
    assert_agree(body, contract, ark_client_verdict(body), server)
    assert not server.accepted and server.params == (parsed.field,) and status == 400, answer


# ---------------------------------------------------------------------------------------------- predictions


@WIDE
@given(request=gen.prediction_requests(small_renders=True))
def test_prediction_submit_judges_agree(mock: Harness, request: tuple[str, str, dict[str, Any]]) -> None:
    """Predictions submits: the contract judges the body plus the path's model; all three agree, and an
    accepted prediction runs to the end, read through both families."""
    op, model_name, body = request
    mock.server.reset()
    contract = contract_verdict(PREDICTION_CONTRACTS[op], {**body, "model": model_name})
    client = prediction_client_verdict(op, model_name, body)
    status, answer = mock.submit(op, model_name, body)
    server = server_verdict(status, answer)
    assert_agree({"op": op, "model": model_name, "body": body}, contract, client, server)
    _check_unknown_model(model_name, contract, server)
    if server.accepted:
        data = answer["data"]
        sync = body.get("enable_sync_mode") is True
        assert data["status"] == ("completed" if sync else "created"), data
        task = _follow(mock, data["id"], finished_at_once=sync)
        model = contracts.lookup_model(model_name)
        assert model is not None
        scenario = {"text-to-video": "text", "reference-to-video": "reference"}.get(
            op, "first_last_frame" if body.get("last_image") is not None else "first_frame"
        )
        asked = _forced_adaptive({**body, "ratio": body.get("aspect_ratio")}, model, scenario)
        _settled_as_asked(task, asked, {"resolution": "720p", "duration": 5, "ratio": "16:9", "generate_audio": True})


@NARROW
@given(request=gen.valid_prediction_requests())
def test_valid_prediction_requests_are_accepted_by_all(mock: Harness, request: tuple[str, str, dict[str, Any]]) -> None:
    """Submits built only from what the capability data allows are accepted by every judge."""
    op, model_name, body = request
    mock.server.reset()
    assert contract_verdict(PREDICTION_CONTRACTS[op], {**body, "model": model_name}).accepted, request
    assert prediction_client_verdict(op, model_name, body).accepted, request
    status, answer = mock.submit(op, model_name, body)
    assert status == 200, answer
    _follow(mock, answer["data"]["id"])


@NARROW
@given(request=gen.valid_prediction_requests(), unknown=st.sampled_from(gen.UNKNOWN_MODELS))
def test_unknown_path_model_is_refused_on_model_by_all(
    mock: Harness, request: tuple[str, str, dict[str, Any]], unknown: str
) -> None:
    """An unknown model in the path: 404 naming ``model``, as the contract and the client do."""
    op, _, body = request
    status, answer = mock.submit(op, unknown, body)
    assert (status, answer["error"]["code"], answer["error"]["param"]) == (
        404,
        "InvalidEndpointOrModel.NotFound",
        "model",
    )
    assert contract_verdict(PREDICTION_CONTRACTS[op], {**body, "model": unknown}).params == ("model",)
    assert prediction_client_verdict(op, unknown, body).params == ("model",)


# ---------------------------------------------------------------------------------------------- boundary sweep


def _ark_boundaries() -> list[dict[str, Any]]:
    """For every model and scenario: each resolution, both ends of every range and one past each, both
    camera_fixed spellings, reference counts at and past their limits."""
    text = {"type": "text", "text": "a kite"}
    image = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
    video = {"type": "video_url", "video_url": {"url": "https://example.com/a.mp4"}, "role": "reference_video"}
    audio = {"type": "audio_url", "audio_url": {"url": "https://example.com/a.mp3"}, "role": "reference_audio"}
    contents = {
        "text": [text],
        "first_frame": [text, {**image, "role": "first_frame"}],
        "first_last_frame": [text, {**image, "role": "first_frame"}, {**image, "role": "last_frame"}],
        "reference": [text, {**image, "role": "reference_image"}],
    }
    frames_low, frames_high = gen.ARK["frames_range"]
    cases: list[dict[str, Any]] = []
    for model in gen.MODELS:
        low, high = model.duration
        for scenario in gen.SCENARIOS:
            base = {"model": model.id, "content": contents[scenario]}
            cases.append(base)
            cases += [{**base, "resolution": r} for r in gen.RESOLUTIONS]
            cases += [{**base, name: True} for name in ("camera_fixed", "camerafixed")]
        base = {"model": model.id, "content": contents[model.scenarios[0]]}
        cases += [{**base, "duration": d} for d in (low - 1, low, high, high + 1)]
        frames = (frames_low - 4, frames_low, frames_high, frames_high + 4)
        cases += [{**base, "frames": f} for f in (*frames, *map(float, frames))]
        limits = model.reference or {"images": [0, 1], "videos": 1, "audios": 1}
        for kind, item in (("images", {**image, "role": "reference_image"}), ("videos", video), ("audios", audio)):
            top = limits[kind][1] if isinstance(limits[kind], list) else limits[kind]
            for n in (top, top + 1):
                extra = [] if kind == "images" else [{**image, "role": "reference_image"}]
                cases.append({"model": model.id, "content": [text, *extra, *[item] * n]})
    cases += _beyond_the_seeds(contents)
    # Family-wide limits [seed 000; FIDELITY §2], once, on the first model.
    base = {"model": gen.MODELS[0].id, "content": [text]}
    seed_low, seed_high = gen.ARK["seed_range"]
    expires_low, expires_high = gen.ARK["execution_expires_after_range"]
    seeds = (seed_low - 1, seed_low, seed_high, seed_high + 1, 42)
    expires = (expires_low - 1, expires_low, expires_high, expires_high + 1)
    # Each also as an integral float (42.0): the contract counts it as an integer, the task must hold an int.
    cases += [{**base, "seed": v} for v in (*seeds, *map(float, seeds))]
    cases += [{**base, "execution_expires_after": v} for v in (*expires, *map(float, expires))]
    cases += [{**base, "priority": v} for v in (0, 1.0, 10.0, 1.5)]
    cases += [{**base, "duration": float(v)} for v in gen.MODELS[0].duration]
    cases += [{**base, "framespersecond": v} for v in (*gen.ARK["fps"], 25)]
    cases += [{**base, "ratio": v} for v in (*gen.ARK["ratio_values"], "2:1")]
    cases += [{**base, "service_tier": v} for v in (*gen.ARK["service_tiers"], "fast")]
    return _once(cases)


#: Fields some model does not take, each with a value another model accepts [FIDELITY §5].
_REFUSABLE = {
    "draft": False, "priority": 1, "service_tier": "default", "seed": 7, "camera_fixed": False,
    "camerafixed": False, "output_format": "mp4", "omni_reference_task_type": "auto",
}  # fmt: skip


def _beyond_the_seeds(contents: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The limits of FIDELITY §11 for every model [FIDELITY §5]: duration -1, resolution in any case and 4k,
    each field a model may refuse, the 1.x-only expiry minimum, priority 0-9 and flex, drafts, audio-only
    references and the reference totals."""
    text = contents["text"][0]
    audio = {"type": "audio_url", "audio_url": {"url": "https://example.com/a.mp3"}, "role": "reference_audio"}
    draft_task = {"type": "draft_task", "draft_task": {"id": "cgt-20260101000000-abcde"}}
    priority_low, priority_high = gen.ARK["priority_range"]
    cases: list[dict[str, Any]] = []
    for model in gen.MODELS:
        base = {"model": model.id, "content": contents[model.scenarios[0]]}
        cases += [{**base, "duration": d} for d in (-1, -2, -1.0)]
        cases += [{**base, "resolution": r} for r in ("480P", "720P", "1080P", "4K", "4k", "2k")]
        # Each refusable field in each of the model's scenarios (the refusal names its task type), and a
        # concrete ratio in each (2.5 overrides it in a first-frame task) [FIDELITY §5].
        for scenario in model.scenarios:
            here = {"model": model.id, "content": contents[scenario]}
            cases += [{**here, name: value} for name, value in _REFUSABLE.items()]
            cases += [{**here, "ratio": "9:16"}]
        if model.reference is not None:
            here = {"model": model.id, "content": contents["reference"], "ratio": "1:1"}
            cases += [{**here, "omni_reference_task_type": v} for v in ("edit", "extend", "reference")]
        low = model.execution_expires_after_min
        cases += [{**base, "execution_expires_after": v} for v in (low - 1, low, 3599, 3600)]
        cases += [{**base, "priority": v} for v in (priority_low - 1, priority_low, priority_high, priority_high + 1)]
        cases += [{**base, "service_tier": "flex", "priority": 1}, {**base, "service_tier": "flex"}]
        cases += [{**base, "output_format": v} for v in ("mov", "avi")]
        cases += [{**base, "omni_reference_task_type": v} for v in ("edit", "remix")]
        cases += [
            {**base, "draft": True},
            {**base, "draft": True, "resolution": "480P"},
            {**base, "draft": True, "resolution": "720p"},
            {**base, "draft": True, "return_last_frame": True},
            {**base, "draft": True, "service_tier": "flex"},
            {"model": model.id, "content": [draft_task, text]},
            {"model": model.id, "content": [draft_task], "seed": 3},
            {"model": model.id, "content": [draft_task], "draft": True},
            {"model": model.id, "content": [text, audio]},
        ]
        if model.reference is not None:
            image = contents["reference"][1]
            video = {"type": "video_url", "video_url": {"url": "https://example.com/a.mp4"}, "role": "reference_video"}
            top = model.reference["images"][1]
            cases.append({"model": model.id, "content": [text, *[image] * top, *[video] * model.reference["videos"],
                                                          *[audio] * model.reference["audios"]]})  # fmt: skip
    return cases


def _prediction_boundaries() -> list[tuple[str, str, dict[str, Any]]]:
    """The same sweep for every predictions operation (durations as integers and as strings)."""
    cases: list[tuple[str, str, dict[str, Any]]] = []
    url = "https://example.com/a.png"
    bases = {
        "text-to-video": {"prompt": "a kite"},
        "image-to-video": {"prompt": "a kite", "image": url},
        "reference-to-video": {"prompt": "a kite", "images": [url]},
    }
    for model in gen.MODELS:
        low, high = model.predictions_duration
        for op, base in bases.items():
            cases.append((op, model.id, base))
            cases += [(op, model.id, {**base, "resolution": r}) for r in gen.RESOLUTIONS]
            cases += [(op, model.id, {**base, "duration": d}) for d in (low - 1, low, high, high + 1)]
            cases += [(op, model.id, {**base, "duration": str(d)}) for d in (low - 1, high, high + 1)]
            cases += [(op, model.id, {**base, "camera_fixed": v}) for v in (True, False)]
            # Beyond the seeds [FIDELITY §5]: any case, 4k, seed (2.5 takes none), base64 output.
            cases += [(op, model.id, {**base, "resolution": r}) for r in ("720P", "4k", "4K")]
            cases += [(op, model.id, {**base, "seed": 7}), (op, model.id, {**base, "duration": -1})]
            cases += [(op, model.id, {**base, "enable_base64_output": v}) for v in (False, "yes")]
        cases.append(("image-to-video", model.id, {**bases["image-to-video"], "last_image": url}))
        limits = model.predictions_reference or {"images": 1, "videos": 1, "audios": 1}
        for kind in ("images", "videos", "audios"):
            for n in (limits[kind], limits[kind] + 1):
                cases.append(("reference-to-video", model.id, {"prompt": "a kite", "images": [url], kind: [url] * n}))
    seed_low, seed_high = gen.PREDICTIONS["seed_range"]
    first = gen.MODELS[0].id
    seeds = (seed_low - 1, seed_low, seed_high, seed_high + 1, 42)
    cases += [("text-to-video", first, {"prompt": "a kite", "seed": v}) for v in (*seeds, *map(float, seeds))]
    cases += [
        ("text-to-video", first, {"prompt": "a kite", "aspect_ratio": v})
        for v in (*gen.PREDICTIONS["ratio_values"], "adaptive")
    ]
    return _once(cases)


def _once(cases: list[Case]) -> list[Case]:
    """Each case once, in order: the sweeps build some twice (a limit sits at the edge of two ranges, "4k" is
    in the resolutions and beyond the seeds); the same bytes judged again prove nothing more (~3%)."""
    unique: dict[str, Case] = {}
    for case in cases:
        unique.setdefault(json.dumps(case), case)  # a dict keeps the first one's place
    return list(unique.values())


def _has_float(body: dict[str, Any]) -> bool:
    return any(isinstance(v, float) for v in body.values())


def _holds_ints(task: dict[str, Any]) -> None:
    for name in INTEGER_FIELDS:
        assert task.get(name) is None or type(task[name]) is int, (name, task)


#: The sweep is cut into shards (every case in exactly one) so that xdist's workers share it.
SHARDS = 4


@pytest.mark.parametrize("shard", range(SHARDS))
@pytest.mark.parametrize("family", ["ark", "predictions"])
def test_every_model_boundary_judges_agree(mock: Harness, family: str, shard: int) -> None:
    """Not sampled but swept: every model's limits, at and one past each end, in both families. Reports
    every disagreement (of the shard) at once. An accepted body holding an integral float is read back
    through both families: the task must answer, holding ints."""
    mock.server.reset()
    failures = []
    for body in _ark_boundaries()[shard::SHARDS] if family == "ark" else ():
        status, answer = mock.create_ark(body)
        verdicts = (contract_verdict("ark.create_task.request", body), ark_client_verdict(body))
        try:
            assert_agree(body, *verdicts, server_verdict(status, answer))
            if status == 200 and _has_float(body):
                _holds_ints(mock.read_both(answer["id"]))
        except AssertionError as err:
            failures.append(str(err))
    for op, model, body in _prediction_boundaries()[shard::SHARDS] if family == "predictions" else ():
        status, answer = mock.submit(op, model, body)
        contract = contract_verdict(PREDICTION_CONTRACTS[op], {**body, "model": model})
        try:
            assert_agree(
                (op, model, body), contract, prediction_client_verdict(op, model, body), server_verdict(status, answer)
            )
            if status == 200 and _has_float(body):
                _holds_ints(mock.read_both(answer["data"]["id"]))
        except AssertionError as err:
            failures.append(str(err))
    assert not failures, f"{len(failures)} disagreement(s):\n" + "\n".join(failures)
