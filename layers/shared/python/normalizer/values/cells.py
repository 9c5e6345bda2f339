"""Cell values as the reader delivers them, their text form, and the issue record for one cell.

`cell_text` is the one definition of "the text form of a cell" used everywhere in value
processing: for string-typed output, for pattern/length/oneOf checks and for issue values.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Literal, cast

CellValue = str | int | float | bool | datetime.date | datetime.datetime | datetime.time | datetime.timedelta | None

ISSUE_VALUE_MAX_CHARS = 200
# Whole floats below this print as integers ("42", not "42.0"); beyond it ".15g" gives exponent form.
_WHOLE_FLOAT_AS_INT_LIMIT = 1e16


@dataclass(slots=True)
class ValueIssue:
    """One problem with one cell: where it is, what it held and what is wrong with it."""

    row: int
    field: str
    value: str
    code: str
    message: str
    severity: Literal["error"] = "error"


def float_text(value: float) -> str:
    """Text of a float as a spreadsheet shows it: 42.0 → "42", 3.5 → "3.5", 15 significant digits."""
    if value.is_integer() and -_WHOLE_FLOAT_AS_INT_LIMIT < value < _WHOLE_FLOAT_AS_INT_LIMIT:
        return str(int(value))
    return format(value, ".15g")


def int_text(value: int) -> str:
    """Decimal text of an int; hex for ints too long for Python's decimal conversion limit."""
    try:
        return str(value)
    except ValueError:
        # Over ~4300 digits int→str raises (CVE-2020-10735 limit); hex has no such limit.
        return hex(value)


def cell_text(value: object) -> str:
    """The text form of any cell value; never raises.

    None → "", str → itself, bool → "TRUE"/"FALSE" (as Excel shows them), int/float → `int_text`/
    `float_text`, date/datetime/time → ISO 8601 (datetime with a space separator), timedelta → str().
    """
    kind = type(value)
    if kind is str:
        return value  # type: ignore[return-value]
    if value is None:
        return ""
    if kind is float:
        return float_text(value)  # type: ignore[arg-type]
    if kind is int:
        return int_text(value)  # type: ignore[arg-type]
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int_text(int(value))
    if isinstance(value, float):
        return float_text(float(value))
    try:
        return str(value)
    except Exception:  # a foreign object with a broken __str__ must not stop the run
        return f"<{type(value).__name__}>"


_TEXT_OR_NONE = frozenset({str, type(None)})


def column_texts(values: list[CellValue]) -> list[str]:
    """`[cell_text(value) for value in values]` as a new list, at C speed for the common columns: all
    text (None among it) and all whole numbers held as floats (how xlsx stores every number).
    """
    kinds = set(map(type, values))
    if kinds == {str}:
        return list(cast(list[str], values))
    if kinds <= _TEXT_OR_NONE:
        return ["" if value is None else cast(str, value) for value in values]
    if kinds == {float}:
        numbers = cast(list[float], values)
        if (
            all(map(float.is_integer, numbers))
            and -_WHOLE_FLOAT_AS_INT_LIMIT < min(numbers) <= max(numbers) < _WHOLE_FLOAT_AS_INT_LIMIT
        ):
            # what float_text gives whole floats: "%d" formats int(value) ("0" for -0.0 too)
            return list(map("%d".__mod__, numbers))
    return list(map(cell_text, values))


def issue_value_text(value: object) -> str:
    """`cell_text` truncated to ISSUE_VALUE_MAX_CHARS characters (with a trailing ellipsis)."""
    text = cell_text(value)
    if len(text) > ISSUE_VALUE_MAX_CHARS:
        return text[: ISSUE_VALUE_MAX_CHARS - 1] + "…"
    return text
