"""Transforms: each one, their order, and when they apply to non-text cells."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from normalizer.config import FieldSpec
from normalizer.values import CellValue, compile_field
from normalizer.values.transforms import compose_transforms


def process(field_type: str, transforms: list[str], values: list[CellValue], **spec: Any) -> list[CellValue]:
    field = FieldSpec.model_validate({"name": "f", "type": field_type, "transforms": transforms, **spec})
    output, _issues, _valid = compile_field(field).process(values, range(2, 2 + len(values)))
    return output


@pytest.mark.parametrize(
    ("transform", "text", "expected"),
    [
        ("trim", "  a  b  ", "a  b"),
        ("collapseWhitespace", " a \t\n b  c ", " a b c "),
        ("lower", "MiXeD Ünï", "mixed ünï"),
        ("upper", "MiXeD", "MIXED"),
        ("title", "mary-jane o'neil", "Mary-Jane O'Neil"),
        ("digitsOnly", "+1 (555) 12-34", "15551234"),
    ],
)
def test_each_transform_changes_text_as_named(transform: str, text: str, expected: str) -> None:
    assert process("string", [transform], [text]) == [expected]


def test_default_transform_is_trim() -> None:
    assert process("string", ["trim"], ["  x "]) == process("string", FieldSpec(name="f").transforms, ["  x "])
    assert FieldSpec(name="f").transforms == ["trim"]


def test_transforms_apply_in_the_configured_order() -> None:
    assert process("string", ["collapseWhitespace", "trim", "upper"], ["  ab   cd "]) == ["AB CD"]
    assert process("string", ["digitsOnly", "title"], ["a1b2"]) == ["12"]


def test_no_transforms_keeps_surrounding_whitespace_of_text() -> None:
    assert process("string", [], ["  x  "]) == ["  x  "]


def test_text_that_transforms_to_nothing_is_empty() -> None:
    assert process("string", ["digitsOnly"], ["no digits"]) == [None]
    assert process("string", ["collapseWhitespace"], ["   "]) == [None]


def test_text_types_transform_the_text_form_of_number_and_date_cells() -> None:
    assert process("string", ["digitsOnly"], [datetime.date(2024, 3, 1)]) == ["20240301"]
    assert process("string", ["upper"], [True]) == ["TRUE"]
    assert process("enum", ["digitsOnly"], [12.0], enum=["12"]) == ["12"]
    assert process("phone", ["digitsOnly"], [5551234567.0]) == ["5551234567"]


def test_typed_fields_pass_number_and_date_cells_through_untransformed() -> None:
    assert process("integer", ["digitsOnly"], [-42.0]) == [-42]
    assert process("number", ["digitsOnly"], [-1.5]) == [-1.5]
    assert process("date", ["digitsOnly"], [datetime.date(2024, 3, 1)]) == [datetime.date(2024, 3, 1)]
    assert process("boolean", ["upper"], [True]) == [True]


def test_typed_fields_transform_text_cells_before_parsing() -> None:
    assert process("integer", ["digitsOnly"], ["ID-0042"]) == [42]
    assert process("boolean", ["trim"], ["  yes "]) == [True]


def test_email_is_lower_cased_even_without_a_lower_transform() -> None:
    assert process("email", [], ["A@B.COM"]) == ["a@b.com"]


@given(st.text(alphabet=st.sampled_from(list("ab \t\n\xa0\u2003\x1f\u200b.")), max_size=20))
def test_whitespace_transforms_agree_with_their_plain_definitions(text: str) -> None:
    collapse = compose_transforms(["collapseWhitespace"])
    trim_then_collapse = compose_transforms(["trim", "collapseWhitespace"])
    collapse_then_trim = compose_transforms(["collapseWhitespace", "trim"])
    assert collapse is not None and trim_then_collapse is not None and collapse_then_trim is not None
    collapsed = re.sub(r"\s+", " ", text)
    assert collapse(text) == collapsed
    assert trim_then_collapse(text) == re.sub(r"\s+", " ", text.strip())
    assert collapse_then_trim(text) == collapsed.strip()
