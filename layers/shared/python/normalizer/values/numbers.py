"""`integer` and `number` parsing.

Decisions where the spec is silent:
- Integers must fit in ±2**53 (what an Excel cell holds exactly); bigger ones are `invalid_integer`
  (kept as text, so no digits are lost). Whole-number text may carry a zero fraction: "42.0" → 42.
- Numbers: finite only (nan/inf cells are `invalid_number`); text may use "," thousands separators,
  a leading sign, an exponent, a currency symbol ($ € £ ¥) before or after the digits, a trailing %
  (divided by 100) and accounting parentheses for negatives: "(12.50)" → -12.5, "$(1,200)" is not
  accepted but "($1,200)" is. Decimal commas ("1.234,5") are not accepted.
- Booleans are not numbers: a TRUE/FALSE cell in a numeric field is invalid.
- Number text parses to float; int cells stay int (both are written as numbers).
"""

from __future__ import annotations

import re

from normalizer.values.cells import CellValue
from normalizer.values.columns import INVALID, Parsed

MAX_EXACT_INTEGER = 2**53

_INTEGER_TEXT = re.compile(r"([+-]?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.0*)?", re.ASCII)
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_GROUPED_NUMBER = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?", re.ASCII)
_DECORATED_NUMBER = re.compile(
    r"""
    (?P<open>\(\s*)?
    (?P<sign>[+-])?\s*
    (?P<lead>[$€£¥])?\s*
    (?P<sign2>[+-])?
    (?P<digits>(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+)
    (?P<exponent>[eE][+-]?[0-9]+)?
    \s*(?P<trail>[$€£¥])?
    \s*(?P<percent>%)?
    (?P<close>\s*\))?
    """,
    re.ASCII | re.VERBOSE,
)


def parse_integer_text(text: str) -> int | None:
    """The int a text denotes ("42", " 1,234 ", "-7", "42.0"), or None. Never raises."""
    text = text.strip()
    if text.isdigit() and text.isascii() and len(text) <= 16:
        number = int(text)
        return number if number <= MAX_EXACT_INTEGER else None
    match = _INTEGER_TEXT.fullmatch(text)
    if match is None:
        return None
    digits = match[2].replace(",", "")
    if len(digits.lstrip("0")) > 16:
        return None
    number = int(digits)
    if number > MAX_EXACT_INTEGER:
        return None
    return -number if match[1] == "-" else number


def parse_number_text(text: str) -> float | None:
    """The finite float a text denotes ("1,234.5", "(12.50)", "12%", "$5", "1e3"), or None. Never raises."""
    text = text.strip()
    if _PLAIN_NUMBER.fullmatch(text):
        number = float(text)
    elif _GROUPED_NUMBER.fullmatch(text):
        number = float(text.replace(",", ""))
    else:
        match = _DECORATED_NUMBER.fullmatch(text)
        if match is None:
            return None
        parenthesised = match["open"] is not None
        if parenthesised != (match["close"] is not None):
            return None
        if match["sign"] and match["sign2"]:
            return None
        if match["lead"] and match["trail"]:
            return None
        sign = match["sign"] or match["sign2"]
        if parenthesised and sign:
            return None
        number = float(match["digits"].replace(",", "") + (match["exponent"] or ""))
        if match["percent"]:
            number /= 100
        if parenthesised or sign == "-":
            number = -number
    # inf - inf and nan - nan are nan, which is never equal to 0.0
    return number if number - number == 0.0 else None


def parse_integer_text_or_invalid(text: str) -> Parsed:
    number = parse_integer_text(text)
    if number is not None:
        return number
    return None if not text.strip() else INVALID


def parse_integer_cell(value: CellValue) -> Parsed:
    """An int for an int cell or a whole float cell within ±2**53; INVALID otherwise."""
    if type(value) is float:
        if value.is_integer() and -MAX_EXACT_INTEGER <= value <= MAX_EXACT_INTEGER:
            return int(value)
        return INVALID
    if type(value) is int:
        return value if -MAX_EXACT_INTEGER <= value <= MAX_EXACT_INTEGER else INVALID
    if isinstance(value, str):
        return parse_integer_text_or_invalid(str(value))
    return INVALID


def parse_number_text_or_invalid(text: str) -> Parsed:
    number = parse_number_text(text)
    if number is not None:
        return number
    return None if not text.strip() else INVALID


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
    if isinstance(value, str):
        return parse_number_text_or_invalid(str(value))
    return INVALID


def integer_failure_message(value: CellValue) -> str:
    """Why a value is not an acceptable integer, in one sentence."""
    whole_float = type(value) is float and value.is_integer()
    integer_text = isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip()) is not None
    if whole_float or integer_text or type(value) is int:
        return "Too large to store exactly as a number."
    return "Not a whole number."


def number_failure_message(value: CellValue) -> str:
    """Why a value is not an acceptable number, in one sentence."""
    return "Not a number."
