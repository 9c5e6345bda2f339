"""`date` and `datetime` parsing: date cells, Excel serial numbers and the common text forms.

Accepted text (case-insensitive, surrounding whitespace ignored), each optionally followed by a time
part ("T" or spaces, then H:MM[:SS[.fraction]], optional AM/PM, optional "Z" or ±HH:MM offset):
ISO "2024-03-01" (also "2024/03/01", "2024.3.1"), numeric dates with slashes, dashes or dots whose
order of day and month is the column's `dateOrder` ("03/01/2024", "01.03.2024", "1-3-24"),
"1 Mar 2024", "1 March 2024", "01-Mar-2024", "1st March 2024", "March 1, 2024", "Mar 1 2024".

Numeric dates (`readings` says how a column decides):
- A four-digit first part is always year-month-day, whatever the setting.
- Otherwise the year is last (two or four digits) and `dateOrder` says which of the first two parts is
  the day: `DMY`, `MDY`, or, with `auto`, the column's decision; a text that is a valid date one way
  alone is evidence for that way (`31/12/1980` day-first, `12/31/1980` month-first), one that is valid
  both ways with different dates is ambiguous (`01/02/1975`), and `05/05/1975` reads the same both ways.
- With `auto`, dotted dates are day-first (`31.12.1980`, and `01.02.1975` is 1 February): day-first
  evidence for the column; a dotted text that is no day-first date is invalid.
- `YMD` reads a two-digit first part as the year (`75/02/01`); a text with its year last is invalid.

Decisions where the spec is silent:
- Serial numbers: the 1900 date system with Lotus' leap-year bug (serial 1 = 1900-01-01, 59 =
  1900-02-28, 61 = 1900-03-01). Serial 60 is Excel's fictitious 1900-02-29 and is invalid. Accepted
  range 1 ≤ serial < 2958466 (up to 9999-12-31). Only number cells are serials: digit-only text is not.
  Fractional serials keep their time (rounded to the millisecond) for datetime fields.
- Two-digit years follow Excel's pivot: 00-29 → 2000s, 30-99 → 1900s.
- Dates before 1900-01-01 are invalid: Excel (and the writer) cannot store them as date cells.
- A date field takes the date part of a datetime cell or of text with a time, as written.
- A datetime field accepts date-only values as midnight. Text with a UTC offset is converted to UTC
  and written without an offset (Excel cells have no time zone); so are timezone-aware cells.
- Time cells, durations and booleans are neither dates nor datetimes.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Literal

from normalizer.values.cells import CellValue
from normalizer.values.columns import INVALID, Parsed
from normalizer.values.readings import Classified, Either, Only, Reading

FIRST_EXCEL_DATE = datetime.date(1900, 1, 1)
_FIRST_EXCEL_MOMENT = datetime.datetime(1900, 1, 1)
_LAST_SERIAL_EXCLUSIVE = 2958466
_FICTITIOUS_LEAP_DAY_SERIAL = 60
_ORDINAL_BEFORE_SERIAL_1 = datetime.date(1899, 12, 31).toordinal()
# After the fictitious 1900-02-29 every serial is one day "late", hence the earlier base.
_ORDINAL_BASE_AFTER_LEAP_BUG = datetime.date(1899, 12, 30).toordinal()
_MILLISECONDS_PER_DAY = 86_400_000
_TWO_DIGIT_YEAR_PIVOT = 30

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"), ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip

_TIME_PART = (
    r"(?:(?:T|\s+)(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:[.,](?P<fraction>[0-9]+))?)?"
    r"\s*(?P<meridiem>[ap]\.?m\.?)?"
    r"\s*(?P<zone>z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?"
)
# Numeric dates: three parts and one separator. Which part is the day is the reading's business.
_NUMERIC_DATE = re.compile(
    r"(?P<p1>[0-9]{1,4})(?P<separator>[-/.])(?P<p2>[0-9]{1,2})(?P=separator)(?P<p3>[0-9]{1,4})" + _TIME_PART,
    re.ASCII | re.IGNORECASE,
)
_ORDINAL_SUFFIX = r"(?:st|nd|rd|th)?"
_NAMED_MONTH_FORMS = tuple(
    re.compile(date_part + _TIME_PART, re.ASCII | re.IGNORECASE)
    for date_part in (
        r"(?P<day>[0-9]{1,2})"
        + _ORDINAL_SUFFIX
        + r"(?:\s+|-)(?P<month_name>[a-z]{3,9})\.?,?(?:\s+|-)(?P<year>[0-9]{4}|[0-9]{2})",
        r"(?P<month_name>[a-z]{3,9})\.?\s+(?P<day>[0-9]{1,2})" + _ORDINAL_SUFFIX + r",?\s+(?P<year>[0-9]{4})",
    )
)

DateOrderName = Literal["DMY", "MDY", "YMD"]
DAY_FIRST = Reading.FIRST
MONTH_FIRST = Reading.SECOND
READING_NAMES = ("day-first", "month-first")

Moment = tuple[datetime.datetime, datetime.timedelta | None]
"""A naive date-time as written and its UTC offset (None when the text gave none)."""


def _full_year(digits: str) -> int:
    year = int(digits)
    if len(digits) == 2:
        return year + (2000 if year < _TWO_DIGIT_YEAR_PIVOT else 1900)
    return year


def _moment(match: re.Match[str], year: str, month: int | str, day: str) -> Moment | None:
    """The moment of a match's date parts and time part; None if it does not exist."""
    hour = minute = second = microsecond = 0
    if match["hour"] is not None:
        hour, minute = int(match["hour"]), int(match["minute"])
        second = int(match["second"] or 0)
        microsecond = int((match["fraction"] or "0")[:6].ljust(6, "0"))
        meridiem = match["meridiem"]
        if meridiem:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if meridiem[0] in "pP" else 0)
    try:
        moment = datetime.datetime(_full_year(year), int(month), int(day), hour, minute, second, microsecond)
    except ValueError:
        return None
    return moment, _offset(match["zone"])


