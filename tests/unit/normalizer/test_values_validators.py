"""Validators, required, issue records, valid counts and the unique check across chunks."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from normalizer.config import FieldSpec
from normalizer.errors import EngineFailure
from normalizer.values import CellValue, FieldProcessor, ValueIssue, compile_field


def processor(field_type: str = "string", **spec: Any) -> FieldProcessor:
    return compile_field(FieldSpec.model_validate({"name": "f", "type": field_type, **spec}))


def run(
    proc: FieldProcessor, values: list[CellValue], first_row: int = 2
) -> tuple[list[CellValue], list[ValueIssue], int]:
    return proc.process(values, range(first_row, first_row + len(values)))


def codes_by_row(issues: list[ValueIssue]) -> list[tuple[int, str]]:
    return [(issue.row, issue.code) for issue in issues]


def test_required_field_reports_each_empty_cell() -> None:
    output, issues, valid = run(processor(required=True), ["a", None, "", "  ", "b"])
    assert output == ["a", None, None, None, "b"]
    assert codes_by_row(issues) == [(3, "required"), (4, "required"), (5, "required")]
    assert issues[0].message == "A value is required."
    assert valid == 2


def test_optional_field_ignores_empty_cells_but_does_not_count_them_valid() -> None:
    _output, issues, valid = run(processor(), ["a", None, ""])
    assert issues == []
    assert valid == 1


def test_value_pattern_is_a_validator_on_the_parsed_text() -> None:
    proc = processor("phone", valuePattern=r"^\+44")
    output, issues, valid = run(proc, ["+44 20 7946 0958", "020 7946 0958"])
    assert output == ["+442079460958", "02079460958"]
    assert codes_by_row(issues) == [(3, "pattern")]
    assert issues[0].message == r"Does not match the pattern ^\+44."
    assert valid == 1


def test_pattern_validator_searches_unanchored() -> None:
    proc = processor(validators=[{"kind": "pattern", "pattern": "[0-9]"}])
    _output, issues, _valid = run(proc, ["ab1", "abc"])
    assert codes_by_row(issues) == [(3, "pattern")]


@pytest.mark.parametrize(
    ("field_type", "bounds", "values", "bad_rows"),
    [
        ("integer", {"min": 10, "max": 100}, [9, 10, 100, 101], [2, 5]),
        ("number", {"min": "0.5"}, [0.4, "0.5", 1e9], [2]),
        ("number", {"max": -1}, [-1, -0.5], [3]),
        (
            "date",
            {"min": "2024-01-01", "max": "2024-12-31"},
            ["2023-12-31", datetime.date(2024, 6, 1), "12/31/2024", "2025-01-01"],
            [2, 5],
        ),
        ("datetime", {"max": "2024-01-01T12:00"}, ["2024-01-01 12:00", "2024-01-01 12:01"], [3]),
    ],
)
def test_range_checks_numbers_and_dates_against_both_bounds(
    field_type: str, bounds: dict[str, Any], values: list[CellValue], bad_rows: list[int]
) -> None:
    proc = processor(field_type, validators=[{"kind": "range", **bounds}])
    _output, issues, valid = run(proc, values)
    assert [issue.row for issue in issues] == bad_rows
    assert {issue.code for issue in issues} <= {"out_of_range"}
    assert valid == len(values) - len(bad_rows)


def test_range_messages_name_the_bound() -> None:
    _o, number_issues, _v = run(processor("integer", validators=[{"kind": "range", "min": 1, "max": 9}]), [0, 10])
    assert [issue.message for issue in number_issues] == [
        "Less than the minimum 1.",
        "More than the maximum 9.",
    ]
    _o, date_issues, _v = run(processor("date", validators=[{"kind": "range", "min": "2024-01-01"}]), ["2023-01-01"])
    assert date_issues[0].message == "Earlier than 2024-01-01."


@pytest.mark.parametrize(
    ("field_type", "bounds"),
    [("string", {"min": 1}), ("integer", {"min": "ten"}), ("date", {"min": "someday"}), ("date", {"min": 5})],
)
def test_range_that_cannot_apply_is_a_configuration_error(field_type: str, bounds: dict[str, Any]) -> None:
    with pytest.raises(EngineFailure) as failure:
        processor(field_type, validators=[{"kind": "range", **bounds}])
    assert failure.value.code == "CONFIGURATION_INVALID"


def test_length_counts_characters_of_the_text_form() -> None:
    proc = processor(validators=[{"kind": "length", "min": 2, "max": 3}])
    _output, issues, valid = run(proc, ["a", "ab", "abc", "abcd", 12345.0])
    assert codes_by_row(issues) == [(2, "length"), (5, "length"), (6, "length")]
    assert [issue.message for issue in issues] == [
        "Shorter than 2 characters.",
        "Longer than 3 characters.",
        "Longer than 3 characters.",
    ]
    assert valid == 2


def test_one_of_is_case_sensitive_after_transforms() -> None:
    proc = processor(transforms=["trim", "upper"], validators=[{"kind": "oneOf", "values": ["GOLD", "SILVER"]}])
    output, issues, _valid = run(proc, [" gold ", "Silver", "bronze", "Gold"])
    assert output == ["GOLD", "SILVER", "BRONZE", "GOLD"]
    assert codes_by_row(issues) == [(4, "not_one_of")]
    assert issues[0].message == "Not one of the allowed values: GOLD, SILVER."

    case_sensitive = processor(validators=[{"kind": "oneOf", "values": ["Gold"]}])
    _output, issues, _valid = run(case_sensitive, ["gold"])
    assert codes_by_row(issues) == [(2, "not_one_of")]


def test_unique_flags_every_repeat_after_the_first_occurrence() -> None:
    proc = processor(validators=[{"kind": "unique"}])
    _output, issues, valid = run(proc, ["a", "b", "a", "a", None, None])
    assert codes_by_row(issues) == [(4, "duplicate"), (5, "duplicate")]
    assert issues[0].message == "Duplicate of a value earlier in this table."
    assert valid == 2


def test_unique_remembers_values_across_chunks_of_one_processor() -> None:
    proc = processor("integer", validators=[{"kind": "unique"}])
    _o, first_issues, _v = run(proc, [1, 2, 3], first_row=2)
    _o, second_issues, valid = run(proc, ["3", 4.0, "1,000", 1000], first_row=5)
    assert first_issues == []
    assert codes_by_row(second_issues) == [(5, "duplicate"), (8, "duplicate")]
    assert valid == 2


def test_unique_state_is_per_processor() -> None:
    field = FieldSpec.model_validate({"name": "f", "validators": [{"kind": "unique"}]})
    _o, _i, _v = compile_field(field).process(["a"], [2])
    _o, issues, _v = compile_field(field).process(["a"], [2])
    assert issues == []


def test_validators_skip_values_that_failed_to_parse() -> None:
    proc = processor("integer", validators=[{"kind": "range", "min": 0}, {"kind": "unique"}])
    _output, issues, valid = run(proc, ["x", "x", -1])
    assert codes_by_row(issues) == [(2, "invalid_integer"), (3, "invalid_integer"), (4, "out_of_range")]
    assert valid == 0


def test_issues_are_ordered_by_row_with_validators_in_configuration_order() -> None:
    proc = processor(
        "integer",
        required=True,
        valuePattern="^[0-9]+$",
        validators=[{"kind": "unique"}, {"kind": "range", "max": 5}],
    )
    _output, issues, valid = run(proc, [7, None, "bad", 7, -1])
    assert codes_by_row(issues) == [
        (2, "out_of_range"),
        (3, "required"),
        (4, "invalid_integer"),
        (5, "duplicate"),
        (5, "out_of_range"),
        (6, "pattern"),
    ]
    assert valid == 0


def test_a_cell_failing_several_validators_counts_once_as_invalid() -> None:
    proc = processor(validators=[{"kind": "length", "max": 1}, {"kind": "oneOf", "values": ["a"]}])
    _output, issues, valid = run(proc, ["abc", "a"])
    assert len(issues) == 2
    assert valid == 1


def test_issue_records_row_field_original_value_and_error_severity() -> None:
    field = FieldSpec(name="joined", type="date", transforms=["trim", "upper"])
    _output, issues, _valid = compile_field(field).process(["  not a date "], [41])
    assert issues == [
        ValueIssue(
            row=41,
            field="joined",
            value="  not a date ",
            code="invalid_date",
            message="Not a recognised date (e.g. 2024-03-01, 03/01/2024, 1 Mar 2024).",
        )
    ]
    assert issues[0].severity == "error"


def test_issue_value_is_truncated_to_200_characters() -> None:
    _output, issues, _valid = run(processor("email"), ["x" * 1000])
    assert len(issues[0].value) == 200
    assert issues[0].value.endswith("…")


def test_failed_values_are_written_unchanged_as_text() -> None:
    output, _issues, _valid = run(processor("number"), [" twelve ", datetime.date(2024, 1, 2), float("nan")])
    assert output == [" twelve ", "2024-01-02", "nan"]


def test_row_numbers_may_be_any_sequence() -> None:
    _output, issues, _valid = processor("integer").process(["a", 1, "b"], [10, 20, 35])
    assert [issue.row for issue in issues] == [10, 35]
