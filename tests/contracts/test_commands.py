"""The one text-command grammar (contracts.commands) that the mock, the client and the test oracle read
prompts with: where a command stands, which flags count, and how each field's value is typed."""

from __future__ import annotations

import pytest

import contracts
from contracts.commands import BOOLEAN_FIELDS, INTEGER_FIELDS, TextCommand, read_commands

LITE_T2V = "seedance-1-0-lite-t2v-250428"  # takes every command field (frames, fps, camerafixed, …)


def test_commands_are_read_typed_in_order() -> None:
    found = read_commands("A fox --rs 1080P --DUR 5 --seed -3 --cf TRUE --wm false --rt 16:9 --fps +24")
    assert [(c.field, c.value) for c in found] == [
        ("resolution", "1080P"),
        ("duration", 5),
        ("seed", -3),
        ("camerafixed", True),
        ("watermark", False),
        ("ratio", "16:9"),
        ("framespersecond", 24),
    ]
    assert all(c.ok for c in found)
    assert found[1].flag == "DUR"  # as written, for the error message


def test_a_command_stands_after_whitespace_or_at_the_start() -> None:
    assert [c.field for c in read_commands("--dur 5")] == ["duration"]
    assert read_commands("a fox--dur 5") == []  # glued to a word: prompt text
    assert read_commands("a fox --dur") == []  # no value
    assert read_commands("a fox --unknown 5 ---dur 5") == []  # unknown flags are prompt text
    assert [c.raw for c in read_commands("a\n--dur\t7")] == ["7"]


@pytest.mark.parametrize("raw", ["٣", "١٠", "۱۲۱", "５", "1_0", "5.0", "x", "", "+", "0x10"])
def test_an_integer_is_ascii_digits_only(raw: str) -> None:
    # "٣" (Arabic-Indic three) and "５" (fullwidth five) are digits to ``\d`` and to int(); not to the API.
    found = read_commands(f"a kite --dur {raw}")
    if not raw:
        assert found == []
        return
    assert found == [TextCommand("dur", raw, "duration", raw, "is not an integer")]
    assert not found[0].ok


def test_a_huge_integer_is_refused_not_raised() -> None:
    (found,) = read_commands("--seed " + "9" * 5000)  # past int()'s 4 300 digits
    assert found.problem == "is not an integer"


@pytest.mark.parametrize("raw", ["yes", "1", "True!", "ｔｒｕｅ"])
def test_a_boolean_is_true_or_false(raw: str) -> None:
    (found,) = read_commands(f"--cf {raw}")
    assert (found.field, found.value, found.problem) == ("camerafixed", raw, "is not true or false")


def test_typed_fields_are_command_fields_the_contract_types() -> None:
    fields = set(contracts.text_commands().values())
    assert fields >= INTEGER_FIELDS | BOOLEAN_FIELDS
    base = {"model": LITE_T2V, "content": [{"type": "text", "text": "a kite"}]}
    assert contracts.is_valid("ark.create_task.request", base)
    for field in INTEGER_FIELDS | BOOLEAN_FIELDS:
        # The text of a well-typed value is not the value: the contract wants the integer or the boolean.
        text = "true" if field in BOOLEAN_FIELDS else "24"
        params = {v.param for v in contracts.violations("ark.create_task.request", {**base, field: text})}
        assert field in params, field