def _offset(zone: str | None) -> datetime.timedelta | None:
    if not zone:
        return None
    if zone in "zZ":
        return datetime.timedelta(0)
    digits = zone[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:] or 0)
    return datetime.timedelta(minutes=-minutes if zone[0] == "-" else minutes)


def _numeric_moment(match: re.Match[str], order: DateOrderName) -> Moment | None:
    """The moment of a numeric date read in `order`; a four-digit first part is always year-first."""
    first, middle, last = match["p1"], match["p2"], match["p3"]
    if len(first) == 4 or order == "YMD":
        if len(first) not in (2, 4) or len(last) > 2:
            return None
        return _moment(match, first, middle, last)
    if len(first) > 2 or len(last) not in (2, 4):
        return None
    if order == "DMY":
        return _moment(match, last, middle, first)
    return _moment(match, last, first, middle)


def _named_month_moment(text: str) -> Moment | None:
    for form in _NAMED_MONTH_FORMS:
        match = form.fullmatch(text)
        if match is not None:
            month = _MONTHS.get(match["month_name"].lower())
            return None if month is None else _moment(match, match["year"], month, match["day"])
    return None


def _iso_moment(text: str) -> Moment | None:
    if len(text) >= 10 and text[4] == "-" and text[7] == "-":
        try:
            moment = datetime.datetime.fromisoformat(text)
        except (ValueError, OverflowError):
            return None
        return moment.replace(tzinfo=None), moment.utcoffset()
    return None


def _parse_text_moment(text: str, order: DateOrderName = "MDY") -> Moment | None:
    """The moment of any accepted text form, numeric dates read in `order`; None otherwise."""
    moment = _iso_moment(text)
    if moment is not None:
        return moment
    match = _NUMERIC_DATE.fullmatch(text)
    if match is not None:
        return _numeric_moment(match, order)
    return _named_month_moment(text)


