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

from normalizer.config import FieldSpec, Settings
from normalizer.errors import EngineFailure
from normalizer.values.cells import CellValue, ValueIssue, issue_value_text
from normalizer.values.choices import (
    boolean_failure_message,
    enum_failure_message,
    enum_text_parser,
    parse_boolean_cell,
    parse_boolean_text,
)
from normalizer.values.columns import ColumnParser, Parsed, TextsParser, text_column_parser, typed_column_parser
from normalizer.values.contacts import (
    email_failure_message,
    parse_email_text,
    parse_email_texts,
    phone_failure_message,
    phone_texts_parser,
)
from normalizer.values.dates import (
    MONTH_FIRST,
    classify_date_text,
    classify_datetime_text,
    date_column_shortcut,
    date_failure_message,
    date_text_parser,
    datetime_failure_message,
    datetime_text_parser,
    forced_order_message,
    parse_date_cell,
    parse_datetime_cell,
)
from normalizer.values.dates import READING_NAMES as DATE_READINGS
from normalizer.values.numbers import (
    DECIMAL_COMMA,
    DECIMAL_POINT,
    classify_integer_text,
    classify_number_text,
    integer_column_shortcut,
    integer_failure_message,
    number_column_shortcut,
    number_failure_message,
    parse_integer_cell,
    parse_number_cell,
)
from normalizer.values.numbers import READING_NAMES as NUMBER_READINGS
from normalizer.values.readings import ColumnDecision, column_reader, decision_message, forced_message, forced_reader
from normalizer.values.transforms import TextTransform, compose_transforms, may_leave_blank_text, transform_steps
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
_DEFAULT_SETTINGS = Settings()


def write_kind(field: FieldSpec) -> WriteKind:
    """How the writer should write this field's parsed cells."""
    return _WRITE_KINDS[field.type]


_FAILURE_MESSAGES: dict[str, FailureMessage] = {
    "integer": integer_failure_message,
    "number": number_failure_message,
    "boolean": boolean_failure_message,
    "date": date_failure_message,
    "datetime": datetime_failure_message,
    "email": email_failure_message,
    "phone": phone_failure_message,
}


def _failure_message(field: FieldSpec) -> FailureMessage:
    """The message function for a value of this field's type that fails to parse."""
    if field.type == "enum":
        message = enum_failure_message(field.enum or [])
        return lambda _value: message
    return _FAILURE_MESSAGES.get(field.type, str)


def _each(parse_text: Callable[[str], Parsed]) -> TextsParser:
    return lambda texts: list(map(parse_text, texts))


def _text_reading(field: FieldSpec, settings: Settings) -> tuple[TextsParser, Callable[[str], str | None]]:
    """How an integer, number, date or datetime field's texts read, as the settings say: the column's
    texts parser, and the reason a text failed because of how the setting reads it (None: it did not)."""
    kind = field.type
    if kind in ("integer", "number"):
        classify = classify_integer_text if kind == "integer" else classify_number_text
        shortcut = integer_column_shortcut if kind == "integer" else number_column_shortcut
        separator = settings.decimal_separator
        if separator != "auto":
            reading = DECIMAL_POINT if separator == "." else DECIMAL_COMMA
            setting = f'settings.decimalSeparator is "{separator}"'
            return forced_reader(classify, reading, shortcut), forced_message(
                classify, reading, NUMBER_READINGS, setting
            )
        decision = ColumnDecision(DECIMAL_POINT, NUMBER_READINGS, "numbers", "settings.decimalSeparator")
        return column_reader(classify, decision, shortcut), decision_message(classify, decision)
    order = settings.date_order
    if order != "auto":
        parse_text = date_text_parser(order) if kind == "date" else datetime_text_parser(order)
        return _each(parse_text), forced_order_message(order)
    classify = classify_date_text if kind == "date" else classify_datetime_text
    decision = ColumnDecision(MONTH_FIRST, DATE_READINGS, "dates", "settings.dateOrder")
    reader = column_reader(classify, decision, date_column_shortcut if kind == "date" else None)
    return reader, decision_message(classify, decision)


