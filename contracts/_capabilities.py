"""Capability data: which models exist, what each accepts, and the seed's size table.

Read once from ``data/models.json`` and ``data/resolutions.json``. The mock server, the client's own
validation and the generated JSON contracts all derive from these two files, so one edit changes all three.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "FPS",
    "Model",
    "Scenario",
    "all_models",
    "family_rules",
    "frame_count",
    "frame_size",
    "lookup_model",
    "nearest_ratio",
    "normalize_resolution",
    "ratios",
    "resolution_table",
    "resolutions",
    "task_type",
    "token_usage",
    "unsupported_message",
    "upstream_name",
]

#: Output frame rate of every model [seed: framespersecond only 24].
FPS = 24

Scenario = str  # "text" | "first_frame" | "first_last_frame" | "reference"


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(resources.files(__package__).joinpath("data", name).read_text("utf-8"))
    return data


@dataclass(frozen=True)
class Model:
    """One Seedance model and what it accepts (see ``data/models.json`` for each fact's source)."""

    id: str
    aliases: tuple[str, ...]
    generation: str
    size_table: str
    scenarios: tuple[Scenario, ...]
    reference: dict[str, Any] | None
    predictions_reference: dict[str, Any] | None
    audio: bool
    resolutions: tuple[str, ...]
    reference_resolutions: tuple[str, ...] | None
    default_resolution: str
    default_ratio: dict[str, str]
    duration: tuple[int, int]
    predictions_duration: tuple[int, int]
    frames: bool
    #: Ark family: "yes" | "not_with_reference" | "no" (any value refused, even false [FIDELITY §5]).
    camera_fixed: str
    sources: dict[str, str]
    #: ``duration: -1`` (the model picks) accepted [FIDELITY §5]; ``duration_default`` may be -1 (2.5).
    duration_auto: bool = False
    duration_default: int = 5
    #: Predictions family: "yes" | "false_only" (seed 004 lists it for 2.0 fast) | "no" [FIDELITY §5].
    predictions_camera_fixed: str = "yes"
    #: Smallest ``execution_expires_after`` (3600 on 1.x, not enforced on 2.x [FIDELITY §5]).
    execution_expires_after_min: int = 3600
    #: Reference audio may be the only reference input (2.5) [FIDELITY §5].
    audio_only_references: bool = False
    output_formats: tuple[str, ...] | None = None
    omni_reference_task_types: tuple[str, ...] | None = None
    #: Ark fields the model does not take: any value but null is a 400 "must be empty" [FIDELITY §5].
    refuses: tuple[str, ...] = ()
    #: Scenarios (and ``omni_reference_task_type`` values) where the model renders ``adaptive`` whatever
    #: ratio was sent (2.5: first frame, edit, extend) [FIDELITY §5].
    forced_adaptive_scenarios: tuple[Scenario, ...] = ()
    forced_adaptive_task_types: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The canonical id followed by every accepted alias."""
        return (self.id, *self.aliases)

    def resolutions_for(self, scenario: Scenario) -> tuple[str, ...]:
        """Resolutions accepted in ``scenario`` (1.0 lite refuses 1080p with reference images [seed])."""
        if scenario == "reference" and self.reference_resolutions is not None:
            return self.reference_resolutions
        return self.resolutions

    def camera_fixed_allowed(self, value: bool, scenario: Scenario, family: str = "ark") -> bool:
        """Whether ``camera_fixed=value`` is accepted in ``scenario`` by ``family`` [FIDELITY §5]."""
        mode = self.camera_fixed if family == "ark" else self.predictions_camera_fixed
        if mode == "no":
            return False
        if not value:
            return True
        return mode == "yes" or (mode == "not_with_reference" and scenario != "reference")

    def takes(self, field: str) -> bool:
        """Whether the Ark create body may carry ``field`` for this model [FIDELITY §5]."""
        return field not in self.refuses

    @property
    def has_draft(self) -> bool:
        """Draft tasks and ``draft_task`` content (1.5 pro) [FIDELITY §5]."""
        return self.takes("draft")

    def forces_adaptive(self, scenario: Scenario, omni_reference_task_type: str | None = None) -> bool:
        """Whether the model renders ``adaptive`` here whatever ratio was asked (2.5) [FIDELITY §5]."""
        return scenario in self.forced_adaptive_scenarios or (
            omni_reference_task_type is not None and omni_reference_task_type in self.forced_adaptive_task_types
        )

    @property
    def adaptive_text(self) -> bool:
        """Whether ``adaptive`` without an image is the model's own pick (1.5 pro, 2.x) [FIDELITY §5]."""
        return self.default_ratio.get("text") == "adaptive"


@cache
def _models() -> dict[str, Model]:
    by_name: dict[str, Model] = {}
    for raw in _load("models.json")["models"]:
        model = Model(
            id=raw["id"],
            aliases=tuple(raw["aliases"]),
            generation=raw["generation"],
            size_table=raw["size_table"],
            scenarios=tuple(raw["scenarios"]),
            reference=raw["reference"],
            predictions_reference=raw["predictions_reference"],
            audio=raw["audio"],
            resolutions=tuple(raw["resolutions"]),
            reference_resolutions=(tuple(raw["reference_resolutions"]) if raw["reference_resolutions"] else None),
            default_resolution=raw["default_resolution"],
            default_ratio=dict(raw["default_ratio"]),
            duration=(raw["duration"][0], raw["duration"][1]),
            predictions_duration=(raw["predictions_duration"][0], raw["predictions_duration"][1]),
            frames=raw["frames"],
            camera_fixed=raw["camera_fixed"],
            sources=dict(raw["sources"]),
            duration_auto=raw.get("duration_auto", False),
            duration_default=raw.get("duration_default", 5),
            predictions_camera_fixed=raw.get("predictions_camera_fixed", raw["camera_fixed"]),
            execution_expires_after_min=raw.get("execution_expires_after_min", 3600),
            audio_only_references=raw.get("audio_only_references", False),
            output_formats=tuple(raw["output_formats"]) if raw.get("output_formats") else None,
            omni_reference_task_types=(
                tuple(raw["omni_reference_task_types"]) if raw.get("omni_reference_task_types") else None
            ),
            refuses=tuple(raw.get("refuses", ())),
            forced_adaptive_scenarios=tuple(raw.get("forced_adaptive", {}).get("scenarios", ())),
            forced_adaptive_task_types=tuple(raw.get("forced_adaptive", {}).get("omni_reference_task_types", ())),
        )
        for name in model.names:
            by_name[name.lower()] = model
    return by_name


def all_models() -> tuple[Model, ...]:
    """Every model, once each, in the order of ``models.json``."""
    seen: dict[str, Model] = {}
    for model in _models().values():
        seen.setdefault(model.id, model)
    return tuple(seen.values())


def lookup_model(name: str) -> Model | None:
    """The model called ``name`` (canonical id or alias, any case), or None when unknown."""
    if not isinstance(name, str):
        return None
    return _models().get(name.strip().lower())


@cache
def family_rules(family: str) -> dict[str, Any]:
    """Family-wide limits (``"ark"`` or ``"predictions"``): seed range, ratio values, defaults."""
    return dict(_load("models.json")["families"][family])


_VERSION = re.compile(r"-[0-9]{6}$")


def upstream_name(model_id: str) -> str:
    """The model as upstream's refusals name it: its id without the version date (``seedance-1-0-pro`` for
    ``seedance-1-0-pro-250528``) [FIDELITY §5]."""
    return _VERSION.sub("", model_id)


def task_type(scenario: Scenario) -> str:
    """Upstream's task type of a scenario (``t2v``, ``i2v``, ``r2v``), as its refusals name it [FIDELITY §5]."""
    return str(family_rules("ark")["task_types"][scenario])


def unsupported_message(model_id: str, field: str, task_type: str) -> str:
    """Upstream's words for a field the model does not take in a task type [FIDELITY §5 probe]:
    "the specified parameter `draft` is not supported for model seedance-1-0-pro in t2v, must be empty"."""
    name = upstream_name(model_id)
    return f"the specified parameter `{field}` is not supported for model {name} in {task_type}, must be empty"


@cache
def _resolutions() -> dict[str, Any]:
    return _load("resolutions.json")


@cache
def resolution_table(size_table: str) -> dict[str, dict[str, tuple[int, int]]]:
    """``{resolution: {ratio: (width, height)}}`` for one generation's size table [seed]."""
    table = _resolutions()["tables"][size_table]
    return {res: {ratio: (wh[0], wh[1]) for ratio, wh in row.items()} for res, row in table.items()}


def resolutions() -> tuple[str, ...]:
    """Every resolution of the size tables, lowest first (``4k`` only on one model [FIDELITY §4])."""
    return tuple(_resolutions()["resolutions"])


def normalize_resolution(value: object) -> object:
    """``value`` lower-cased when it is a string: resolution is matched case-insensitively [FIDELITY §5]."""
    return value.lower() if isinstance(value, str) else value


def ratios() -> tuple[str, ...]:
    """The six concrete aspect ratios of the size table, in the seed's order."""
    return tuple(_resolutions()["ratios"])


def frame_size(model: Model | str, resolution: str, ratio: str) -> tuple[int, int]:
    """Pixel size of the output for ``model`` at ``resolution`` (any case) and a concrete ``ratio``
    [seed table; ``4k`` from upstream's, FIDELITY §4]."""
    m = lookup_model(model) if isinstance(model, str) else model
    if m is None:
        raise KeyError(f"unknown model {model!r}")
    return resolution_table(m.size_table)[resolution.lower()][ratio]


def nearest_ratio(width: int, height: int) -> str:
    """The table ratio closest to ``width / height`` (what ``ratio: adaptive`` picks [upstream])."""
    import math

    target = math.log(width / height)

    def distance(r: str) -> float:
        w, h = (int(x) for x in r.split(":"))
        return abs(math.log(w / h) - target)

    return min(ratios(), key=distance)


def frame_count(duration: int | None = None, frames: int | None = None) -> int:
    """Frames in the output: ``frames`` when given, else ``24 × duration + 1`` [upstream]."""
    if frames is not None:
        return frames
    if duration is None:
        raise ValueError("frame_count needs duration or frames")
    return FPS * duration + 1


def token_usage(width: int, height: int, duration: int | None = None, frames: int | None = None) -> int:
    """Completion tokens of a generated video: ``w × h × frames / 1024``, rounded down.

    Both documented responses fit exactly [upstream §2]: 1280×720, 12 s → 260100; 1280×720, 5 s → 108900.
    Rounding down where the product is not a multiple of 1024 is a [decision].
    """
    return width * height * frame_count(duration, frames) // 1024