def _classify_moment(text: str) -> Classified:
    """A date text's moment, or `Only`/`Either` of moments for a numeric date read day- or month-first
    (dotted dates are day-first only); INVALID when it reads no way."""
    moment = _iso_moment(text)
    if moment is not None:
        return moment  # type: ignore[return-value]
    match = _NUMERIC_DATE.fullmatch(text)
    if match is None:
        moment = _named_month_moment(text)
        return INVALID if moment is None else moment  # type: ignore[return-value]
    if len(match["p1"]) == 4:
        moment = _numeric_moment(match, "YMD")
        return INVALID if moment is None else moment  # type: ignore[return-value]
    day_first = _numeric_moment(match, "DMY")
    if match["separator"] == ".":
        return INVALID if day_first is None else Only(DAY_FIRST, day_first)  # type: ignore[arg-type]
    month_first = _numeric_moment(match, "MDY")
    if day_first is None:
        return INVALID if month_first is None else Only(MONTH_FIRST, month_first)  # type: ignore[arg-type]
    if month_first is None:
        return Only(DAY_FIRST, day_first)  # type: ignore[arg-type]
    if day_first == month_first:
        return day_first  # type: ignore[return-value]
    return Either(day_first, month_first)  # type: ignore[arg-type]


def serial_to_date(serial: float) -> datetime.date | None:
    """The date of an Excel 1900-system serial number (fraction ignored); None outside the range or for 60."""
    if not 1 <= serial < _LAST_SERIAL_EXCLUSIVE:  # also False for nan
        return None
    day = int(serial)
    if day < _FICTITIOUS_LEAP_DAY_SERIAL:
        return datetime.date.fromordinal(_ORDINAL_BEFORE_SERIAL_1 + day)
    if day == _FICTITIOUS_LEAP_DAY_SERIAL:
        return None
    return datetime.date.fromordinal(_ORDINAL_BASE_AFTER_LEAP_BUG + day)


def serial_to_datetime(serial: float) -> datetime.datetime | None:
    """The date-time of an Excel serial number, time rounded to the millisecond; None when invalid."""
    day = serial_to_date(serial)
    if day is None:
        return None
    milliseconds = round((serial - int(serial)) * _MILLISECONDS_PER_DAY)
    try:
        return datetime.datetime(day.year, day.month, day.day) + datetime.timedelta(milliseconds=milliseconds)
    except OverflowError:  # 9999-12-31 23:59:59.9995 rounds past the last representable day
        return None


def _as_utc_naive(moment: datetime.datetime, offset: datetime.timedelta | None) -> datetime.datetime | None:
    if not offset:
        return moment
    try:
        return moment - offset
    except OverflowError:
        return None


def _day_of(moment: Moment) -> Parsed:
    day = moment[0].date()
    return day if day >= FIRST_EXCEL_DATE else INVALID


def _instant_of(moment: Moment) -> Parsed:
    instant = _as_utc_naive(*moment)
    return instant if instant is not None and instant >= _FIRST_EXCEL_MOMENT else INVALID


def _convert(classified: Classified, convert: Callable[[Moment], Parsed]) -> Classified:
    """A moment classification with every moment turned into the field's value."""
    if type(classified) is Only:
        return Only(classified.reading, convert(classified.value))  # type: ignore[arg-type]
    if type(classified) is Either:
        return Either(convert(classified.first), convert(classified.second))  # type: ignore[arg-type]
    if classified is INVALID:
        return INVALID
    return convert(classified)  # type: ignore[arg-type]


def _iso_day(text: str) -> Parsed | None:
    """The date of a plain ISO date text (the common case, parsed in C); None when it is not one."""
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            day = datetime.date.fromisoformat(text)
        except ValueError:
            return None
        return day if day >= FIRST_EXCEL_DATE else INVALID
    return None


