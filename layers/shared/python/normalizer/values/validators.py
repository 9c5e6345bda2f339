"""Column-wise validators run after parsing: pattern, range, length, unique, oneOf.

Every check sees the parsed output column and the indices to skip (cells that failed to parse);
it ignores empty (None) cells and returns (index, message) for each cell that fails.

Decisions where the spec is silent:
- pattern/length/oneOf look at the text form of the *parsed* value (`cell_text`: numbers as
  "42"/"3.5", dates as ISO, booleans TRUE/FALSE); patterns use `re.search` (unanchored, as in JSON
  Schema): write ^…$ to match the whole value.
- range applies to integer/number fields (bounds: numbers or numeric text) and date/datetime fields
  (bounds: ISO or any accepted date text). A range on another type, or an unusable bound, is a
  configuration error (`EngineFailure("CONFIGURATION_INVALID", stage="prepare")` from compile_field).
- unique compares parsed values (so "1,000" and 1000 in an integer field are duplicates); the first
  occurrence is fine, every later one is a `duplicate`. The seen-set lives as long as the check.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass

from normalizer.config import (
    FieldSpec,
    LengthValidator,
    OneOfValidator,
    PatternValidator,
    RangeValidator,
    UniqueValidator,
)
from normalizer.errors import EngineFailure
from normalizer.values.cells import CellValue, cell_text
from normalizer.values.choices import enum_failure_message
from normalizer.values.dates import bound_date, bound_datetime
from normalizer.values.numbers import parse_number_text

Failures = list[tuple[int, str]]
CheckRun = Callable[[list[CellValue], Container[int]], Failures]
_SHOWN_PATTERN_CHARS = 100


@dataclass(frozen=True, slots=True)
class Check:
    """One compiled validator: the issue code it reports and the column function that runs it."""

    code: str
    run: CheckRun


def _text_of(values_are_text: bool) -> Callable[[object], str]:
    return str if values_are_text else cell_text


def pattern_check(pattern: str, values_are_text: bool) -> Check:
    """`pattern`: the value's text must contain a match of the regex."""
    search = re.compile(pattern).search
    text_of = _text_of(values_are_text)
    shown = pattern if len(pattern) <= _SHOWN_PATTERN_CHARS else pattern[: _SHOWN_PATTERN_CHARS - 1] + "…"
    message = f"Does not match the pattern {shown}."

    def run(column: list[CellValue], skip: Container[int]) -> Failures:
        return [
            (index, message)
            for index, value in enumerate(column)
            if value is not None and index not in skip and search(text_of(value)) is None
        ]

    return Check("pattern", run)


def _configuration_error(field: FieldSpec, message: str) -> EngineFailure:
    return EngineFailure("CONFIGURATION_INVALID", f"Field '{field.name}': {message}", stage="prepare")


def _range_bound(field: FieldSpec, bound: float | str | None) -> float | datetime.date | None:
    if bound is None:
        return None
    if field.type in ("integer", "number"):
        number = bound if isinstance(bound, float | int) else parse_number_text(bound)
        if number is None or number != number:
            raise _configuration_error(field, f"range bound {bound} is not a number.")
        return number
    if field.type in ("date", "datetime") and isinstance(bound, str):
        moment = bound_date(bound) if field.type == "date" else bound_datetime(bound)
        if moment is None:
            raise _configuration_error(field, f"range bound {bound} is not a date.")
        return moment
    if field.type in ("date", "datetime"):
        raise _configuration_error(field, "range bounds for dates must be ISO date strings.")
    raise _configuration_error(field, f"a range check needs a number or date field, not {field.type}.")


def range_check(field: FieldSpec, validator: RangeValidator) -> Check:
    """`out_of_range`: numbers and dates must lie within [min, max] (either bound optional)."""
    low = _range_bound(field, validator.min)
    high = _range_bound(field, validator.max)
    is_date = field.type in ("date", "datetime")
    too_low = f"Earlier than {cell_text(low)}." if is_date else f"Less than the minimum {cell_text(low)}."
    too_high = f"Later than {cell_text(high)}." if is_date else f"More than the maximum {cell_text(high)}."

    def run(column: list[CellValue], skip: Container[int]) -> Failures:
        failures: Failures = []
        for index, value in enumerate(column):
            if value is None or index in skip:
                continue
            if low is not None and value < low:  # type: ignore[operator]
                failures.append((index, too_low))
            elif high is not None and value > high:  # type: ignore[operator]
                failures.append((index, too_high))
        return failures

    return Check("out_of_range", run)


def _characters(count: int) -> str:
    return f"{count} character" if count == 1 else f"{count} characters"


def length_check(validator: LengthValidator, values_are_text: bool) -> Check:
    """`length`: the value's text length must lie within [min, max] (either bound optional)."""
    low = validator.min if validator.min is not None else 0
    high = validator.max
    text_of = _text_of(values_are_text)
    too_short = f"Shorter than {_characters(low)}."
    too_long = f"Longer than {_characters(high or 0)}."

    def run(column: list[CellValue], skip: Container[int]) -> Failures:
        failures: Failures = []
        for index, value in enumerate(column):
            if value is None or index in skip:
                continue
            length = len(text_of(value))
            if length < low:
                failures.append((index, too_short))
            elif high is not None and length > high:
                failures.append((index, too_long))
        return failures

    return Check("length", run)


def unique_check() -> Check:
    """`duplicate`: every repeat of a value seen before (in any earlier chunk too) is an issue."""
    seen: set[CellValue] = set()
    message = "Duplicate of a value earlier in this table."

    def run(column: list[CellValue], skip: Container[int]) -> Failures:
        failures: Failures = []
        add = seen.add
        for index, value in enumerate(column):
            if value is None or index in skip:
                continue
            if value in seen:
                failures.append((index, message))
            else:
                add(value)
        return failures

    return Check("duplicate", run)


def one_of_check(validator: OneOfValidator, values_are_text: bool) -> Check:
    """`not_one_of`: the value's text must be exactly (case-sensitively) one of the listed values."""
    allowed = frozenset(validator.values)
    text_of = _text_of(values_are_text)
    message = enum_failure_message(validator.values)

    def run(column: list[CellValue], skip: Container[int]) -> Failures:
        return [
            (index, message)
            for index, value in enumerate(column)
            if value is not None and index not in skip and text_of(value) not in allowed
        ]

    return Check("not_one_of", run)


def compile_checks(field: FieldSpec, values_are_text: bool) -> Sequence[Check]:
    """The field's valuePattern (if any) then its validators, in configuration order, compiled.

    Raises EngineFailure(CONFIGURATION_INVALID) for a range the field's type cannot use.
    """
    checks: list[Check] = []
    if field.value_pattern is not None:
        checks.append(pattern_check(field.value_pattern, values_are_text))
    for validator in field.validators:
        if isinstance(validator, PatternValidator):
            checks.append(pattern_check(validator.pattern, values_are_text))
        elif isinstance(validator, RangeValidator):
            checks.append(range_check(field, validator))
        elif isinstance(validator, LengthValidator):
            checks.append(length_check(validator, values_are_text))
        elif isinstance(validator, UniqueValidator):
            checks.append(unique_check())
        elif isinstance(validator, OneOfValidator):
            checks.append(one_of_check(validator, values_are_text))
    return checks
