"""value_evidence (used by the mapper) and write_kind (used by the writer)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from normalizer.config import FieldSpec, Settings
from normalizer.values import CellValue, value_evidence, write_kind


def field(field_type: str = "string", **spec: Any) -> FieldSpec:
    return FieldSpec.model_validate({"name": "f", "type": field_type, **spec})


def test_an_email_consent_yes_no_column_is_no_evidence_for_email() -> None:
    consent: list[CellValue] = ["Yes", "No", "yes", "", "N", None, "Y"]
    assert value_evidence(field("email"), consent) == 0.0
    assert value_evidence(field("boolean"), consent) == 1.0


def test_a_column_of_email_addresses_is_full_evidence_for_email() -> None:
    emails: list[CellValue] = ["ann@example.com", "BOB@Example.org", "", None, "c.d@mail.co.uk"]
    assert value_evidence(field("email"), emails) == 1.0


def test_evidence_is_the_share_of_non_empty_values_that_parse() -> None:
    values: list[CellValue] = ["ann@example.com", "not an email", "x@y.io", "nope", None, "   "]
    assert value_evidence(field("email"), values) == 0.5


def test_a_string_field_without_a_value_pattern_has_no_value_evidence() -> None:
    assert value_evidence(field("string"), ["anything", "at all"]) == 0.0


def test_a_value_pattern_gives_evidence_for_string_fields() -> None:
    member_id = field("string", valuePattern=r"^M-[0-9]{4}$")
    assert value_evidence(member_id, ["M-0001", " M-0002 ", "0003", 42.0]) == 0.5


def test_typed_fields_with_a_value_pattern_need_parse_and_match() -> None:
    uk_phone = field("phone", valuePattern=r"^\+44")
    assert value_evidence(uk_phone, ["+44 20 7946 0958", "020 7946 0958", "+44 abc", "+1 555 123 4567"]) == 0.25


def test_numbers_are_no_evidence_for_date_fields() -> None:
    assert value_evidence(field("date"), [1.0, 2.0, 100001.0, 45000]) == 0.0
    mixed: list[CellValue] = [datetime.date(2024, 1, 1), "2024-02-01", 45000.0, "later"]
    assert value_evidence(field("date"), mixed) == 0.5
    assert value_evidence(field("datetime"), [datetime.datetime(2024, 1, 1, 9), "03/01/2024 10:00"]) == 1.0


def test_numbers_are_evidence_for_numeric_fields() -> None:
    assert value_evidence(field("integer"), [1.0, "2", "3.5", "x"]) == 0.5
    assert value_evidence(field("number"), [1.0, "2", "3.5", "x"]) == 0.75


def test_enum_evidence_uses_insensitive_matching() -> None:
    status = field("enum", enum=["Active", "Lapsed"])
    assert value_evidence(status, ["active", "LAPSED", "gone", " Active "]) == 0.75


def test_an_empty_sample_is_no_evidence() -> None:
    assert value_evidence(field("email"), []) == 0.0
    assert value_evidence(field("email"), [None, "", "  "]) == 0.0


def test_evidence_ignores_validators_other_than_the_value_pattern() -> None:
    unique_email = field("email", validators=[{"kind": "unique"}, {"kind": "length", "max": 3}])
    assert value_evidence(unique_email, ["a@b.co", "a@b.co"]) == 1.0


@pytest.mark.parametrize(
    ("field_type", "kind"),
    [
        ("string", "text"),
        ("email", "text"),
        ("phone", "text"),
        ("integer", "number"),
        ("number", "number"),
        ("boolean", "boolean"),
        ("date", "date"),
        ("datetime", "datetime"),
    ],
)
def test_write_kind_follows_the_field_type(field_type: str, kind: str) -> None:
    assert write_kind(field(field_type)) == kind
    assert write_kind(field("enum", enum=["a"])) == "text"


def test_dates_and_amounts_in_the_worlds_formats_are_evidence_for_their_types() -> None:
    assert value_evidence(field("date"), ["31.12.1980", "01.02.1975", "05/05/1990", "31-12-1980"]) == 1.0
    assert value_evidence(field("number"), ["1.234,56 €", "-12,50 €", "1\u202f000,00\u00a0€"]) == 1.0


def test_ambiguous_dates_of_a_sample_whose_orders_conflict_are_no_evidence() -> None:
    assert value_evidence(field("date"), ["31/12/1980", "12/31/1980", "01/02/1975", "03/04/1976"]) == 0.5


def test_phones_with_a_plus_that_libphonenumber_calls_invalid_are_no_evidence() -> None:
    assert value_evidence(field("phone"), ["+1 416 555 0123", "+1 555 123 4567", "555 123 4567"]) == pytest.approx(
        2 / 3
    )


def test_settings_force_how_the_sample_reads() -> None:
    month_first = Settings.model_validate({"dateOrder": "MDY"})
    assert value_evidence(field("date"), ["31/12/1980", "12/31/1980"], month_first) == 0.5
