"""Capability data: the seed's size table cell by cell, token usage, frame sizes, and the family-wide limits
written into common.json agreeing with data/models.json."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

import contracts
from tests.contracts.contract_helpers import SEEDS, needs_seed_documents

RATIOS = ("16:9", "4:3", "1:1", "3:4", "9:16", "21:9")

#: A literal copy of the seed table (identical in seeds 000-004): resolution, ratio, Seedance 1.0,
#: Seedance 1.5 pro / 2.0 / 2.0 fast. Used when the seed documents are not beside the checkout.
SEED_TABLE = """
| 480p | 16:9 | 864×480 | 864×496 |
| 480p | 4:3 | 736×544 | 752×560 |
| 480p | 1:1 | 640×640 | 640×640 |
| 480p | 3:4 | 544×736 | 560×752 |
| 480p | 9:16 | 480×864 | 496×864 |
| 480p | 21:9 | 960×416 | 992×432 |
| 720p | 16:9 | 1248×704 | 1280×720 |
| 720p | 4:3 | 1120×832 | 1112×834 |
| 720p | 1:1 | 960×960 | 960×960 |
| 720p | 3:4 | 832×1120 | 834×1112 |
| 720p | 9:16 | 704×1248 | 720×1280 |
| 720p | 21:9 | 1504×640 | 1470×630 |
| 1080p | 16:9 | 1920×1088 | 1920×1088 |
| 1080p | 4:3 | 1664×1248 | 1664×1248 |
| 1080p | 1:1 | 1440×1440 | 1440×1440 |
| 1080p | 3:4 | 1248×1664 | 1248×1664 |
| 1080p | 9:16 | 1088×1920 | 1088×1920 |
| 1080p | 21:9 | 2176×928 | 2176×928 |
"""

_ROW = re.compile(r"^\|\s*(\d+p)\s*\|\s*(\d+:\d+)\s*\|\s*(\d+)×(\d+)\s*\|\s*(\d+)×(\d+)\s*\|", re.M)
Cell = tuple[str, str, str]  # (size table, resolution, ratio)


def _parse(text: str) -> dict[Cell, tuple[int, int]]:
    cells: dict[Cell, tuple[int, int]] = {}
    for res, ratio, w1, h1, w2, h2 in _ROW.findall(text):
        cells[("seedance-1.0", res, ratio)] = (int(w1), int(h1))
        cells[("seedance-1.5+", res, ratio)] = (int(w2), int(h2))
    return cells


def _data() -> dict[Cell, tuple[int, int]]:
    """The seed's rows of the size tables (4k is upstream's, checked on its own)."""
    return {
        (table, res, ratio): size
        for table in ("seedance-1.0", "seedance-1.5+")
        for res, row in contracts.resolution_table(table).items()
        if res != "4k"
        for ratio, size in row.items()
    }


#: Upstream's 4k row [FIDELITY §11 sizes; FIDELITY §4].
UPSTREAM_4K = {
    "16:9": (3840, 2160), "4:3": (3326, 2494), "1:1": (2880, 2880),
    "3:4": (2494, 3326), "9:16": (2160, 3840), "21:9": (4398, 1886),
}  # fmt: skip


def test_4k_is_upstreams_table_and_only_on_2_0() -> None:
    assert contracts.resolution_table("seedance-1.5+")["4k"] == UPSTREAM_4K
    offering = [m.id for m in contracts.all_models() if "4k" in m.resolutions]
    assert offering == ["dreamina-seedance-2-0-260128"]
    assert contracts.frame_size("dreamina-seedance-2-0-260128", "4K", "16:9") == (3840, 2160)


def test_1080p_keeps_the_seed_sizes_not_upstreams_newer_table() -> None:
    # [FIDELITY §4 decision]: upstream's newest table says 1920x1080; GPTProto's pages (the seed) say 1920x1088.
    assert contracts.frame_size("dreamina-seedance-2-0-260128", "1080p", "16:9") == (1920, 1088)
    assert contracts.frame_size("seedance-1-5-pro-251215", "1080p", "21:9") == (2176, 928)


def test_resolution_data_equals_the_literal_seed_table() -> None:
    expected = _parse(SEED_TABLE)
    assert len(expected) == 6 * 3 * 2
    assert _data() == expected


@needs_seed_documents
def test_resolution_data_equals_seed_000_cell_by_cell() -> None:
    found = sorted(SEEDS.glob("000_*.txt"))
    assert len(found) == 1, f"seed 000 not found in {SEEDS}"
    expected = _parse(found[0].read_text("utf-8"))
    assert len(expected) == 36
    assert _data() == expected


def test_ratio_order_is_the_seeds() -> None:
    assert contracts.ratios() == RATIOS


def test_token_usage_reproduces_both_documented_responses() -> None:
    # FIDELITY §2: 1.5 pro 720p 16:9, 12 s -> 260100 (seed 002); 2.0 720p 16:9, 5 s -> 108900.
    assert contracts.token_usage(1280, 720, duration=12) == 260100
    assert contracts.token_usage(1280, 720, duration=5) == 108900
    assert contracts.token_usage(1280, 720, frames=24 * 5 + 1) == 108900


@pytest.mark.parametrize(
    ("model", "resolution", "ratio", "size"),
    [
        ("seedance-1-5-pro-251215", "720p", "16:9", (1280, 720)),
        ("doubao-seedance-1-5-pro-251215", "720p", "16:9", (1280, 720)),
        ("seedance-1-0-pro-250528", "720p", "16:9", (1248, 704)),
        ("seedance-1-0-lite-t2v-250428", "480p", "21:9", (960, 416)),
        ("dreamina-seedance-2-0-fast-260128", "480p", "4:3", (752, 560)),
        ("dreamina-seedance-2-0-260128", "1080p", "9:16", (1088, 1920)),
        ("seedance-1-0-pro-fast-251015", "1080p", "1:1", (1440, 1440)),
    ],
)
def test_frame_size(model: str, resolution: str, ratio: str, size: tuple[int, int]) -> None:
    assert contracts.frame_size(model, resolution, ratio) == size


def test_frame_size_of_an_unknown_model_raises() -> None:
    with pytest.raises(KeyError):
        contracts.frame_size("seedance-9", "720p", "16:9")


def _common() -> dict[str, object]:
    return contracts.schema("common")["$defs"]


def _models_json() -> dict[str, object]:
    return json.loads(resources.files("contracts").joinpath("data", "models.json").read_text("utf-8"))


def test_common_family_limits_equal_models_json() -> None:
    """The hand-written family-wide limits are the capability data's (one source of truth, checked)."""
    ark = contracts.family_rules("ark")
    pred = contracts.family_rules("predictions")
    defs = _common()
    assert [defs["ark_seed"]["minimum"], defs["ark_seed"]["maximum"]] == ark["seed_range"]
    assert [defs["predictions_seed"]["minimum"], defs["predictions_seed"]["maximum"]] == pred["seed_range"]
    assert defs["ark_ratio"]["enum"] == ark["ratio_values"]
    assert defs["predictions_aspect_ratio"]["enum"] == pred["ratio_values"]
    low, high = ark["frames_range"]
    step = ark["frames_step"]
    frames = defs["ark_frames"]
    assert [frames["minimum"], frames["maximum"]] == [low, high]
    allowed = [n for n in range(low, high + 1) if (n - step["base"]) % step["step"] == 0]
    assert frames["not"]["not"]["enum"] == allowed
    request = contracts.schema("ark.create_task.request")["properties"]
    assert request["ratio"]["enum"] == [*ark["ratio_values"], None]
    assert request["framespersecond"]["enum"] == [*ark["fps"], None]
    assert request["service_tier"]["enum"] == [*ark["service_tiers"], None]
    expires = request["execution_expires_after"]
    assert [expires["minimum"], expires["maximum"]] == ark["execution_expires_after_range"]
    assert set(defs["resolution"]["enum"]) == set(contracts.resolution_table("seedance-1.5+"))
    assert set(defs["resolution"]["enum"]) == set(contracts.resolutions())