# Date-only numeric texts, the common case, read without building date-times.
_NUMERIC_DAY = re.compile(r"([0-9]{1,2})([-/.])([0-9]{1,2})\2([0-9]{4}|[0-9]{2})", re.ASCII)
_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _exists(year: int, month: int, day: int) -> bool:
    if not 1 <= month <= 12 or day < 1:
        return False
    leap = month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return day <= _DAYS_IN_MONTH[month] + leap and year >= 1


def _day_value(year: int, month: int, day: int) -> Parsed:
    return datetime.date(year, month, day) if year >= FIRST_EXCEL_DATE.year else INVALID


def _classify_numeric_day(match: re.Match[str]) -> Classified:
    """`_classify_moment` for a date-only numeric text with its year last, without date-times."""
    first, separator, second, year_digits = match.groups()
    first_number, second_number, year = int(first), int(second), _full_year(year_digits)
    day_first = _exists(year, second_number, first_number)
    if separator == ".":
        return Only(DAY_FIRST, _day_value(year, second_number, first_number)) if day_first else INVALID
    month_first = _exists(year, first_number, second_number)
    if not day_first:
        return Only(MONTH_FIRST, _day_value(year, first_number, second_number)) if month_first else INVALID
    if not month_first:
        return Only(DAY_FIRST, _day_value(year, second_number, first_number))
    if first_number == second_number:
        return _day_value(year, first_number, second_number)
    return Either(_day_value(year, second_number, first_number), _day_value(year, first_number, second_number))


_ISO_DAY_COLUMN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:\x00[0-9]{4}-[0-9]{2}-[0-9]{2})*+", re.ASCII)


def date_column_shortcut(texts: list[str]) -> tuple[list[Parsed], Reading | None] | None:
    """The dates of a chunk of plain ISO dates from 1900 on; None otherwise (`readings.ColumnShortcut`)."""
    if not _ISO_DAY_COLUMN.fullmatch("\x00".join(texts)):
        return None
    try:
        days = list(map(datetime.date.fromisoformat, texts))
    except ValueError:  # a day that does not exist: the texts one by one say which
        return None
    return (list[Parsed](days), None) if min(days) >= FIRST_EXCEL_DATE else None


def classify_date_text(text: str) -> Classified:
    """A date text as a date (date part as written when it has a time), None if blank, INVALID, or
    `Only`/`Either` of dates for a numeric date that reads day- or month-first (see `readings`)."""
    text = text.strip()
    day = _iso_day(text)
    if day is not None:
        return day
    if not text:
        return None
    match = _NUMERIC_DAY.fullmatch(text)
    if match is not None:
        return _classify_numeric_day(match)
    return _convert(_classify_moment(text), _day_of)


def classify_datetime_text(text: str) -> Classified:
    """A date-time text as a naive (UTC if it had an offset) datetime, None if blank, INVALID, or
    `Only`/`Either` of datetimes (see `classify_date_text`)."""
    text = text.strip()
    if not text:
        return None
    return _convert(_classify_moment(text), _instant_of)


def forced_order_message(order: DateOrderName) -> Callable[[str], str | None]:
    """Why a (transformed) date text failed under a forced `dateOrder` when it is a date in another
    order; None if it is no date in any order."""
    orders: tuple[DateOrderName, ...] = ("DMY", "MDY", "YMD")
    others = [other for other in orders if other != order]

    def message(text: str) -> str | None:
        text = text.strip()
        for other in others:
            moment = _parse_text_moment(text, other)
            if moment is not None:
                shown = moment[0].date().isoformat()
                return f"Not a date in the order {order} that settings.dateOrder sets; {other} it would be {shown}."
        return None

    return message


