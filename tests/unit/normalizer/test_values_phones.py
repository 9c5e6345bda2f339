"""Phones in E.164: the fast check compiled from libphonenumber's metadata gives exactly what
libphonenumber itself gives (`parse`, `is_valid_number`, E.164), for numbers of every calling code and
region, valid, invalid and in the shapes the fast check leaves to libphonenumber."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, SUPPORTED_REGIONS, PhoneMetadata

from normalizer.config import FieldSpec, Settings
from normalizer.values import compile_field
from normalizer.values.columns import INVALID
from normalizer.values.phones import E164Numbers, e164_by_libphonenumber

_TYPES = ("fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "voip", "personal_number", "uan")


def example_nationals(region: str, country_code: int) -> list[str]:
    """The example national numbers of a region's metadata (one per number type it has)."""
    metadata = (
        PhoneMetadata.metadata_for_nongeo_region(country_code, None)
        if region == "001"
        else PhoneMetadata.metadata_for_region(region, None)
    )
    if metadata is None:
        return []
    examples = [getattr(getattr(metadata, name, None), "example_number", None) for name in _TYPES]
    return sorted({example for example in examples if example})


def variants(national: str, rng: random.Random) -> list[str]:
    """A national number, the same with a digit changed, one digit more and less, and a leading 0."""
    position = rng.randrange(len(national))
    changed = (
        national[:position] + str((int(national[position]) + 1 + rng.randrange(9)) % 10) + national[position + 1 :]
    )
    return [national, changed, national + str(rng.randrange(10)), national[:-1], "0" + national]


def international_numbers() -> list[str]:
    rng = random.Random(7)
    numbers: list[str] = []
    for country_code, regions in sorted(COUNTRY_CODE_TO_REGION_CODE.items()):
        for region in regions:
            for national in example_nationals(region, country_code):
                numbers.extend(f"+{country_code}{variant}" for variant in variants(national, rng))
    return numbers


def assert_agrees_with_libphonenumber(numbers: list[str], region: str | None) -> None:
    converted = E164Numbers(region).convert(numbers)
    expected = [e164_by_libphonenumber(number, region) for number in numbers]
    disagreements = [
        (number, got, want) for number, got, want in zip(numbers, converted, expected, strict=True) if got != want
    ]
    assert disagreements == []


def test_numbers_with_a_plus_of_every_calling_code_agree_with_libphonenumber() -> None:
    # Given the example numbers of every region of every calling code, each also mutated, with a plus
    numbers = international_numbers()
    assert len(numbers) > 2000
    # When one column converts them all (so it learns every calling code) / Then libphonenumber agrees
    assert_agrees_with_libphonenumber(numbers, None)


@pytest.mark.parametrize("region", sorted(SUPPORTED_REGIONS))
def test_national_numbers_of_every_region_agree_with_libphonenumber(region: str) -> None:
    # Given a region's example numbers written nationally: bare, with its national prefix, with its
    # international prefix and calling code, and mutated
    metadata = PhoneMetadata.metadata_for_region(region)
    code = str(metadata.country_code)
    prefix = metadata.national_prefix or ""
    rng = random.Random(region)
    numbers: list[str] = []
    for national in example_nationals(region, metadata.country_code):
        for variant in variants(national, rng):
            numbers.extend([variant, prefix + variant, code + variant, "00" + code + variant, "011" + code + variant])
    numbers = [number for number in numbers if 7 <= len(number) <= 15]
    # When a column with that default region converts them / Then libphonenumber agrees
    assert_agrees_with_libphonenumber(numbers, region)


@settings(max_examples=300, deadline=None)
@given(
    code=st.sampled_from(sorted(COUNTRY_CODE_TO_REGION_CODE)),
    national=st.text(alphabet="0123456789", min_size=4, max_size=13),
    region=st.none() | st.sampled_from(["US", "DE", "FR", "GB", "IT", "BR", "JP", "IN", "AU", "CH"]),
    plus=st.booleans(),
)
def test_random_numbers_agree_with_libphonenumber(code: int, national: str, region: str | None, plus: bool) -> None:
    number = f"+{code}{national}" if plus or region is None else national
    if not 7 <= len(number.lstrip("+")) <= 15:
        return
    assert_agrees_with_libphonenumber([number], region)


def test_a_column_of_many_countries_learns_each_calling_code_once() -> None:
    # Given one column chunk after another with numbers of more and more countries
    column = E164Numbers(None)
    chunks = [["+14165550123", "+12125550100"], ["+442079460958", "+14165550123"], ["+33142685300", "+4930123456"]]
    # When it converts them / Then every number is libphonenumber's E.164 form
    assert [column.convert(chunk) for chunk in chunks] == [
        ["+14165550123", "+12125550100"],
        ["+442079460958", "+14165550123"],
        ["+33142685300", "+4930123456"],
    ]


def test_without_a_region_a_number_without_a_plus_keeps_its_digits() -> None:
    field = FieldSpec(name="phone", type="phone")
    output, issues, _valid = compile_field(field).process(["(555) 123-4567", "+1 555 123 4567"], [2, 3])
    assert output == ["5551234567", "+1 555 123 4567"]
    assert [(issue.row, issue.code) for issue in issues] == [(3, "invalid_phone")]


def test_a_default_region_turns_national_numbers_into_e164() -> None:
    field = FieldSpec(name="phone", type="phone")
    processor = compile_field(field, Settings.model_validate({"defaultRegion": "FR"}))
    output, issues, valid = processor.process(["01 42 68 53 00", "06 12 34 56 78", "+49 30 1234567"], [2, 3, 4])
    assert (output, issues, valid) == (["+33142685300", "+33612345678", "+49301234567"], [], 3)


def test_libphonenumber_itself_is_asked_only_about_the_shapes_the_fast_check_leaves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a record of the numbers that reach libphonenumber's parse
    asked: list[str] = []

    def recording(number: str, region: str | None) -> object:
        asked.append(number)
        return e164_by_libphonenumber(number, region)

    monkeypatch.setattr("normalizer.values.phones.e164_by_libphonenumber", recording)
    # When a German column converts valid and invalid numbers, with and without national prefixes,
    # and two that start with the international prefix or the calling code
    column = E164Numbers("DE")
    numbers = ["+4930123456", "+14165550123", "301234567", "+15551234567", "+4402079460958", "0301234567"]
    converted = column.convert([*numbers, "0049301234567", "49301234567"])
    # Then only those two were asked about
    assert asked == ["0049301234567", "49301234567"]
    assert converted == [
        "+4930123456",
        "+14165550123",
        "+49301234567",
        INVALID,
        "+442079460958",
        "+49301234567",
        "+49301234567",
        "+49301234567",
    ]
