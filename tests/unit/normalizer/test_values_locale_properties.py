"""Properties: a number or a date written the way any supported locale writes it reads back as itself,
with the setting forced and with `auto` in a column that shows its convention once."""

from __future__ import annotations

import datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from normalizer.config import FieldSpec, Settings
from normalizer.values import CellValue, compile_field
from normalizer.values.numbers import (
    classify_integer_text,
    classify_number_text,
    integer_column_shortcut,
    number_column_shortcut,
)
from normalizer.values.readings import Either, Only

# (decimal mark, thousands separators that go with it)
NUMBER_STYLES = {
    ".": [",", " ", "'", "\u2019", ""],
    ",": [".", " ", "\u00a0", "\u202f", "'", ""],
}
CURRENCIES = ["", "$ ", "€", " €", "£", "CHF ", " EUR", "USD ", "¥"]


def read_column(field_type: str, values: list[CellValue], **setting: Any) -> list[CellValue]:
    processor = compile_field(FieldSpec(name="f", type=field_type), Settings.model_validate(setting))
    output, issues, _valid = processor.process(values, range(2, 2 + len(values)))
    assert issues == []
    return output


def grouped(whole: int, separator: str) -> str:
    text = f"{whole:,}"
    return text.replace(",", separator)


@st.composite
def written_numbers(draw: st.DrawFn) -> tuple[str, str, float]:
    """(decimal mark, the number as text in that locale, its value)."""
    mark = draw(st.sampled_from(sorted(NUMBER_STYLES)))
    separator = draw(st.sampled_from(NUMBER_STYLES[mark]))
    whole = draw(st.integers(min_value=0, max_value=10**12))
    cents = draw(st.integers(min_value=0, max_value=99))
    negative = draw(st.booleans())
    currency = draw(st.sampled_from(CURRENCIES))
    digits = f"{grouped(whole, separator)}{mark}{cents:02d}"
    body = f"{currency}{digits}" if currency.endswith(" ") or currency in ("$", "£", "¥") else f"{digits}{currency}"
    if currency == "¥":
        body = f"¥{digits}"
    text = f"-{body}" if negative else body
    value = float(f"{'-' if negative else ''}{whole}.{cents:02d}")
    return mark, text, value


@settings(max_examples=400, deadline=None)
@given(written_numbers())
def test_a_number_written_in_any_locale_reads_back_with_its_separator_forced(written: tuple[str, str, float]) -> None:
    mark, text, value = written
    assert read_column("number", [text], decimalSeparator=mark) == [value]


@settings(max_examples=400, deadline=None)
@given(written_numbers(), st.integers(min_value=1, max_value=999))
def test_a_number_written_in_any_locale_reads_back_with_auto(written: tuple[str, str, float], thousands: int) -> None:
    # Given a column of that locale holding also an ambiguous whole number ("1.234" or "1,234")
    mark, text, value = written
    ambiguous = f"{thousands}{'.' if mark == ',' else ','}000"
    # Then auto reads the number back, and the ambiguous one with the column's convention
    assert read_column("number", [ambiguous, text], decimalSeparator="auto") == [thousands * 1000.0, value]


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(2**53), max_value=2**53), st.sampled_from([",", ".", " ", "'", ""]))
def test_a_whole_number_with_any_grouping_reads_back_as_an_integer(number: int, separator: str) -> None:
    text = ("-" if number < 0 else "") + grouped(abs(number), separator)
    decimal_mark = "," if separator == "." else "."
    assert read_column("integer", [text], decimalSeparator=decimal_mark) == [number]


@st.composite
def written_dates(draw: st.DrawFn) -> tuple[str, str, datetime.date]:
    """(order, the date as numeric text in that order, the date)."""
    day = draw(st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(9999, 12, 31)))
    order = draw(st.sampled_from(["DMY", "MDY"]))
    separator = draw(st.sampled_from(["/", "-", "."]))
    padded = draw(st.booleans())
    two_digit_year = 1930 <= day.year <= 2029 and draw(st.booleans())
    year = f"{day.year % 100:02d}" if two_digit_year else f"{day.year:04d}"
    first, second = (day.day, day.month) if order == "DMY" else (day.month, day.day)
    width = 2 if padded else 1
    return order, f"{first:0{width}d}{separator}{second:0{width}d}{separator}{year}", day


@settings(max_examples=400, deadline=None)
@given(written_dates())
def test_a_date_written_in_either_order_reads_back_with_the_order_forced(
    written: tuple[str, str, datetime.date],
) -> None:
    order, text, day = written
    assert read_column("date", [text], dateOrder=order) == [day]


@settings(max_examples=400, deadline=None)
@given(written_dates())
def test_a_date_written_in_either_order_reads_back_with_auto(written: tuple[str, str, datetime.date]) -> None:
    # Given a column that shows its order once (a 31st of December), dotted dates being day-first
    order, text, day = written
    if order == "MDY" and "." in text:
        return
    separator = "." if "." in text else "/"
    decisive = f"31{separator}12{separator}1999" if order == "DMY" else f"12{separator}31{separator}1999"
    # Then auto reads the date back
    assert read_column("date", [text, decisive], dateOrder="auto") == [day, datetime.date(1999, 12, 31)]


number_texts = st.lists(
    st.from_regex(r"[-+]?[$€]?([0-9]{1,7}|[1-9][0-9]{0,2}([.,][0-9]{3}){0,3})([.,][0-9]{1,4})?( ?€)?", fullmatch=True),
    min_size=1,
    max_size=8,
) | st.lists(written_numbers(), min_size=1, max_size=8).map(
    lambda written: [text for mark, text, _value in written if mark == written[0][0]]
)


@settings(max_examples=500, deadline=None)
@given(number_texts, st.sampled_from(["number", "integer"]))
def test_the_column_shortcut_gives_what_reading_each_text_gives(texts: list[str], field_type: str) -> None:
    # Given a chunk of number texts that the column shortcut takes
    shortcut = number_column_shortcut if field_type == "number" else integer_column_shortcut
    classify = classify_number_text if field_type == "number" else classify_integer_text
    quick = shortcut(texts)
    if quick is None:
        return
    values, evidence = quick
    # Then each text classified alone has the same value, and is evidence for the same mark (or none)
    for text, value in zip(texts, values, strict=True):
        classified = classify(text)
        assert type(classified) is not Either
        if type(classified) is Only:
            assert (classified.reading, classified.value) == (evidence, value)
        else:
            assert classified == value
            assert type(classified) is type(value)