def date_text_parser(order: DateOrderName) -> Callable[[str], Parsed]:
    """A parser of date texts that reads numeric dates in `order` (a forced `dateOrder`)."""

    def parse_date_text(text: str) -> Parsed:
        text = text.strip()
        day = _iso_day(text)
        if day is not None:
            return day
        if not text:
            return None
        moment = _parse_text_moment(text, order)
        return INVALID if moment is None else _day_of(moment)

    return parse_date_text


def datetime_text_parser(order: DateOrderName) -> Callable[[str], Parsed]:
    """A parser of date-time texts that reads numeric dates in `order` (a forced `dateOrder`)."""

    def parse_datetime_text(text: str) -> Parsed:
        text = text.strip()
        if not text:
            return None
        moment = _parse_text_moment(text, order)
        return INVALID if moment is None else _instant_of(moment)

    return parse_datetime_text


def parse_date_cell(value: CellValue) -> Parsed:
    """A date for a date/datetime cell (its date) or an Excel serial number cell; INVALID otherwise
    (text is parsed by the column's reader, not here)."""
    kind = type(value)
    if kind is datetime.date:
        return value if value >= FIRST_EXCEL_DATE else INVALID  # type: ignore[operator]
    if kind is datetime.datetime:
        day = value.date()  # type: ignore[union-attr]
        return day if day >= FIRST_EXCEL_DATE else INVALID
    if kind is float or kind is int:
        day = serial_to_date(value)  # type: ignore[arg-type]
        return INVALID if day is None else day
    if isinstance(value, datetime.datetime):
        return parse_date_cell(value.date())
    if isinstance(value, datetime.date):
        return parse_date_cell(datetime.date(value.year, value.month, value.day))
    return INVALID


def parse_datetime_cell(value: CellValue) -> Parsed:
    """A naive datetime for a datetime cell, a date cell (midnight) or a serial number; INVALID otherwise
    (text is parsed by the column's reader, not here)."""
    if isinstance(value, datetime.datetime):
        moment = _as_utc_naive(value.replace(tzinfo=None), value.utcoffset())
    elif isinstance(value, datetime.date):
        moment = datetime.datetime(value.year, value.month, value.day)
    elif type(value) is float or type(value) is int:
        moment = serial_to_datetime(value)
    else:
        return INVALID
    return moment if moment is not None and moment >= _FIRST_EXCEL_MOMENT else INVALID


def bound_date(text: str) -> datetime.date | None:
    """A range bound as a date: any accepted date text (no 1900 floor); None if it is not one."""
    text = text.strip()
    parsed = _parse_text_moment(text)
    return None if parsed is None else parsed[0].date()


def bound_datetime(text: str) -> datetime.datetime | None:
    """A range bound as a naive datetime (UTC if it has an offset); None if it is not one."""
    parsed = _parse_text_moment(text.strip())
    return None if parsed is None else _as_utc_naive(*parsed)


def _is_before_1900(value: CellValue) -> bool:
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None) < _FIRST_EXCEL_MOMENT
    if isinstance(value, datetime.date):
        return value < FIRST_EXCEL_DATE
    if isinstance(value, str):
        text = value.strip()
        # any reading before 1900 explains the failure: no reading of a numeric date moves it by a century
        parsed = _parse_text_moment(text, "DMY") or _parse_text_moment(text, "MDY") or _parse_text_moment(text, "YMD")
        return parsed is not None and parsed[0] < _FIRST_EXCEL_MOMENT
    return False


def date_failure_message(value: CellValue) -> str:
    """Why a value is not an acceptable date, in one sentence."""
    if _is_before_1900(value):
        return "Before 1900-01-01, the earliest date Excel can store."
    return "Not a recognised date (e.g. 2024-03-01, 03/01/2024, 1 Mar 2024)."


def datetime_failure_message(value: CellValue) -> str:
    """Why a value is not an acceptable date and time, in one sentence."""
    if _is_before_1900(value):
        return "Before 1900-01-01, the earliest date Excel can store."
    return "Not a recognised date and time (e.g. 2024-03-01 14:30)."
