"""How a column reads numeric dates and decimal marks: `dateOrder` and `decimalSeparator`, forced or
decided per column by `auto` from the column's unambiguous values (configuration spec, Settings)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from normalizer.config import FieldSpec, Settings
from normalizer.values import CellValue, FieldProcessor, compile_field

D = datetime.date


def column(field_type: str, **settings: Any) -> FieldProcessor:
    return compile_field(FieldSpec(name="f", type=field_type), Settings.model_validate(settings))


def run(processor: FieldProcessor, values: list[CellValue], first_row: int = 2) -> tuple[list[CellValue], list[str]]:
    output, issues, _valid = processor.process(values, range(first_row, first_row + len(values)))
    return output, [f"{issue.row}:{issue.code}" for issue in issues]


# -- dates, auto -----------------------------------------------------------------------------------


def test_a_day_first_only_date_makes_the_columns_ambiguous_dates_day_first() -> None:
    output, issues = run(column("date"), ["01/02/1975", "31/12/1980", "05/05/1990"])
    assert (output, issues) == ([D(1975, 2, 1), D(1980, 12, 31), D(1990, 5, 5)], [])


def test_a_month_first_only_date_makes_the_columns_ambiguous_dates_month_first() -> None:
    output, issues = run(column("date"), ["01/02/1975", "12/31/1980"])
    assert (output, issues) == ([D(1975, 1, 2), D(1980, 12, 31)], [])


def test_a_column_that_stays_ambiguous_is_month_first() -> None:
    output, issues = run(column("date"), ["01/02/1975", "03/04/1976"])
    assert (output, issues) == ([D(1975, 1, 2), D(1976, 3, 4)], [])


def test_dotted_dates_are_day_first_and_say_so_for_the_column() -> None:
    output, issues = run(column("date"), ["01.02.1975", "03/04/1976"])
    assert (output, issues) == ([D(1975, 2, 1), D(1976, 4, 3)], [])


def test_dashed_dates_follow_the_column_like_slashed_ones() -> None:
    output, issues = run(column("date"), ["01-02-1975", "31-12-80"])
    assert (output, issues) == ([D(1975, 2, 1), D(1980, 12, 31)], [])


def test_a_column_with_both_orders_turns_its_ambiguous_dates_into_issues_not_guesses() -> None:
    # Given day-first and month-first evidence in one column
    processor = column("date")
    output, issues, valid = processor.process(["31/12/1980", "01/02/1975", "12/31/1980"], [2, 3, 4])
    # Then the unambiguous dates read their one way and the ambiguous one is an issue, kept as text
    assert output == [D(1980, 12, 31), "01/02/1975", D(1980, 12, 31)]
    assert [(issue.row, issue.code, issue.message) for issue in issues] == [
        (
            3,
            "invalid_date",
            "Ambiguous: 1975-02-01 day-first or 1975-01-02 month-first, and this column has dates of both kinds; "
            "set settings.dateOrder to choose.",
        )
    ]
    assert valid == 2


def test_evidence_in_an_earlier_chunk_decides_a_later_chunks_ambiguous_dates() -> None:
    processor = column("date")
    assert run(processor, ["31/12/1980", "13/01/1990"]) == ([D(1980, 12, 31), D(1990, 1, 13)], [])
    assert run(processor, ["01/02/1975"], first_row=600) == ([D(1975, 2, 1)], [])


def test_evidence_later_in_the_same_chunk_decides_its_earlier_ambiguous_dates() -> None:
    assert run(column("date"), ["01/02/1975", *[None] * 400, "31/12/1980"])[0][0] == D(1975, 2, 1)


def test_a_later_date_that_contradicts_the_columns_reading_is_an_issue_not_a_reinterpretation() -> None:
    # Given a first chunk whose ambiguous dates were read month-first (no evidence yet)
    processor = column("date")
    assert run(processor, ["01/02/1975"]) == ([D(1975, 1, 2)], [])
    # When a later chunk holds a date that can only be day-first
    output, issues, _valid = processor.process(["31/12/1980", "03/04/1976"], [90_000, 90_001])
    # Then that date is an issue saying why, and the column keeps reading month-first
    assert output == ["31/12/1980", D(1976, 3, 4)]
    assert [(issue.row, issue.message) for issue in issues] == [
        (
            90_000,
            "Can only be read day-first (1980-12-31), but this column's ambiguous dates were already read "
            "month-first; set settings.dateOrder to choose.",
        )
    ]


def test_unambiguous_dates_of_both_orders_read_their_one_way_while_nothing_is_ambiguous() -> None:
    output, issues = run(column("date"), ["31/12/1980", "12/31/1980", "05/05/1990"])
    assert (output, issues) == ([D(1980, 12, 31), D(1980, 12, 31), D(1990, 5, 5)], [])


def test_each_processor_decides_for_its_own_column() -> None:
    day_first, month_first = column("date"), column("date")
    run(day_first, ["31/12/1980"])
    run(month_first, ["12/31/1980"])
    assert run(day_first, ["01/02/1975"])[0] == [D(1975, 2, 1)]
    assert run(month_first, ["01/02/1975"])[0] == [D(1975, 1, 2)]


def test_datetime_columns_decide_the_same_way() -> None:
    output, issues = run(column("datetime"), ["01/02/1975 08:30", "31/12/1980 23:59:59"])
    assert output == [datetime.datetime(1975, 2, 1, 8, 30), datetime.datetime(1980, 12, 31, 23, 59, 59)]
    assert issues == []


def test_date_cells_and_iso_text_carry_no_evidence_and_are_never_ambiguous() -> None:
    output, issues = run(column("date"), [D(1980, 12, 31), "1975-02-01", 45352, "01/02/1975"])
    assert (output, issues) == ([D(1980, 12, 31), D(1975, 2, 1), D(2024, 3, 1), D(1975, 1, 2)], [])


# -- dates, forced -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order", "text", "expected"),
    [
        ("DMY", "01/02/1975", D(1975, 2, 1)),
        ("DMY", "01.02.1975", D(1975, 2, 1)),
        ("DMY", "31-12-80", D(1980, 12, 31)),
        ("MDY", "01/02/1975", D(1975, 1, 2)),
        ("MDY", "01.02.1975", D(1975, 1, 2)),
        ("MDY", "12/31/1980", D(1980, 12, 31)),
        ("YMD", "75/02/01", D(1975, 2, 1)),
        ("YMD", "1975/02/01", D(1975, 2, 1)),
        ("DMY", "1975-02-01", D(1975, 2, 1)),
        ("MDY", "1 Feb 1975", D(1975, 2, 1)),
    ],
)
def test_a_forced_date_order_reads_every_numeric_date_that_way(order: str, text: str, expected: D) -> None:
    assert run(column("date", dateOrder=order), [text]) == ([expected], [])


@pytest.mark.parametrize(
    ("order", "text"), [("DMY", "12/31/1980"), ("MDY", "31/12/1980"), ("MDY", "31.12.1980"), ("YMD", "01/02/1975")]
)
def test_a_date_that_does_not_exist_in_the_forced_order_is_invalid(order: str, text: str) -> None:
    assert run(column("date", dateOrder=order), [text]) == ([text], ["2:invalid_date"])


def test_a_forced_order_never_conflicts() -> None:
    output, issues = run(column("date", dateOrder="DMY"), ["01/02/1975", "31/12/1980", "03/04/1976"])
    assert (output, issues) == ([D(1975, 2, 1), D(1980, 12, 31), D(1976, 4, 3)], [])


# -- numbers, auto -----------------------------------------------------------------------------------


def test_a_decimal_comma_makes_the_columns_ambiguous_numbers_comma_numbers() -> None:
    output, issues = run(column("number"), ["1.234", "1.234,56", "12,5"])
    assert (output, issues) == ([1234.0, 1234.56, 12.5], [])


def test_a_decimal_point_makes_the_columns_ambiguous_numbers_point_numbers() -> None:
    output, issues = run(column("number"), ["1,234", "1.234", "1,234.56"])
    assert (output, issues) == ([1234.0, 1.234, 1234.56], [])


def test_a_lone_comma_group_is_a_thousands_separator() -> None:
    assert run(column("number"), ["1,234", "12,345,678"]) == ([1234.0, 12345678.0], [])


def test_a_number_column_with_both_marks_turns_its_ambiguous_numbers_into_issues() -> None:
    processor = column("number")
    output, issues, _valid = processor.process(["12,5", "1.234", "7.5"], [2, 3, 4])
    assert output == [12.5, "1.234", 7.5]
    assert [(issue.row, issue.code, issue.message) for issue in issues] == [
        (
            3,
            "invalid_number",
            "Ambiguous: 1234 with a decimal comma or 1.234 with a decimal point, and this column has numbers of "
            "both kinds; set settings.decimalSeparator to choose.",
        )
    ]


def test_a_later_number_that_contradicts_the_columns_reading_is_an_issue() -> None:
    processor = column("number")
    assert run(processor, ["1,234"]) == ([1234.0], [])
    output, issues = run(processor, ["12,5"], first_row=700)
    assert (output, issues) == (["12,5"], ["700:invalid_number"])


def test_space_and_apostrophe_groups_read_the_same_either_way_and_decide_nothing() -> None:
    output, issues = run(column("number"), ["1 234", "1'234", "1\u202f234", "1,234"])
    assert (output, issues) == ([1234.0, 1234.0, 1234.0, 1234.0], [])


def test_an_integer_column_reads_grouping_by_the_same_rule() -> None:
    assert run(column("integer"), ["1.234", "2.000.000"]) == ([1234, 2000000], [])
    assert run(column("integer"), ["1.234"]) == (["1.234"], ["2:invalid_integer"])


# -- numbers, forced ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("separator", "text", "expected"),
    [
        (",", "1.234", 1234.0),
        (",", "1,234", 1.234),
        (",", "1 234,5 €", 1234.5),
        (".", "1.234", 1.234),
        (".", "1,234", 1234.0),
        (".", "CHF 1'234.50", 1234.5),
    ],
)
def test_a_forced_decimal_separator_reads_every_number_that_way(separator: str, text: str, expected: float) -> None:
    assert run(column("number", decimalSeparator=separator), [text]) == ([expected], [])


@pytest.mark.parametrize(("separator", "text"), [(",", "1,234.5"), (",", "12.5"), (".", "1.234,5"), (".", "12,5")])
def test_a_number_that_only_reads_the_other_way_is_invalid_when_forced(separator: str, text: str) -> None:
    assert run(column("number", decimalSeparator=separator), [text]) == ([text], ["2:invalid_number"])


def test_a_chunk_of_iso_dates_with_one_before_1900_reads_the_others_and_flags_that_one() -> None:
    output, issues = run(column("date"), ["1975-02-01", "1899-12-31", "2024-02-29"])
    assert (output, issues) == ([D(1975, 2, 1), "1899-12-31", D(2024, 2, 29)], ["3:invalid_date"])


def test_a_chunk_of_iso_dates_with_a_day_that_does_not_exist_flags_only_that_one() -> None:
    output, issues = run(column("date"), ["1975-02-01", "2023-02-29"])
    assert (output, issues) == ([D(1975, 2, 1), "2023-02-29"], ["3:invalid_date"])


def test_an_issue_under_a_forced_order_says_how_the_date_would_read_otherwise() -> None:
    processor = column("date", dateOrder="DMY")
    _output, issues, _valid = processor.process(["12/31/1980", "31/31/1980"], [2, 3])
    assert [(issue.row, issue.message) for issue in issues] == [
        (2, "Not a date in the order DMY that settings.dateOrder sets; MDY it would be 1980-12-31."),
        (3, "Not a recognised date (e.g. 2024-03-01, 03/01/2024, 1 Mar 2024)."),
    ]


def test_an_issue_under_a_forced_separator_says_how_the_number_reads() -> None:
    processor = column("number", decimalSeparator=",")
    _output, issues, _valid = processor.process(["1,234.5"], [2])
    assert [issue.message for issue in issues] == [
        'Can only be read with a decimal point (1234.5), but settings.decimalSeparator is ",".'
    ]
