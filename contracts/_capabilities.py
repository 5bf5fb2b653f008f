"""Capability data: which models exist, what each accepts, and the seed's size table.

Read once from ``data/models.json`` and ``data/resolutions.json``. The mock server, the client's own
validation and the generated JSON contracts all derive from these two files, so one edit changes all three.
"""

from __future__ import annotations

import json
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
    "ratios",
    "resolution_table",
    "text_commands",
    "token_usage",
]

#: Output frame rate of every model [seed: framespersecond only 24].
FPS = 24

Scenario = str  # "text" | "first_frame" | "first_last_frame" | "reference"


def _load(name: str) -> dict[str, Any]:
    return json.loads(resources.files(__package__).joinpath("data", name).read_text("utf-8"))


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
    camera_fixed: str  # "yes" | "not_with_reference" | "false_only" (only false, the no-op, accepted)
    sources: dict[str, str]

    @property
    def names(self) -> tuple[str, ...]:
        """The canonical id followed by every accepted alias."""
        return (self.id, *self.aliases)

    def resolutions_for(self, scenario: Scenario) -> tuple[str, ...]:
        """Resolutions accepted in ``scenario`` (1.0 lite refuses 1080p with reference images [seed])."""
        if scenario == "reference" and self.reference_resolutions is not None:
            return self.reference_resolutions
        return self.resolutions

    def camera_fixed_allowed(self, value: bool, scenario: Scenario) -> bool:
        """Whether ``camera_fixed=value`` is accepted in ``scenario``."""
        if not value:
            return True
        return self.camera_fixed == "yes" or (
            self.camera_fixed == "not_with_reference" and scenario != "reference"
        )


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
            reference_resolutions=(
                tuple(raw["reference_resolutions"]) if raw["reference_resolutions"] else None
            ),
            default_resolution=raw["default_resolution"],
            default_ratio=dict(raw["default_ratio"]),
            duration=(raw["duration"][0], raw["duration"][1]),
            predictions_duration=(raw["predictions_duration"][0], raw["predictions_duration"][1]),
            frames=raw["frames"],
            camera_fixed=raw["camera_fixed"],
            sources=dict(raw["sources"]),
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


@cache
def text_commands() -> dict[str, str]:
    """Ark prompt text commands: ``{flag: field}`` (``{"rs": "resolution", "dur": "duration", …}``) [§2]."""
    table = family_rules("ark")["text_commands"]
    return {flag: field for field, flags in table.items() for flag in flags}


@cache
def _resolutions() -> dict[str, Any]:
    return _load("resolutions.json")


@cache
def resolution_table(size_table: str) -> dict[str, dict[str, tuple[int, int]]]:
    """``{resolution: {ratio: (width, height)}}`` for one generation's size table [seed]."""
    table = _resolutions()["tables"][size_table]
    return {res: {ratio: (wh[0], wh[1]) for ratio, wh in row.items()} for res, row in table.items()}


def ratios() -> tuple[str, ...]:
    """The six concrete aspect ratios of the size table, in the seed's order."""
    return tuple(_resolutions()["ratios"])


def frame_size(model: Model | str, resolution: str, ratio: str) -> tuple[int, int]:
    """Pixel size of the output for ``model`` at ``resolution`` and a concrete ``ratio`` [seed table]."""
    m = lookup_model(model) if isinstance(model, str) else model
    if m is None:
        raise KeyError(f"unknown model {model!r}")
    return resolution_table(m.size_table)[resolution][ratio]


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


def token_usage(
    width: int, height: int, duration: int | None = None, frames: int | None = None
) -> int:
    """Completion tokens of a generated video: ``w × h × frames / 1024``, rounded down.

    Both documented responses fit exactly [upstream §2]: 1280×720, 12 s → 260100; 1280×720, 5 s → 108900.
    Rounding down where the product is not a multiple of 1024 is a [decision].
    """
    return width * height * frame_count(duration, frames) // 1024
