"""The column-wise text parsers give exactly what parsing one cell at a time gives."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from normalizer.values import CellValue
from normalizer.values.cells import cell_text, column_texts
from normalizer.values.choices import enum_text_parser
from normalizer.values.columns import INVALID, ColumnParser, TextParser, TextsParser, text_column_parser
from normalizer.values.contacts import parse_email_text, parse_email_texts, parse_phone_text, parse_phone_texts
from normalizer.values.transforms import (
    TRANSFORMS,
    TextTransform,
    compose_steps,
    may_leave_blank_text,
    transform_steps,
)


def cell_by_cell_text_parser(
    steps: Sequence[TextTransform], parse_text: TextParser | None, check_blank: bool
) -> ColumnParser:
    """`text_column_parser` one cell at a time: the oracle its column-wise form is tested against."""
    transform = compose_steps(steps)

    def parse_column(values: list[CellValue]) -> tuple[list[CellValue], list[int]]:
        output: list[CellValue] = []
        append = output.append
        failed: list[int] = []
        for index, value in enumerate(values):
            if type(value) is str:
                text = value
            elif value is None:
                append(None)
                continue
            else:
                text = cell_text(value)
            if transform is not None:
                text = transform(text)
            if not text or (check_blank and text.isspace()):
                append(None)
                continue
            if parse_text is None:
                append(text)
                continue
            parsed = parse_text(text)
            if parsed is INVALID:
                failed.append(index)
                append(cell_text(value))
            else:
                append(parsed)
        return output, failed

    return parse_column


PARSERS: list[tuple[TextParser | None, TextsParser | None]] = [
    (None, None),
    (parse_email_text, parse_email_texts),
    (parse_phone_text, parse_phone_texts),
    (enum_text_parser(["A", "b b", "Ünï"]), None),
]
TRANSFORM_LISTS = [[], ["trim"], ["lower"], ["trim", "collapseWhitespace", "lower"], ["digitsOnly"], ["title"]]

contact_like = st.one_of(
    st.from_regex(r"\s*\+?[0-9 ().\-\[\]\t]{0,22}\s*", fullmatch=True),
    st.from_regex(r"\s*[A-Za-z0-9._\- ]{0,8}@?[A-Za-z0-9.\-]{0,10}\s*", fullmatch=True),
    st.sampled_from(["+1 (555) 010-0000", "555.010.0000", "a@b.co", "A@B.CO ", "\x00", "1234567\x00890", "\xa0"]),
)
cell_values = st.one_of(
    st.none(),
    st.just(""),
    st.text(max_size=30),
    contact_like,
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**17), max_value=10**17).map(float),
    st.just(-0.0),
    st.booleans(),
    st.dates(),
    st.datetimes(),
)


def _same(left: list[Any], right: list[Any]) -> bool:
    # NaN never equals itself, so compare through repr (types included)
    return [(type(value), repr(value)) for value in left] == [(type(value), repr(value)) for value in right]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(cell_values, max_size=40))
def test_column_wise_text_parsing_matches_cell_by_cell(values: list[CellValue]) -> None:
    for names in TRANSFORM_LISTS:
        steps = transform_steps(names)
        check_blank = may_leave_blank_text(names)
        for parse_text, parse_texts in PARSERS:
            expected = cell_by_cell_text_parser(steps, parse_text, check_blank)(list(values))
            actual = text_column_parser(steps, parse_text, check_blank, parse_texts)(list(values))
            assert _same(actual[0], expected[0]) and actual[1] == expected[1], (names, parse_text)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(cell_values, max_size=40))
def test_column_texts_are_cell_texts(values: list[CellValue]) -> None:
    assert column_texts(values) == [cell_text(value) for value in values]


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.one_of(contact_like, st.text(max_size=20)).filter(bool), max_size=40))
def test_contact_column_parsers_match_their_text_parsers(texts: list[str]) -> None:
    assert parse_phone_texts(texts) == [parse_phone_text(text) for text in texts]
    assert parse_email_texts(texts) == [parse_email_text(text) for text in texts]


@pytest.mark.parametrize(
    "values",
    [
        [100000.0, 100001.0, -0.0, 0.0],
        [9999999999999998.0, -9999999999999998.0],
        [1e16, 1.0],
        [2.5, 1.0],
        [float("nan"), 1.0],
        [float("inf")],
        ["a", None, ""],
        [1, True, datetime.date(2020, 1, 2)],
    ],
)
def test_column_texts_of_typical_and_edge_columns(values: list[CellValue]) -> None:
    assert column_texts(values) == [cell_text(value) for value in values]


def test_phone_column_with_a_nul_or_non_ascii_text_falls_back_to_each_text() -> None:
    texts = ["555 010 0000", "1234567\x00890", "+1\xa0555\xa0010\xa00000"]
    assert parse_phone_texts(texts) == [parse_phone_text(text) for text in texts]


def test_every_transform_keeps_empty_text_empty() -> None:
    # The column parser relies on it to treat None cells as "" without a case of their own
    assert all(transform("") == "" for transform in TRANSFORMS.values())