def compile_column(field: FieldSpec, settings: Settings = _DEFAULT_SETTINGS) -> tuple[ColumnParser, FailureMessage]:
    """The column parser (transforms + type parsing, no validators) of a field, for one column, and the
    message function for the cells it fails. A column parser keeps state across chunks (`auto` readings,
    phone calling codes), so use one per column.

    Raises EngineFailure(CONFIGURATION_INVALID) for a `defaultRegion` libphonenumber does not know.
    """
    steps = transform_steps(field.transforms)
    check_blank = may_leave_blank_text(field.transforms)
    describe = _failure_message(field)
    kind = field.type
    if kind == "string":
        return text_column_parser(steps, None, check_blank), describe
    if kind == "email":
        return text_column_parser(steps, parse_email_text, check_blank, parse_email_texts), describe
    if kind == "phone":
        try:
            parse_phones = phone_texts_parser(settings.default_region)
        except ValueError as error:
            raise EngineFailure("CONFIGURATION_INVALID", f"settings.defaultRegion: {error}.", stage="prepare") from None
        return text_column_parser(steps, None, check_blank, parse_phones), describe
    if kind == "enum":
        return text_column_parser(steps, enum_text_parser(field.enum or []), check_blank), describe
    transform = compose_transforms(field.transforms)
    if kind == "boolean":
        return typed_column_parser(transform, _each(parse_boolean_text), parse_boolean_cell, check_blank), describe
    parse_cell = {
        "integer": parse_integer_cell,
        "number": parse_number_cell,
        "date": parse_date_cell,
        "datetime": parse_datetime_cell,
    }[kind]
    read_texts, reading_failure = _text_reading(field, settings)
    parser = typed_column_parser(transform, read_texts, parse_cell, check_blank)
    return parser, _first_reason(reading_failure, transform, describe)


def _first_reason(
    reading_failure: Callable[[str], str | None], transform: TextTransform | None, describe: FailureMessage
) -> FailureMessage:
    """The failure message of a column that reads dates or numbers: the reading's reason for a text
    that failed because of it (texts are read after the field's transforms), else the type's message."""

    def message(value: CellValue) -> str:
        if isinstance(value, str):
            reason = reading_failure(value if transform is None else transform(value))
            if reason is not None:
                return reason
        return describe(value)

    return message


def build_column_parser(field: FieldSpec, settings: Settings | None = None) -> ColumnParser:
    """The column parser (transforms + type parsing) for one column of a field; no validators.
    `settings` None: the defaults."""
    return compile_column(field, settings or _DEFAULT_SETTINGS)[0]


class FieldProcessor:
    """Transforms, parses and validates column chunks for one field of one output table.

    Built by `compile_field`; holds the `unique` seen-set across chunks, so use one per output table.
    """

    __slots__ = ("_checks", "_failure_code", "_failure_message", "_parse_column", "field")

    def __init__(self, field: FieldSpec, settings: Settings = _DEFAULT_SETTINGS) -> None:
        """Compile the field. Raises EngineFailure(CONFIGURATION_INVALID) for an unusable range or
        default region."""
        self.field = field
        self._parse_column, self._failure_message = compile_column(field, settings)
        self._failure_code = f"invalid_{field.type}"
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


def compile_field(field: FieldSpec, settings: Settings | None = None) -> FieldProcessor:
    """A processor for one field of one output table (see FieldProcessor), reading values as the
    configuration's `settings` say (None: the defaults, every setting `auto`).

    Raises EngineFailure(CONFIGURATION_INVALID) when a validator cannot apply to the field's type or
    `settings.defaultRegion` is not a region libphonenumber knows.
    """
    return FieldProcessor(field, settings or _DEFAULT_SETTINGS)
