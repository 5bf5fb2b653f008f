"""The legacy text commands of an Ark prompt (``… --rs 720p --dur 5 --seed 1 --cf true --rt 16:9``), read once.

The grammar — where a command stands, which flags name which field (capability data, ``models.json``) and
which type each field's value must have — is stated here and nowhere else: the mock server, the client's
own validation and the test oracle all read prompts with :func:`read_commands` and differ only in how they
refuse a badly typed value [FIDELITY §2; seed 002 ends its prompt with ``--ratio 16:9``].
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from contracts._capabilities import family_rules

__all__ = ["BOOLEAN_FIELDS", "INTEGER_FIELDS", "TextCommand", "read_commands", "text_commands"]

#: ``--flag value`` at the start of the prompt or after whitespace; the value runs to the next whitespace.
_COMMAND = re.compile(r"(?:^|\s)--([A-Za-z]+)\s+(\S+)")
#: An integer value: ASCII digits with an optional sign, matched whole. ``\d`` would take "٣" (Arabic-Indic
#: three) and ``int()`` alone "1_0" or " 5", none of which the contract's integers are.
_INTEGER = re.compile(r"[+-]?[0-9]+")

#: Fields whose command value must be an integer; every other field takes the text as it is.
INTEGER_FIELDS = frozenset({"duration", "framespersecond", "seed", "frames"})
#: Fields whose command value must be ``true`` or ``false`` (any case).
BOOLEAN_FIELDS = frozenset({"watermark", "camerafixed"})


@cache
def text_commands() -> dict[str, str]:
    """Ark prompt text commands: ``{flag: field}`` (``{"rs": "resolution", "dur": "duration", …}``) [§2]."""
    table = family_rules("ark")["text_commands"]
    return {flag: field for field, flags in table.items() for flag in flags}


@dataclass(frozen=True)
class TextCommand:
    """One command of a known flag: ``flag`` as written, the ``raw`` value text, the ``field`` it sets, the
    typed ``value`` (the raw text when it is not of the field's type) and, then, the ``problem``
    (``"is not an integer"``, ``"is not true or false"``)."""

    flag: str
    raw: str
    field: str
    value: Any
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the value is of the field's type."""
        return self.problem is None


def _typed(flag: str, raw: str, field: str) -> TextCommand:
    if field in INTEGER_FIELDS:
        if _INTEGER.fullmatch(raw):
            try:
                return TextCommand(flag, raw, field, int(raw))
            except ValueError:  # past Python's 4 300 digits
                pass
        return TextCommand(flag, raw, field, raw, "is not an integer")
    if field in BOOLEAN_FIELDS:
        if raw.lower() in ("true", "false"):
            return TextCommand(flag, raw, field, raw.lower() == "true")
        return TextCommand(flag, raw, field, raw, "is not true or false")
    return TextCommand(flag, raw, field, raw)


def read_commands(prompt: str) -> list[TextCommand]:
    """The commands of known flags in ``prompt``, in order (unknown flags are prompt text)."""
    flags = text_commands()
    found = []
    for flag, raw in _COMMAND.findall(prompt):
        field = flags.get(flag.lower())
        if field is not None:
            found.append(_typed(flag, raw, field))
    return found
