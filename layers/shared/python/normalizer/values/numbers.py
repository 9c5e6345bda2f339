"""`integer` and `number` parsing, in the world's number formats.

A number text is an optional sign, currency and accounting brackets around a numeric core, then an
optional exponent and percent sign. The core is read two ways (`readings`): with a decimal point
(`,`, space or `'` group thousands) and with a decimal comma (`.`, space or `'` group thousands). A
text valid one way alone is evidence for it (`1.234,56`, `12,5` say comma; `1,234.56`, `12.5` say
point); a text valid both ways with different values is ambiguous (`1,234`, `1.234`); a text equal
both ways is plain (`1234`, `1 234`). Which reading an ambiguous text takes is the column's
`decimalSeparator` (`auto` decides per column: see `readings`).

Decisions where the spec is silent:
- Thousands groups: a first group of 1-3 digits not starting with 0, then groups of exactly three
  digits, all with the same separator (`1.234.567`, `1 234 567`, `1'234'567`). Spaces include the
  no-break and thin spaces French exports use, apostrophes the typographic one. Indian grouping
  (`12,34,567`) is not accepted.
- Currency: a symbol ($ € £ ¥ ₹ ₽ ₩ ₪ ₺ ₫ ₴ ₦ ₱ ฿ ¢), a prefixed dollar (US$, C$, A$, NZ$, HK$, S$,
  R$, NT$, Mex$), kr, zł, Kč, Ft, Fr., Rs, or an upper-case ISO 4217 code from `CURRENCY_CODES`,
  before or after the digits (not both), with or without a space. It is dropped.
- Signs: a leading sign before or after a leading currency, or accounting brackets: "(12.50)" →
  -12.5, "($1,200)" → -1200; "$(1,200)" and a sign inside brackets are not accepted.
- A trailing % divides by 100. An exponent ("1e3", "1,5e3") is allowed on any core.
- Integers must fit in ±2**53 (what an Excel cell holds exactly); bigger ones are `invalid_integer`
  (kept as text, so no digits are lost). A whole number may carry a zero fraction ("42.0", "42,00");
  exponents and percents are not integers. Currency is dropped for integers too.
- Numbers: finite only (nan/inf cells are `invalid_number`). Booleans are not numbers: a TRUE/FALSE
  cell in a numeric field is invalid. Number text parses to float; int cells stay int.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from normalizer.values.cells import CellValue
from normalizer.values.columns import INVALID, Parsed
from normalizer.values.readings import Classified, Either, Only, Reading, resolve

MAX_EXACT_INTEGER = 2**53
_MAX_EXACT_DIGITS = 16

DECIMAL_COMMA = Reading.FIRST
DECIMAL_POINT = Reading.SECOND
READING_NAMES = ("with a decimal comma", "with a decimal point")

CURRENCY_CODES = frozenset(
    {
        "USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "NZD", "CNY", "HKD", "SGD", "TWD", "KRW", "INR",
        "IDR", "MYR", "PHP", "THB", "VND", "PKR", "BDT", "LKR", "NPR", "SEK", "NOK", "DKK", "ISK", "PLN",
        "CZK", "HUF", "RON", "BGN", "RSD", "UAH", "RUB", "TRY", "ILS", "AED", "SAR", "QAR", "KWD", "BHD",
        "OMR", "JOD", "EGP", "MAD", "TND", "DZD", "NGN", "KES", "GHS", "ZAR", "BRL", "MXN", "ARS", "CLP",
        "COP", "PEN", "UYU", "BOB", "PYG",
    }
)  # fmt: skip
_CURRENCY = (
    r"(?:[$€£¥₹₽₩₪₺₫₴₦₱฿¢]|(?:US|C|A|NZ|HK|S|R|NT|Mex)\$|kr\.?|zł|Kč|Ft|Fr\.|Rs\.?|"
    + "|".join(sorted(CURRENCY_CODES))
    + ")"
)
# The numeric core: digits with separators, ending in a digit or a lone decimal mark ("5."), or ".5".
_NUMBER_TEXT = re.compile(
    rf"""
    (?P<open>\(\s*)?
    (?P<sign>[+-])?\s*
    (?:(?P<lead>{_CURRENCY})\s*)?
    (?P<sign2>[+-])?
    (?P<core>[0-9](?:[0-9.,'\u2019 \u00a0\u202f\u2009]*[0-9])?[.,]?|[.,][0-9]+)
    (?P<exponent>[eE][+-]?[0-9]+)?
    (?:\s*(?P<trail>{_CURRENCY}))?
    (?:\s*(?P<percent>%))?
    (?P<close>\s*\))?
    """,
    re.VERBOSE,
)
_PLAIN_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
# Spaces and apostrophes other than the ASCII ones, as the ASCII ones (only grouping uses them).
_ASCII_SEPARATORS = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2019": "'"})
# A core read with one decimal mark: plain digits or thousands groups (one separator throughout), then
# the mark and the fraction; ".5" and "5." too.
_CORES = {
    reading: re.compile(
        rf"(?P<whole>[0-9]++|[1-9][0-9]{{0,2}}(?P<separator>[{grouping}])[0-9]{{3}}(?:(?P=separator)[0-9]{{3}})*+)?"
        rf"(?:{re.escape(mark)}(?P<fraction>[0-9]*+))?",
        re.ASCII,
    )
    for reading, mark, grouping in ((DECIMAL_POINT, ".", ", '"), (DECIMAL_COMMA, ",", ". '"))
}

Digits = tuple[str, str]
"""(integer digits, fraction digits) of a core under one reading."""


def _split_core(core: str, reading: Reading) -> Digits | None:
    """The integer and fraction digits of an ASCII core read with `reading`'s marks; None if invalid."""
    match = _CORES[reading].fullmatch(core)
    if match is None:
        return None
    whole, separator, fraction = match.groups()
    if whole is None:
        return ("0", fraction) if fraction else None
    return (whole.replace(separator, "") if separator else whole), fraction or ""


class _Parts:
    """A number text's decorations, found once and shared by both readings."""

    __slots__ = ("exponent", "negative", "percent")

    def __init__(self, negative: bool, exponent: str, percent: bool) -> None:
        self.negative = negative
        self.exponent = exponent
        self.percent = percent


Convert = Callable[[Digits, _Parts], Parsed]


def _to_float(digits: Digits, parts: _Parts) -> Parsed:
    whole, fraction = digits
    number = float(f"{whole}.{fraction or '0'}{parts.exponent}")
    if parts.percent:
        number /= 100
    if parts.negative:
        number = -number
    # inf - inf and nan - nan are nan, which is never equal to 0.0
    return number if number - number == 0.0 else INVALID


def _too_large(whole: str) -> bool:
    # the length test first: int() of thousands of digits is slow, and refused past Python's limit
    return len(whole.lstrip("0")) > _MAX_EXACT_DIGITS or int(whole) > MAX_EXACT_INTEGER


def _to_integer(digits: Digits, parts: _Parts) -> Parsed:
    whole, fraction = digits
    if parts.exponent or parts.percent or fraction.strip("0") or _too_large(whole):
        return INVALID
    number = int(whole)
    return -number if parts.negative else number


def _decorations(text: str) -> tuple[str, _Parts] | None:
    """The ASCII core and the decorations of a number text; None when it is not shaped like one."""
    match = _NUMBER_TEXT.fullmatch(text)
    if match is None:
        return None
    bracketed = match["open"] is not None
    sign = match["sign"] or match["sign2"]
    if (
        bracketed != (match["close"] is not None)
        or (match["sign"] and match["sign2"])
        or (match["lead"] and match["trail"])
        or (bracketed and sign)
    ):
        return None
    core = match["core"].translate(_ASCII_SEPARATORS)
    if not core.isascii():
        return None
    negative = bracketed or sign == "-"
    return core, _Parts(negative, match["exponent"] or "", match["percent"] is not None)


def _classify(text: str, convert: Convert) -> Classified:
    text = text.strip()
    if _PLAIN_INTEGER.fullmatch(text):
        negative = text[0] == "-"
        return convert((text.lstrip("+-"), ""), _Parts(negative, "", False))
    found = _decorations(text)
    if found is None:
        return INVALID if text else None
    core, parts = found
    point = _split_core(core, DECIMAL_POINT)
    comma = _split_core(core, DECIMAL_COMMA)
    if point is None:
        return INVALID if comma is None else Only(DECIMAL_COMMA, convert(comma, parts))
    if comma is None:
        return Only(DECIMAL_POINT, convert(point, parts))
    if point == comma:
        return convert(point, parts)
    return Either(convert(comma, parts), convert(point, parts))


# Column shortcuts: every text of the chunk plain, joined by NUL into one string checked by one regex.
# A plain decimal is evidence for its mark unless it is shaped like a thousands group ("1.234"); a
# grouped number with a fraction ("1,234.56", "1.234,56") always is. A currency symbol may lead
# ("$1,234.56") or, with decimal commas, trail ("1.234,56 €").
_JOINER = "\x00"
_SYMBOLS = "$€£¥"
_PLAIN_INTEGER_ITEM = r"[+-]?+[0-9]++"
_SHORT_INTEGER_ITEM = r"[+-]?+[0-9]{1,15}+"


def _decimal_core(mark: str, grouping: str) -> str:
    mark, grouping = re.escape(mark), re.escape(grouping)
    plain = rf"(?![1-9][0-9]{{0,2}}{mark}[0-9]{{3}}(?![0-9]))[0-9]*+{mark}[0-9]++"
    grouped = rf"[1-9][0-9]{{0,2}}+(?:{grouping}[0-9]{{3}})++{mark}[0-9]++"
    return rf"(?:{plain}|{grouped}|[0-9]++)"


def _column_of(item: str) -> re.Pattern[str]:
    return re.compile(rf"(?:{item})(?:{_JOINER}(?:{item}))*+", re.ASCII)


_INTEGER_COLUMN = _column_of(_PLAIN_INTEGER_ITEM)
_SHORT_INTEGER_COLUMN = _column_of(_SHORT_INTEGER_ITEM)
_POINT_COLUMN = _column_of(rf"[+-]?+[{_SYMBOLS}]?+{_decimal_core('.', ',')}")
_COMMA_CORE = _decimal_core(",", ".")
_COMMA_COLUMN = _column_of(rf"[+-]?+(?:[{_SYMBOLS}]{_COMMA_CORE}|{_COMMA_CORE}(?:[ \u00a0]?+[{_SYMBOLS}])?+)")
_POINT_NOISE = str.maketrans("", "", "," + _SYMBOLS)
_COMMA_NOISE = str.maketrans({".": None, " ": None, "\u00a0": None, ",": "."} | dict.fromkeys(_SYMBOLS))


def number_column_shortcut(texts: list[str]) -> tuple[list[Parsed], Reading | None] | None:
    """The floats of a chunk of plain numbers ("12", "-3.5", "$1,234.56", "1.234,56 €"), and the mark
    they show; None when some text is not that plain (`readings.ColumnShortcut`)."""
    joined = _JOINER.join(texts)
    if joined.count(_JOINER) != len(texts) - 1:  # a NUL inside a text would shift the split
        return None
    if _INTEGER_COLUMN.fullmatch(joined):
        return list(map(float, texts)), None
    if _POINT_COLUMN.fullmatch(joined):
        return list(map(float, joined.translate(_POINT_NOISE).split(_JOINER))), DECIMAL_POINT
    if _COMMA_COLUMN.fullmatch(joined):
        return list(map(float, joined.translate(_COMMA_NOISE).split(_JOINER))), DECIMAL_COMMA
    return None


def integer_column_shortcut(texts: list[str]) -> tuple[list[Parsed], Reading | None] | None:
    """The ints of a chunk of plain integers of up to 15 digits; None otherwise (`readings.ColumnShortcut`)."""
    joined = _JOINER.join(texts)
    if joined.count(_JOINER) == len(texts) - 1 and _SHORT_INTEGER_COLUMN.fullmatch(joined):
        return list(map(int, texts)), None
    return None


def classify_number_text(text: str) -> Classified:
    """A number text as a float, None if blank, INVALID, or `Only`/`Either` (see the module doc)."""
    return _classify(text, _to_float)


def classify_integer_text(text: str) -> Classified:
    """An integer text as an int, None if blank, INVALID, or `Only`/`Either` (see the module doc)."""
    return _classify(text, _to_integer)


def parse_number_text(text: str, reading: Reading = DECIMAL_POINT) -> float | None:
    """The finite float a text denotes read with `reading`'s decimal mark, or None. Never raises."""
    value = resolve(classify_number_text(text), reading)
    return value if type(value) is float else None


def parse_integer_cell(value: CellValue) -> Parsed:
    """An int for an int cell or a whole float cell within ±2**53; INVALID otherwise (text is parsed
    by the column's reader, not here)."""
    if type(value) is float:
        if value.is_integer() and -MAX_EXACT_INTEGER <= value <= MAX_EXACT_INTEGER:
            return int(value)
        return INVALID
    if type(value) is int:
        return value if -MAX_EXACT_INTEGER <= value <= MAX_EXACT_INTEGER else INVALID
    return INVALID


def parse_number_cell(value: CellValue) -> Parsed:
    """The number for a finite int/float cell; INVALID for nan/inf, booleans, dates and the rest."""
    if type(value) is float:
        return value if value - value == 0.0 else INVALID
    if type(value) is int:
        if -MAX_EXACT_INTEGER <= value <= MAX_EXACT_INTEGER:
            return value
        try:
            return float(value)
        except OverflowError:
            return INVALID
    return INVALID


def _whole_but_too_large(text: str) -> bool:
    found = _decorations(text.strip())
    if found is None:
        return False
    core, parts = found
    if parts.exponent or parts.percent:
        return False
    for reading in (DECIMAL_POINT, DECIMAL_COMMA):
        digits = _split_core(core, reading)
        if digits is not None and not digits[1].strip("0") and _too_large(digits[0]):
            return True
    return False


def integer_failure_message(value: CellValue) -> str:
    """Why a value is not an acceptable integer, in one sentence."""
    whole_float = type(value) is float and value.is_integer()
    if whole_float or type(value) is int or (isinstance(value, str) and _whole_but_too_large(value)):
        return "Too large to store exactly as a number."
    return "Not a whole number."


def number_failure_message(value: CellValue) -> str:
    """Why a value is not an acceptable number, in one sentence."""
    return "Not a number."
