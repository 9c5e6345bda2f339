"""Compile a field once into a `FieldProcessor` that transforms, parses and validates column chunks.

Rules beyond the per-type modules:
- Transforms run first. Text cells always get them; non-text cells (numbers, dates, booleans) get
  them on their text form only for the text types (string, email, phone, enum) and otherwise pass
  straight to the type's parser.
- Empty cells (None, "" or whitespace-only after transforms) become None; they are a `required`
  issue only for a required field and never count as valid.
- A cell that fails to parse keeps its original value as text (before transforms) and gets one issue
  with the type's code; validators do not run on it.
- valid_cell_count = non-empty cells that parsed and passed every validator.
- Issues of one chunk come out ordered by row; within a row: parse/required first, then the
  valuePattern, then validators in configuration order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from normalizer.config import FieldSpec
from normalizer.values.cells import CellValue, ValueIssue, issue_value_text
from normalizer.values.choices import (
    boolean_failure_message,
    enum_failure_message,
    enum_text_parser,
    parse_boolean_cell,
    parse_boolean_text,
)
from normalizer.values.columns import ColumnParser, text_column_parser, typed_column_parser
from normalizer.values.contacts import (
    email_failure_message,
    parse_email_text,
    parse_email_texts,
    parse_phone_text,
    parse_phone_texts,
    phone_failure_message,
)
from normalizer.values.dates import (
    date_failure_message,
    datetime_failure_message,
    parse_date_cell,
    parse_date_text,
    parse_datetime_cell,
    parse_datetime_text,
)
from normalizer.values.numbers import (
    integer_failure_message,
    number_failure_message,
    parse_integer_cell,
    parse_integer_text_or_invalid,
    parse_number_cell,
    parse_number_text_or_invalid,
)
from normalizer.values.transforms import compose_transforms, may_leave_blank_text, transform_steps
from normalizer.values.validators import Check, compile_checks

WriteKind = Literal["text", "number", "boolean", "date", "datetime"]
FailureMessage = Callable[[CellValue], str]

TEXT_TYPES = frozenset({"string", "email", "phone", "enum"})
_WRITE_KINDS: dict[str, WriteKind] = {
    "string": "text", "email": "text", "phone": "text", "enum": "text",
    "integer": "number", "number": "number",
    "boolean": "boolean", "date": "date", "datetime": "datetime",
}  # fmt: skip
_REQUIRED_MESSAGE = "A value is required."


def write_kind(field: FieldSpec) -> WriteKind:
    """How the writer should write this field's parsed cells."""
    return _WRITE_KINDS[field.type]


def _failure(field: FieldSpec) -> tuple[str, FailureMessage]:
    """The issue code and message function for a value of this field's type that fails to parse."""
    if field.type == "enum":
        message = enum_failure_message(field.enum or [])
        return "invalid_enum", lambda _value: message
    messages: dict[str, FailureMessage] = {
        "integer": integer_failure_message,
        "number": number_failure_message,
        "boolean": boolean_failure_message,
        "date": date_failure_message,
        "datetime": datetime_failure_message,
        "email": email_failure_message,
        "phone": phone_failure_message,
    }
    return f"invalid_{field.type}", messages.get(field.type, str)


def build_column_parser(field: FieldSpec) -> ColumnParser:
    """The column parser (transforms + type parsing) for a field; no validators."""
    steps = transform_steps(field.transforms)
    check_blank = may_leave_blank_text(field.transforms)
    kind = field.type
    if kind == "string":
        return text_column_parser(steps, None, check_blank)
    if kind == "email":
        return text_column_parser(steps, parse_email_text, check_blank, parse_email_texts)
    if kind == "phone":
        return text_column_parser(steps, parse_phone_text, check_blank, parse_phone_texts)
    if kind == "enum":
        return text_column_parser(steps, enum_text_parser(field.enum or []), check_blank)
    transform = compose_transforms(field.transforms)
    if kind == "integer":
        return typed_column_parser(transform, parse_integer_text_or_invalid, parse_integer_cell, check_blank)
    if kind == "number":
        return typed_column_parser(transform, parse_number_text_or_invalid, parse_number_cell, check_blank)
    if kind == "boolean":
        return typed_column_parser(transform, parse_boolean_text, parse_boolean_cell, check_blank)
    if kind == "date":
        return typed_column_parser(transform, parse_date_text, parse_date_cell, check_blank)
    return typed_column_parser(transform, parse_datetime_text, parse_datetime_cell, check_blank)


class FieldProcessor:
    """Transforms, parses and validates column chunks for one field of one output table.

    Built by `compile_field`; holds the `unique` seen-set across chunks, so use one per output table.
    """

    __slots__ = ("_checks", "_failure_code", "_failure_message", "_parse_column", "field")

    def __init__(self, field: FieldSpec) -> None:
        """Compile the field. Raises EngineFailure(CONFIGURATION_INVALID) for an unusable range."""
        self.field = field
        self._parse_column = build_column_parser(field)
        self._failure_code, self._failure_message = _failure(field)
        self._checks: Sequence[Check] = compile_checks(field, field.type in TEXT_TYPES)

    def process(
        self, values: list[CellValue], row_numbers: Sequence[int] | range
    ) -> tuple[list[CellValue], list[ValueIssue], int]:
        """Transform, parse and validate one column chunk; never raises on any cell value.

        Returns (output values in input order, issues ordered by row, valid cell count). Output values
        are parsed values, None for empty cells, or the original value as text when parsing failed.
        `row_numbers[i]` is the 1-based Excel row of `values[i]`.
        """
        output, failed = self._parse_column(values)
        name = self.field.name
        issues: list[ValueIssue] = []
        if failed:
            code, describe = self._failure_code, self._failure_message
            issues.extend(
                ValueIssue(row_numbers[index], name, issue_value_text(values[index]), code, describe(values[index]))
                for index in failed
            )
        empty_count = output.count(None)
        if empty_count and self.field.required:
            issues.extend(
                ValueIssue(row_numbers[index], name, issue_value_text(values[index]), "required", _REQUIRED_MESSAGE)
                for index, value in enumerate(output)
                if value is None
            )
        invalid_count = len(failed)
        if self._checks:
            skip = frozenset(failed)
            rejected: set[int] = set()
            for check in self._checks:
                failures = check.run(output, skip)
                for index, message in failures:
                    issues.append(
                        ValueIssue(row_numbers[index], name, issue_value_text(values[index]), check.code, message)
                    )
                    rejected.add(index)
            invalid_count += len(rejected)
        if len(issues) > 1 and (self._checks or (failed and empty_count and self.field.required)):
            issues.sort(key=_issue_row)  # stable: keeps parse/required before validator issues
        return output, issues, len(output) - empty_count - invalid_count


def _issue_row(issue: ValueIssue) -> int:
    return issue.row


def compile_field(field: FieldSpec) -> FieldProcessor:
    """A processor for one field of one output table (see FieldProcessor).

    Raises EngineFailure(CONFIGURATION_INVALID) when a validator cannot apply to the field's type.
    """
    return FieldProcessor(field)