def test_model_enum_holds_every_name() -> None:
    names = contracts.schema("model-rules")["$defs"]["model_names"]["enum"]
    assert set(names) == {n for m in contracts.all_models() for n in m.names}
    assert len(names) == len(set(names)), "a name belongs to two models"
    raw = _models_json()["models"]
    assert [m["id"] for m in raw] == [m.id for m in contracts.all_models()]


def test_lookup_by_id_and_alias() -> None:
    model = contracts.lookup_model("doubao-seedance-1-5-pro-251215")
    assert model is not None and model.id == "seedance-1-5-pro-251215"
    assert contracts.lookup_model("seedance-9") is None


def test_text_command_flags_map_to_the_body_fields_they_set() -> None:
    # FIDELITY §2: --rs/--resolution, --rt/--ratio, --dur/--duration, --fps/--framepersecond, --wm/--watermark,
    # --seed, --cf/--camerafixed, --frames.
    import contracts

    table = contracts.text_commands()
    assert {table[f] for f in ("rs", "rt", "dur", "fps", "wm", "seed", "cf", "frames")} == {
        "resolution", "ratio", "duration", "framespersecond", "watermark", "seed", "camerafixed", "frames",
    }  # fmt: skip
    assert all(table[field] == field for field in set(table.values()) - {"framespersecond"})
    assert table["framepersecond"] == table["framespersecond"] == "framespersecond"
