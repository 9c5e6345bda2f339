"""`boolean` and `enum` parsing: dictionary lookups on normalised text.

Decisions where the spec is silent:
- Boolean words are exactly true/false, yes/no, y/n, 1/0, on/off in any case (no t/f); number cells
  1 and 0 (also 1.0/0.0) are booleans, other numbers are `invalid_boolean`.
- Enum matching ignores case (casefold) and all whitespace ("Part time" = "parttime" = " PART TIME ");
  if two allowed values collide under that rule, the first one listed wins.
"""

from __future__ import annotations

from collections.abc import Sequence

from normalizer.values.cells import CellValue
from normalizer.values.columns import INVALID, Parsed, TextParser

BOOLEAN_WORDS: dict[str, bool] = {
    "true": True, "false": False,
    "yes": True, "no": False,
    "y": True, "n": False,
    "1": True, "0": False,
    "on": True, "off": False,
}  # fmt: skip


def parse_boolean_text(text: str) -> Parsed:
    """True/False for a boolean word (any case, surrounding whitespace ignored); None if blank."""
    word = text.strip().lower()
    flag = BOOLEAN_WORDS.get(word)
    if flag is not None:
        return flag
    return None if not word else INVALID


def parse_boolean_cell(value: CellValue) -> Parsed:
    """A bool cell as is, number cells 1/0 as True/False, anything else INVALID."""
    if type(value) is bool:
        return value
    if type(value) is int or type(value) is float:
        if value == 1:
            return True
        if value == 0:
            return False
        return INVALID
    if isinstance(value, str):
        return parse_boolean_text(str(value))
    return INVALID


def enum_key(text: str) -> str:
    """The comparison key for enum matching: no whitespace at all, casefolded."""
    return "".join(text.split()).casefold()


def enum_text_parser(allowed: Sequence[str]) -> TextParser:
    """A parser mapping any spelling of an allowed value to its canonical spelling; INVALID otherwise."""
    exact = {value: value for value in allowed}
    folded: dict[str, str] = {}
    for value in allowed:
        folded.setdefault(enum_key(value), value)

    def parse_enum_text(text: str) -> Parsed:
        canonical = exact.get(text)
        if canonical is None:
            canonical = folded.get(enum_key(text))
        return INVALID if canonical is None else canonical

    return parse_enum_text


def boolean_failure_message(value: CellValue) -> str:
    """Why a value is not a boolean, in one sentence."""
    return "Not a yes/no value (expected true/false, yes/no, y/n, 1/0 or on/off)."


def enum_failure_message(allowed: Sequence[str]) -> str:
    """The sentence for a value outside the enum, listing (up to 10 of) the allowed values."""
    shown = ", ".join(allowed[:10]) + (", …" if len(allowed) > 10 else "")
    return f"Not one of the allowed values: {shown}."
