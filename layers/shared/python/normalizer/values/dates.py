"""`date` and `datetime` parsing: date cells, Excel serial numbers and the common text forms.

Accepted text (case-insensitive, surrounding whitespace ignored), each optionally followed by a time
part ("T" or spaces, then H:MM[:SS[.fraction]], optional AM/PM, optional "Z" or ±HH:MM offset):
ISO "2024-03-01" (also "2024/03/01", "2024.3.1"), month first "03/01/2024", "3/1/24",
"1 Mar 2024", "1 March 2024", "01-Mar-2024", "1st March 2024", "March 1, 2024", "Mar 1 2024".

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

from normalizer.values.cells import CellValue
from normalizer.values.columns import INVALID, Parsed

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
_MONTH_FIRST_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})", re.ASCII)
_ORDINAL_SUFFIX = r"(?:st|nd|rd|th)?"
_DATE_FORMS = tuple(
    re.compile(date_part + _TIME_PART, re.ASCII | re.IGNORECASE)
    for date_part in (
        r"(?P<year>[0-9]{4})([-/.])(?P<month>[0-9]{1,2})\2(?P<day>[0-9]{1,2})",
        r"(?P<month>[0-9]{1,2})/(?P<day>[0-9]{1,2})/(?P<year>[0-9]{4}|[0-9]{2})",
        r"(?P<day>[0-9]{1,2})"
        + _ORDINAL_SUFFIX
        + r"(?:\s+|-)(?P<month_name>[a-z]{3,9})\.?,?(?:\s+|-)(?P<year>[0-9]{4}|[0-9]{2})",
        r"(?P<month_name>[a-z]{3,9})\.?\s+(?P<day>[0-9]{1,2})" + _ORDINAL_SUFFIX + r",?\s+(?P<year>[0-9]{4})",
    )
)


def _full_year(digits: str) -> int:
    year = int(digits)
    if len(digits) == 2:
        return year + (2000 if year < _TWO_DIGIT_YEAR_PIVOT else 1900)
    return year


def _moment_from_match(match: re.Match[str]) -> tuple[datetime.datetime, datetime.timedelta | None] | None:
    """(naive date-time as written, UTC offset or None) from a `_DATE_FORMS` match; None if impossible."""
    parts = match.groupdict()
    month_name = parts.get("month_name")
    month = _MONTHS.get(month_name.lower()) if month_name else int(parts["month"])
    if month is None:
        return None
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
    offset = _offset(match["zone"])
    try:
        moment = datetime.datetime(
            _full_year(match["year"]), month, int(match["day"]), hour, minute, second, microsecond
        )
    except ValueError:
        return None
    return moment, offset


def _offset(zone: str | None) -> datetime.timedelta | None:
    if not zone:
        return None
    if zone in "zZ":
        return datetime.timedelta(0)
    digits = zone[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:] or 0)
    return datetime.timedelta(minutes=-minutes if zone[0] == "-" else minutes)


def _parse_text_moment(text: str) -> tuple[datetime.datetime, datetime.timedelta | None] | None:
    """(naive date-time as written, UTC offset or None) for any accepted text form; None otherwise."""
    if len(text) >= 10 and text[4] == "-" and text[7] == "-":
        try:
            moment = datetime.datetime.fromisoformat(text)
        except (ValueError, OverflowError):
            pass
        else:
            return moment.replace(tzinfo=None), moment.utcoffset()
    for form in _DATE_FORMS:
        match = form.fullmatch(text)
        if match is not None:
            return _moment_from_match(match)
    return None


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


def parse_date_text(text: str) -> Parsed:
    """The date a text denotes (date part as written when it has a time), None if blank, else INVALID."""
    text = text.strip()
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            day = datetime.date.fromisoformat(text)
        except ValueError:
            pass
        else:
            return day if day >= FIRST_EXCEL_DATE else INVALID
    if not text:
        return None
    match = _MONTH_FIRST_DATE.fullmatch(text)
    if match is not None:
        try:
            day = datetime.date(int(match[3]), int(match[1]), int(match[2]))
        except ValueError:
            return INVALID
        return day if day >= FIRST_EXCEL_DATE else INVALID
    parsed = _parse_text_moment(text)
    if parsed is None:
        return INVALID
    day = parsed[0].date()
    return day if day >= FIRST_EXCEL_DATE else INVALID


def parse_datetime_text(text: str) -> Parsed:
    """The naive (UTC if an offset was given) datetime a text denotes, None if blank, else INVALID."""
    text = text.strip()
    if not text:
        return None
    parsed = _parse_text_moment(text)
    if parsed is None:
        return INVALID
    moment = _as_utc_naive(*parsed)
    return moment if moment is not None and moment >= _FIRST_EXCEL_MOMENT else INVALID


def parse_date_cell(value: CellValue) -> Parsed:
    """A date for a date/datetime cell (its date) or an Excel serial number cell; INVALID otherwise."""
    kind = type(value)
    if kind is datetime.date:
        return value if value >= FIRST_EXCEL_DATE else INVALID  # type: ignore[operator]
    if kind is datetime.datetime:
        day = value.date()  # type: ignore[union-attr]
        return day if day >= FIRST_EXCEL_DATE else INVALID
    if kind is float or kind is int:
        day = serial_to_date(value)  # type: ignore[arg-type]
        return INVALID if day is None else day
    if isinstance(value, str):
        return parse_date_text(str(value))
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return parse_date_cell(datetime.date(value.year, value.month, value.day))
    if isinstance(value, datetime.datetime):
        return parse_date_cell(value.date())
    return INVALID


def parse_datetime_cell(value: CellValue) -> Parsed:
    """A naive datetime for a datetime cell, a date cell (midnight) or a serial number; INVALID otherwise."""
    if isinstance(value, datetime.datetime):
        moment = _as_utc_naive(value.replace(tzinfo=None), value.utcoffset())
    elif isinstance(value, datetime.date):
        moment = datetime.datetime(value.year, value.month, value.day)
    elif type(value) is float or type(value) is int:
        moment = serial_to_datetime(value)
    elif isinstance(value, str):
        return parse_datetime_text(str(value))
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
        parsed = _parse_text_moment(value.strip())
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
