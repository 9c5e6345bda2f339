"""`email` and `phone` parsing.

Decisions where the spec is silent:
- E-mail: exactly one "@", a non-empty local part, a domain of two or more non-empty dot-separated
  labels; whitespace and , ; < > ( ) [ ] \\ " are not allowed anywhere. The whole address is
  lower-cased (also the local part, which real mail systems treat case-insensitively).
- Phone: after removing spaces (also tabs, newlines, no-break spaces), dots, dashes and brackets
  ( ) [ ], what remains must be an optional leading "+" and 7-15 ASCII digits. A number with a "+",
  and every number when the configuration has a `defaultRegion`, is then checked and written in
  E.164 by libphonenumber's rules (`phones`); any other number is written as its "+" and digits.
  Extensions ("x123", "ext. 4") and letters are invalid: neither written form can hold an extension,
  and dropping it would lose part of the value. A number cell is read via its text form.
"""

from __future__ import annotations

import re

from normalizer.values.cells import CellValue
from normalizer.values.columns import INVALID, Parsed, TextsParser, indices_of
from normalizer.values.phones import E164Numbers

_EMAIL = re.compile(r'[^\s@,;<>()\[\]\\"]+@[^\s@,;<>()\[\]\\".]+(?:\.[^\s@,;<>()\[\]\\".]+)+')
_PHONE_SEPARATOR_BYTES = b" \t\n\r.-()[]"
_PHONE_SEPARATORS = str.maketrans("", "", " \t\n\r\xa0.-()[]")
_PHONE_MIN_DIGITS = 7
_PHONE_MAX_DIGITS = 15
# A valid compact phone number, alone and as a column of them joined by NUL (which no separator
# deletes). Empty items (blank cells) pass the column check and are marked INVALID after it. The
# quantifiers are possessive: NUL ends every item, so there is nothing to backtrack for.
_COMPACT_PHONE = re.compile(rf"\+?[0-9]{{{_PHONE_MIN_DIGITS},{_PHONE_MAX_DIGITS}}}")
_COMPACT_PHONE_OR_EMPTY = rf"(?:\+?+[0-9]{{{_PHONE_MIN_DIGITS},{_PHONE_MAX_DIGITS}}}+)?+"
_COLUMN_JOINER = "\x00"
_COMPACT_PHONE_COLUMN = re.compile(rf"{_COMPACT_PHONE_OR_EMPTY}(?:{_COLUMN_JOINER}{_COMPACT_PHONE_OR_EMPTY})*+")


def parse_email_text(text: str) -> Parsed:
    """The lower-cased address, or INVALID."""
    text = text.strip()
    return text.lower() if _EMAIL.fullmatch(text) else INVALID


def parse_phone_text(text: str) -> Parsed:
    """ "+" (if given) and the digits of a 7-15 digit phone number, or INVALID."""
    try:
        # bytes.translate deletes in C at ~5x the speed of str.translate with a dict table
        compact = text.encode("ascii").translate(None, _PHONE_SEPARATOR_BYTES).decode("ascii")
    except UnicodeEncodeError:
        compact = text.translate(_PHONE_SEPARATORS)
    digits = compact[1:] if compact[:1] == "+" else compact
    if _PHONE_MIN_DIGITS <= len(digits) <= _PHONE_MAX_DIGITS and digits.isdigit() and digits.isascii():
        return compact
    return INVALID


def parse_email_texts(texts: list[str]) -> list[Parsed]:
    """`parse_email_text` over a column, with no Python frame per text."""
    stripped = list(map(str.strip, texts))
    matches = list(map(_EMAIL.fullmatch, stripped))
    parsed: list[Parsed] = list(map(str.lower, stripped))
    for index in indices_of(matches, None):
        parsed[index] = INVALID
    return parsed


def compact_phone_texts(texts: list[str]) -> list[str]:
    """The compact form of each phone text ("+" if given, then the digits), "" where the text is no
    7-15 digit phone number: one translate for the whole column, one regex when all are valid."""
    joined = _COLUMN_JOINER.join(texts)
    if not joined.isascii() or joined.count(_COLUMN_JOINER) != len(texts) - 1:
        # non-ASCII separators need the str path; a NUL inside a text would shift the split
        return [number if type(number) is str else "" for number in map(parse_phone_text, texts)]
    compact = joined.encode("ascii").translate(None, _PHONE_SEPARATOR_BYTES).decode("ascii")
    numbers = compact.split(_COLUMN_JOINER)
    if not _COMPACT_PHONE_COLUMN.fullmatch(compact):
        return [number if _COMPACT_PHONE.fullmatch(number) else "" for number in numbers]
    return numbers


def parse_phone_texts(texts: list[str]) -> list[Parsed]:
    """`parse_phone_text` over a column (see `compact_phone_texts`)."""
    parsed = list[Parsed](compact_phone_texts(texts))
    for index in indices_of(parsed, ""):
        parsed[index] = INVALID
    return parsed


def phone_texts_parser(region: str | None) -> TextsParser:
    """`parse_phone_texts`, then E.164 as libphonenumber writes it for numbers with a "+" (and for
    all numbers with a `region`), INVALID when libphonenumber finds the number invalid.

    Keeps the calling codes it has seen (use one per column). Raises ValueError for an unknown region.
    """
    e164 = E164Numbers(region)

    def parse_texts(texts: list[str]) -> list[Parsed]:
        return e164.convert(compact_phone_texts(texts))

    return parse_texts


def email_failure_message(value: CellValue) -> str:
    """Why a value is not an e-mail address, in one sentence."""
    return "Not a valid e-mail address."


def phone_failure_message(value: CellValue) -> str:
    """Why a value is not a phone number, in one sentence."""
    if isinstance(value, str) and parse_phone_text(value) is not INVALID:
        return "Not a valid phone number in its country's numbering plan."
    return "Not a valid phone number (7 to 15 digits, optionally with a leading +)."
