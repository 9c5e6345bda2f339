"""Property: no cell value ever makes processing or evidence raise, and output keeps its length."""

from __future__ import annotations

import datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from normalizer.config import FieldSpec
from normalizer.values import CellValue, compile_field, value_evidence

FIELD_SPECS: list[dict[str, Any]] = [
    {"type": "string"},
    {
        "type": "string",
        "transforms": ["collapseWhitespace", "title", "digitsOnly"],
        "valuePattern": "^[0-9]+$",
    },
    {"type": "integer", "validators": [{"kind": "range", "min": -5, "max": 10**6}, {"kind": "unique"}]},
    {"type": "number", "transforms": [], "validators": [{"kind": "range", "min": "-1e9"}]},
    {"type": "boolean", "transforms": ["lower"]},
    {"type": "date", "validators": [{"kind": "range", "min": "1990-01-01", "max": "2100-12-31"}]},
    {"type": "datetime", "validators": [{"kind": "range", "max": "9999-12-31T23:59:59"}]},
    {"type": "email", "validators": [{"kind": "length", "max": 50}, {"kind": "unique"}]},
    {"type": "phone", "transforms": ["trim", "upper"]},
    {"type": "enum", "enum": ["A", "b b", "Ünï"], "validators": [{"kind": "oneOf", "values": ["A"]}]},
]
FIELDS = [
    FieldSpec.model_validate({"name": f"f{index}", "required": index % 2 == 0, **spec})
    for index, spec in enumerate(FIELD_SPECS)
]

cell_values = st.one_of(
    st.none(),
    st.text(max_size=60),
    st.from_regex(r"\s*[-+($€]?[0-9,. ]{0,14}[%)]?\s*", fullmatch=True),
    st.from_regex(
        r"[0-9]{1,4}[-/. ][0-9A-Za-z]{1,9}[-/., ]{1,2}[0-9]{1,4}( [0-9]{1,2}:[0-9]{2}( [AP]M)?)?",
        fullmatch=True,
    ),
    st.integers(),
    st.integers(min_value=-(10**5000), max_value=10**5000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(timezones=st.none() | st.timezones()),
    st.times(),
    st.timedeltas(),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(cell_values, max_size=12))
def test_processing_never_raises_and_keeps_one_output_per_input(values: list[CellValue]) -> None:
    for field in FIELDS:
        output, issues, valid = compile_field(field).process(values, range(2, 2 + len(values)))
        assert len(output) == len(values)
        assert 0 <= valid <= len(values)
        assert all(2 <= issue.row < 2 + len(values) and len(issue.value) <= 200 for issue in issues)
        assert all(value is None or type(value) in _OUTPUT_TYPES for value in output)


_OUTPUT_TYPES = {str, int, float, bool, datetime.date, datetime.datetime}


@settings(max_examples=150, deadline=None)
@given(values=st.lists(cell_values, max_size=12))
def test_value_evidence_never_raises_and_is_a_share(values: list[CellValue]) -> None:
    for field in FIELDS:
        assert 0.0 <= value_evidence(field, values) <= 1.0


@settings(max_examples=200, deadline=None)
@given(value=st.floats(min_value=1, max_value=2958465.999, allow_nan=False))
def test_excel_serials_parse_for_date_fields_except_the_fictitious_leap_day(value: float) -> None:
    field = FieldSpec(name="d", type="date")
    output, issues, _valid = compile_field(field).process([value], [2])
    if int(value) == 60:
        assert [issue.code for issue in issues] == ["invalid_date"]
    else:
        assert issues == []
        assert isinstance(output[0], datetime.date)


@settings(max_examples=200, deadline=None)
@given(day=st.dates(min_value=datetime.date(1900, 1, 1)))
def test_dates_round_trip_through_every_text_form(day: datetime.date) -> None:
    field = FieldSpec(name="d", type="date")
    texts: list[CellValue] = [
        day.isoformat(),
        f"{day.month:02d}/{day.day:02d}/{day.year:04d}",
        day.strftime("%d %b %Y"),
        day.strftime("%B %d, %Y"),
    ]
    output, issues, _valid = compile_field(field).process(texts, range(2, 6))
    assert issues == []
    assert output == [day] * 4
