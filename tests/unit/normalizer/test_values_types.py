"""Type parsing: every accepted and rejected form from the configuration spec's type table."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from normalizer.config import FieldSpec, Settings
from normalizer.errors import EngineFailure
from normalizer.values import CellValue, compile_field

D = datetime.date
DT = datetime.datetime


def process_one(field_type: str, value: CellValue, **spec: Any) -> tuple[CellValue, list[str]]:
    field = FieldSpec.model_validate({"name": "f", "type": field_type, **spec})
    output, issues, _valid = compile_field(field).process([value], [2])
    return output[0], [issue.code for issue in issues]


def assert_accepts(field_type: str, value: CellValue, expected: CellValue, **spec: Any) -> None:
    output, codes = process_one(field_type, value, **spec)
    assert codes == []
    assert output == expected
    assert type(output) is type(expected)


def assert_rejects(field_type: str, value: CellValue, **spec: Any) -> None:
    output, codes = process_one(field_type, value, **spec)
    assert codes == [f"invalid_{field_type}"]
    assert isinstance(output, str)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("hello", "hello"),
        ("  padded  ", "padded"),
        (42.0, "42"),
        (3.5, "3.5"),
        (42, "42"),
        (0.1 + 0.2, "0.3"),
        (D(2024, 3, 1), "2024-03-01"),
        (DT(2024, 3, 1, 14, 30), "2024-03-01 14:30:00"),
        (datetime.time(14, 30), "14:30:00"),
        (True, "TRUE"),
        (False, "FALSE"),
    ],
)
def test_string_accepts_anything_and_writes_numbers_and_dates_as_text(value: CellValue, expected: str) -> None:
    assert_accepts("string", value, expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (42, 42),
        (42.0, 42),
        ("1,234", 1234),
        (" 42 ", 42),
        ("-7", -7),
        ("+7", 7),
        ("42.0", 42),
        ("1,234,567", 1234567),
        ("1 234", 1234),
        ("1.234.567", 1234567),
        ("1'234", 1234),
        ("42,00", 42),
        ("$1,200", 1200),
        (-3.0, -3),
        (2**53, 2**53),
    ],
)
def test_integer_accepts_ints_whole_floats_and_grouped_text(value: CellValue, expected: int) -> None:
    assert_accepts("integer", value, expected)


@pytest.mark.parametrize(
    "value",
    [
        "1.5",
        1.5,
        "abc",
        "1,23",
        "12,3456",
        "1.5e3",
        "12%",
        True,
        float("nan"),
        float("inf"),
        2**53 + 1,
        "99999999999999999999",
        D(2024, 3, 1),
        "٤٢",
        "1_000",
    ],
)
def test_integer_rejects_fractions_text_booleans_and_unstorable_values(value: CellValue) -> None:
    assert_rejects("integer", value)


def test_integer_failure_keeps_the_original_text() -> None:
    output, _codes = process_one("integer", "  1.5 ")
    assert output == "  1.5 "


def test_integer_explains_too_large_values() -> None:
    field = FieldSpec(name="f", type="integer")
    _output, issues, _valid = compile_field(field).process(["12345678901234567890"], [7])
    assert issues[0].message == "Too large to store exactly as a number."
    assert issues[0].row == 7


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, 3),
        (2.5, 2.5),
        ("1,234.5", 1234.5),
        ("(12.50)", -12.5),
        ("12%", 0.12),
        ("-3.25", -3.25),
        ("$1,200.50", 1200.5),
        ("€5", 5.0),
        ("5 €", 5.0),
        ("£ 7", 7.0),
        ("-$5", -5.0),
        ("$-5", -5.0),
        ("($1,200)", -1200.0),
        ("1e3", 1000.0),
        (".5", 0.5),
        ("5.", 5.0),
        (" 42 ", 42.0),
        ("1,23", 1.23),
        ("1.234,5", 1234.5),
        ("1 234,56", 1234.56),
        ("1\u202f234,56\u00a0€", 1234.56),
        ("1'234.50 CHF", 1234.5),
        ("EUR 12,50", 12.5),
        ("-1.234,56 €", -1234.56),
        ("12,5 %", 0.125),
    ],
)
def test_number_accepts_numbers_grouped_accounting_percent_and_currency_text(value: CellValue, expected: float) -> None:
    assert_accepts("number", value, expected)


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "1.2.3",
        "(12.50",
        "12.50)",
        "-(5)",
        "$5€",
        "nan",
        "inf",
        "1e400",
        "1_000",
        float("nan"),
        float("inf"),
        True,
        D(2024, 1, 1),
        "1.234.5",
        "1,234.567,8",
        "12,34,567",
        "0,500.5",
        "XYZ 5",
        "1 23",
    ],
)
def test_number_rejects_non_numbers_and_non_finite_values(value: CellValue) -> None:
    assert_rejects("number", value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),
        ("FALSE", False),
        ("Yes", True),
        ("no", False),
        ("Y", True),
        ("n", False),
        ("1", True),
        ("0", False),
        ("On", True),
        ("OFF", False),
        (" yes ", True),
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        (1.0, True),
        (0.0, False),
    ],
)
def test_boolean_accepts_the_word_pairs_in_any_case_and_bools_and_one_zero(value: CellValue, expected: bool) -> None:
    assert_accepts("boolean", value, expected)


@pytest.mark.parametrize("value", ["maybe", "t", "2", 2, 0.5, "yess", D(2024, 1, 1)])
def test_boolean_rejects_other_words_and_numbers(value: CellValue) -> None:
    assert_rejects("boolean", value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D(2024, 3, 1), D(2024, 3, 1)),
        (DT(2024, 3, 1, 14, 30), D(2024, 3, 1)),
        (45352, D(2024, 3, 1)),
        (45352.75, D(2024, 3, 1)),
        (1, D(1900, 1, 1)),
        (59, D(1900, 2, 28)),
        (61, D(1900, 3, 1)),
        (2958465, D(9999, 12, 31)),
        ("2024-03-01", D(2024, 3, 1)),
        ("2024/03/01", D(2024, 3, 1)),
        ("2024-3-1", D(2024, 3, 1)),
        ("03/01/2024", D(2024, 3, 1)),
        ("3/1/24", D(2024, 3, 1)),
        ("3/1/45", D(1945, 3, 1)),
        ("1 Mar 2024", D(2024, 3, 1)),
        ("1 March 2024", D(2024, 3, 1)),
        ("01-Mar-2024", D(2024, 3, 1)),
        ("1st March 2024", D(2024, 3, 1)),
        ("March 1, 2024", D(2024, 3, 1)),
        ("Mar 1, 2024", D(2024, 3, 1)),
        ("mar. 1 2024", D(2024, 3, 1)),
        ("Sept 30, 2024", D(2024, 9, 30)),
        ("2024-03-01T14:30:00", D(2024, 3, 1)),
        ("03/01/2024 14:30", D(2024, 3, 1)),
        ("13/01/2024", D(2024, 1, 13)),
        ("31.12.1980", D(1980, 12, 31)),
        ("01.02.1975", D(1975, 2, 1)),
        ("1-3-2024", D(2024, 1, 3)),
        ("31-12-80", D(1980, 12, 31)),
        ("2024.3.1", D(2024, 3, 1)),
    ],
)
def test_date_accepts_date_cells_serials_and_the_text_forms(value: CellValue, expected: datetime.date) -> None:
    assert_accepts("date", value, expected)


@pytest.mark.parametrize(
    "value",
    [
        60,
        0,
        -5,
        2958466,
        float("nan"),
        "45352",
        "13/13/2024",
        "02/30/2024",
        "12.31.1980",
        "1/2/345",
        "2024-02-30",
        "1 Foo 2024",
        "yesterday",
        "1850-01-01",
        D(1899, 12, 31),
        datetime.time(10, 0),
        datetime.timedelta(days=1),
        True,
    ],
)
def test_date_rejects_the_fictitious_leap_day_out_of_range_serials_and_nonsense(value: CellValue) -> None:
    assert_rejects("date", value)


def test_date_explains_dates_before_1900() -> None:
    field = FieldSpec(name="f", type="date")
    _output, issues, _valid = compile_field(field).process(["1850-06-01"], [2])
    assert issues[0].message == "Before 1900-01-01, the earliest date Excel can store."


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (DT(2024, 3, 1, 14, 30), DT(2024, 3, 1, 14, 30)),
        (D(2024, 3, 1), DT(2024, 3, 1)),
        (45352.5, DT(2024, 3, 1, 12, 0)),
        (45352.604166666664, DT(2024, 3, 1, 14, 30)),
        (45352, DT(2024, 3, 1)),
        ("2024-03-01T14:30", DT(2024, 3, 1, 14, 30)),
        ("2024-03-01 14:30:15", DT(2024, 3, 1, 14, 30, 15)),
        ("2024-03-01 14:30:15.250", DT(2024, 3, 1, 14, 30, 15, 250000)),
        ("03/01/2024 14:30", DT(2024, 3, 1, 14, 30)),
        ("03/01/2024 2:30 PM", DT(2024, 3, 1, 14, 30)),
        ("03/01/2024 12:05 am", DT(2024, 3, 1, 0, 5)),
        ("1 Mar 2024 09:00", DT(2024, 3, 1, 9, 0)),
        ("March 1, 2024 9:00 p.m.", DT(2024, 3, 1, 21, 0)),
        ("2024-03-01", DT(2024, 3, 1)),
        ("2024-03-01T14:30:00Z", DT(2024, 3, 1, 14, 30)),
        ("2024-03-01T14:30:00+02:00", DT(2024, 3, 1, 12, 30)),
        ("2024/03/01 14:30 -0130", DT(2024, 3, 1, 16, 0)),
        (
            DT(2024, 3, 1, 14, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=1))),
            DT(2024, 3, 1, 13, 30),
        ),
    ],
)
def test_datetime_accepts_dates_plus_a_time_part(value: CellValue, expected: datetime.datetime) -> None:
    assert_accepts("datetime", value, expected)


@pytest.mark.parametrize(
    "value",
    [
        "2024-03-01 25:00",
        "03/01/2024 13:00 PM",
        "03/01/2024 0:30 am",
        "noon",
        60.5,
        datetime.time(9, 0),
        "1899-12-31 10:00",
        True,
        "2024-03-01T14:30:00+",
    ],
)
def test_datetime_rejects_impossible_times_and_non_dates(value: CellValue) -> None:
    assert_rejects("datetime", value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("John.Smith@Example.COM", "john.smith@example.com"),
        (" a@b.co ", "a@b.co"),
        ("x+tag@mail.example.org", "x+tag@mail.example.org"),
        ("ÜSER@bücher.de", "üser@bücher.de"),
    ],
)
def test_email_accepts_one_at_and_a_dotted_domain_and_lower_cases(value: CellValue, expected: str) -> None:
    assert_accepts("email", value, expected)


@pytest.mark.parametrize(
    "value",
    [
        "a@b",
        "a@@b.com",
        "a@b@c.com",
        "@b.com",
        "a@.com",
        "a@b.",
        "a@b..com",
        "a b@c.com",
        "a@b.com; c@d.com",
        "yes",
        42,
        "<a@b.com>",
    ],
)
def test_email_rejects_missing_or_extra_at_and_undotted_domains(value: CellValue) -> None:
    assert_rejects("email", value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+1 (416) 555-0123", "+14165550123"),
        ("+44 (0)20 7946 0958", "+442079460958"),
        ("+49 30 1234567", "+49301234567"),
        ("555.123.4567", "5551234567"),
        ("020 7946 0958", "02079460958"),
        ("1234567", "1234567"),
        (5551234567.0, "5551234567"),
        (5551234567, "5551234567"),
        ("[030] 1234\u00a0567", "0301234567"),
    ],
)
def test_phone_keeps_a_leading_plus_and_the_digits(value: CellValue, expected: str) -> None:
    assert_accepts("phone", value, expected)


@pytest.mark.parametrize(
    "value", ["123456", "1234567890123456", "555-CALL-NOW", "555 1234 x12", "1+5551234567", "++15551234"]
)
def test_phone_rejects_too_few_or_many_digits_and_letters(value: CellValue) -> None:
    assert_rejects("phone", value)


@pytest.mark.parametrize("value", ["+1 (555) 123-4567", "+123456789012345", "+49 30 12"])
def test_phone_with_a_plus_is_invalid_when_libphonenumber_says_so(value: CellValue) -> None:
    output, codes = process_one("phone", value)
    assert codes == ["invalid_phone"]
    assert output == value


@pytest.mark.parametrize(
    ("region", "value", "expected"),
    [
        ("DE", "030 1234567", "+49301234567"),
        ("DE", "0049 30 1234567", "+49301234567"),
        ("DE", "+33 1 42 68 53 00", "+33142685300"),
        ("FR", "01 42 68 53 00", "+33142685300"),
        ("US", "(416) 555-0123", "+14165550123"),
        ("US", "1 416 555 0123", "+14165550123"),
        ("GB", "020 7946 0958", "+442079460958"),
    ],
)
def test_phone_with_a_default_region_is_written_in_e164(region: str, value: str, expected: str) -> None:
    settings = Settings.model_validate({"defaultRegion": region})
    field = FieldSpec(name="phone", type="phone")
    output, issues, _valid = compile_field(field, settings).process([value], [2])
    assert (output, issues) == ([expected], [])


def test_phone_invalid_in_the_default_region_is_an_issue_that_says_so() -> None:
    field = FieldSpec(name="phone", type="phone")
    output, issues, _valid = compile_field(field, Settings.model_validate({"defaultRegion": "US"})).process(
        ["(555) 123-4567"], [9]
    )
    assert output == ["(555) 123-4567"]
    assert [(issue.row, issue.code, issue.message) for issue in issues] == [
        (9, "invalid_phone", "Not a valid phone number in its country's numbering plan.")
    ]


def test_an_unknown_default_region_is_a_configuration_error() -> None:
    with pytest.raises(EngineFailure) as raised:
        compile_field(FieldSpec(name="phone", type="phone"), Settings.model_construct(default_region="UK"))
    assert raised.value.code == "CONFIGURATION_INVALID"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Active", "Active"),
        ("active", "Active"),
        ("  ACTIVE ", "Active"),
        ("in progress", "In progress"),
        ("InProgress", "In progress"),
        ("IN   PROGRESS", "In progress"),
        (1, "1"),
        (1.0, "1"),
    ],
)
def test_enum_matches_insensitive_to_case_and_whitespace_and_writes_the_canonical_spelling(
    value: CellValue, expected: str
) -> None:
    assert_accepts("enum", value, expected, enum=["Active", "In progress", "1"])


@pytest.mark.parametrize("value", ["Inactive", "act ive x", 2])
def test_enum_rejects_values_outside_the_list(value: CellValue) -> None:
    assert_rejects("enum", value, enum=["Active", "In progress", "1"])


def test_enum_failure_message_lists_the_allowed_values() -> None:
    field = FieldSpec(name="status", type="enum", enum=["Active", "Lapsed"])
    _output, issues, _valid = compile_field(field).process(["Gone"], [5])
    assert issues[0].message == "Not one of the allowed values: Active, Lapsed."


@pytest.mark.parametrize("field_type", ["string", "integer", "number", "boolean", "date", "datetime", "email", "phone"])
@pytest.mark.parametrize("value", [None, "", "   ", "\t\n"])
def test_empty_cells_become_none_without_issues_when_optional(field_type: str, value: CellValue) -> None:
    output, codes = process_one(field_type, value, transforms=[])
    assert output is None
    assert codes == []
