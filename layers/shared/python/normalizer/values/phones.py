"""Phone numbers in E.164, checked with libphonenumber's rules (the `phonenumberslite` package).

A phone text first passes the syntax check of `contacts` (7-15 digits, an optional leading "+",
spaces, dots, dashes, brackets). Then:
- with a "+" or a `defaultRegion`, it is parsed, checked and written the way libphonenumber does:
  `parse(compact text, defaultRegion)`, `is_valid_number`, E.164 (`+14165550123`); a number that
  libphonenumber calls invalid is `invalid_phone`;
- otherwise the "+" and the digits are written, as before.

Speed: libphonenumber costs about 45 µs a number here, several times the whole engine's budget per
row. So the common shapes are checked by one regular expression per column chunk, compiled from
libphonenumber's own metadata: the validity patterns of every number type of every region of a country
calling code, in the order `is_valid_number` tries them (`region_code_for_number`, `_number_type_helper`).
That expression only decides numbers whose parse is trivial: `+<code><national number>` whose national
number starts with nothing the main region could strip as a national prefix, and, with a default region,
digits that start with neither its international prefix, its calling code nor its national prefix. A
number that starts with a national prefix (`030 1234567` in Germany, `+44 (0)20 …`) has the prefix
stripped by libphonenumber's own helpers, as `parse` calls them, and is then checked by the same
expression (about 6 µs). Only numbers that start with an international prefix or the region's calling
code go to libphonenumber's `parse` itself. So the result is libphonenumber's in every case;
`tests/unit/normalizer/test_values_phones.py` checks the paths against `parse` + `is_valid_number` on
the example numbers of every region and calling code, altered, and on generated numbers.

The combined expression of a calling code is compiled once per process on first use (for +1, with its
25 regions, about 30-100 ms), and phonenumbers is imported only when a number needs it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from types import ModuleType
from typing import TYPE_CHECKING

from normalizer.values.columns import INVALID, Parsed, indices_of

if TYPE_CHECKING:
    from phonenumbers import PhoneMetadata


@functools.cache
def _library() -> ModuleType:
    """phonenumbers, imported on first use: it takes longer to import than most runs spend on phones."""
    import phonenumbers

    return phonenumbers


def _regions_of(country_code: int) -> tuple[str, ...]:
    regions: tuple[str, ...] = _library().COUNTRY_CODE_TO_REGION_CODE.get(country_code, ())
    return regions


_TYPE_DESCS = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail")
_MAX_COUNTRY_CODE_DIGITS = 3


def is_known_region(region: str) -> bool:
    """Whether libphonenumber has metadata for a region code (`GB`, not `UK`)."""
    return region in _library().SUPPORTED_REGIONS


def e164_by_libphonenumber(compact: str, region: str | None) -> Parsed:
    """The E.164 form of a compact number as libphonenumber parses and validates it; INVALID otherwise."""
    library = _library()
    try:
        number = library.parse(compact, region)
    except library.NumberParseException:
        return INVALID
    if not library.is_valid_number(number):
        return INVALID
    e164: str = library.format_number(number, library.PhoneNumberFormat.E164)
    return e164


def _metadata(region: str, country_code: int) -> PhoneMetadata | None:
    metadata_class = _library().PhoneMetadata
    metadata: PhoneMetadata | None = (
        metadata_class.metadata_for_nongeo_region(country_code, None)
        if region == "001"
        else metadata_class.metadata_for_region(region, None)
    )
    return metadata


def _desc_pattern(desc: object | None) -> str | None:
    """`_is_number_matching_desc` as a pattern matching the rest of the text; None if it never matches."""
    pattern = getattr(desc, "national_number_pattern", None)
    if not pattern:
        return None
    lengths = sorted(set(getattr(desc, "possible_length", ()) or ()))
    if -1 in lengths:
        return None
    guard = f"(?=(?:{'|'.join(f'[0-9]{{{length}}}' for length in lengths)})\\Z)" if lengths else ""
    return f"{guard}(?:{pattern})\\Z"


def _valid_in_region(metadata: PhoneMetadata) -> str | None:
    """`_number_type_helper(...) != UNKNOWN` as a pattern; None if no number is valid there. The order
    of the types does not change the answer; fixed line and mobile come first as the likeliest."""
    general = _desc_pattern(metadata.general_desc)
    if general is None:
        return None
    names = ["fixed_line", *_TYPE_DESCS]
    if not metadata.same_mobile_and_fixed_line_pattern:
        names.insert(1, "mobile")
    types = [pattern for name in names if (pattern := _desc_pattern(getattr(metadata, name, None))) is not None]
    if not types:
        return None
    return f"(?={general})(?:{'|'.join(types)})"


@functools.cache
def _valid_national(country_code: int) -> str | None:
    """`is_valid_number` for a national significant number of a calling code, as a pattern: the region
    is the first (in the calling code's order) whose leading digits match, or, for a region without
    leading digits, in which the number is valid (`region_code_for_number`); then it must be valid there.
    """
    rest = "(?!)"
    for region in reversed(_regions_of(country_code)):
        metadata = _metadata(region, country_code)
        if metadata is None:
            continue
        valid = _valid_in_region(metadata) or "(?!)"
        leading = metadata.leading_digits
        # nested, so each region's leading digits are tried once: a number picks its region here
        chosen = f"(?=(?:{leading})){valid}|(?!(?:{leading}))" if leading is not None else f"{valid}|"
        rest = f"(?:{chosen}{rest})"
    return None if rest == "(?!)" else rest


def _not_prefixed_by(pattern: str | None) -> str:
    return f"(?!(?:{pattern}))" if pattern else ""


@functools.cache
def _international(country_code: int) -> tuple[str, str] | None:
    """Patterns of `<code><national>` (after the "+") that libphonenumber parses trivially: all of them,
    and those it finds valid; None when the calling code's main region has no metadata."""
    regions = _regions_of(country_code)
    main = _metadata(regions[0], country_code) if regions else None
    if main is None:
        return None
    trivial = f"{country_code}{_not_prefixed_by(main.national_prefix_for_parsing)}"
    valid = _valid_national(country_code)
    return trivial + "[0-9]*", (trivial + f"(?:{valid})" if valid is not None else "(?!)")


def country_code_of(digits: str) -> int | None:
    """The calling code a number's digits (after the "+") start with, as libphonenumber finds it."""
    if digits[:1] == "0":
        return None
    for length in range(1, _MAX_COUNTRY_CODE_DIGITS + 1):
        code = int(digits[:length] or 0)
        if _regions_of(code):
            return code
    return None


@functools.cache
def _valid_national_pattern(country_code: int) -> re.Pattern[str]:
    return re.compile(_valid_national(country_code) or "(?!)")


def _e164_after_national_prefix(country_code: int, national: str, metadata: PhoneMetadata) -> Parsed:
    """E.164 of a number `parse` reads as `national` in a region whose national prefix may start it:
    the prefix is stripped by libphonenumber's own helpers, exactly as `parse` calls them, then the
    rest is checked by `is_valid_number`'s pattern."""
    library = _library()
    util = library.phonenumberutil
    _carrier, stripped, _stripped = util._maybe_strip_national_prefix_carrier_code(national, metadata)
    refused = (library.ValidationResult.TOO_SHORT, library.ValidationResult.IS_POSSIBLE_LOCAL_ONLY)
    if util._test_number_length(stripped, metadata) not in (*refused, library.ValidationResult.INVALID_LENGTH):
        national = stripped
    if _valid_national_pattern(country_code).fullmatch(national) is None:
        return INVALID
    return f"+{country_code}{national}"


def _alternation(parts: Iterable[str]) -> str:
    return "|".join(f"(?:{part})" for part in parts)


class E164Numbers:
    """E.164 forms of a column's compact phone numbers, as libphonenumber gives them (module doc).

    One per column: it remembers which calling codes its fast check covers.
    """

    __slots__ = (
        "_codes",
        "_international_lead",
        "_metadata",
        "_national_trivial",
        "_national_valid",
        "_prefix",
        "_region",
        "_trivial",
        "_valid",
    )

    def __init__(self, region: str | None) -> None:
        """Raises ValueError for a region libphonenumber does not know."""
        self._region = region
        self._codes: list[int] = []
        # Without a region a number without a "+" is kept as it is: always "valid".
        self._national_trivial = self._national_valid = "[0-9]+"
        self._prefix = ""
        self._metadata: PhoneMetadata | None = None
        self._international_lead: re.Pattern[str] | None = None
        codes: list[int] = []
        if region is not None:
            metadata = _metadata(region, 0) if is_known_region(region) else None
            if metadata is None:
                raise ValueError(f"{region} is not a region code libphonenumber knows")
            code: int = metadata.country_code or 0
            codes.append(code)
            self._prefix = f"+{code}"
            self._metadata = metadata
            # an international prefix or the calling code: `parse` tries to read a calling code there
            self._international_lead = re.compile(
                f"(?:{metadata.international_prefix})|{code}" if metadata.international_prefix else f"{code}"
            )
            self._national_trivial = (
                _not_prefixed_by(metadata.international_prefix)
                + f"(?!{code})"
                + _not_prefixed_by(metadata.national_prefix_for_parsing)
            )
            valid = _valid_national(code)
            self._national_valid = self._national_trivial + (f"(?:{valid})" if valid else "(?!)")
            self._national_trivial += "[0-9]+"
        self._trivial = self._valid = re.compile(self._national_valid)
        self._learn(codes)

    def _learn(self, codes: Iterable[int]) -> bool:
        """Cover more calling codes in the fast check; True when any was new."""
        fresh = [code for code in codes if code not in self._codes and _international(code) is not None]
        if not fresh and self._codes:
            return False
        self._codes.extend(fresh)
        patterns = [pattern for code in self._codes if (pattern := _international(code)) is not None]
        international_trivial = _alternation(trivial for trivial, _ in patterns) or "(?!)"
        international_valid = _alternation(valid for _, valid in patterns) or "(?!)"
        self._trivial = re.compile(rf"\+(?:{international_trivial})|{self._national_trivial}")
        self._valid = re.compile(rf"\+(?:{international_valid})|{self._national_valid}")
        return bool(fresh)

    def convert(self, compacts: list[str]) -> list[Parsed]:
        """The E.164 form of each compact number ("" for a text that is none), or INVALID; without a
        region, a number without a "+" is kept as it is."""
        matches = list(map(self._valid.fullmatch, compacts))
        prefix = self._prefix
        result: list[Parsed] = (
            [number if number[:1] == "+" else prefix + number for number in compacts] if prefix else list(compacts)
        )
        missed = [index for index in indices_of(matches, None) if compacts[index]]
        for index in indices_of(compacts, ""):
            result[index] = INVALID
        if missed and self._learn(
            {code for index in missed if compacts[index][:1] == "+" and (code := country_code_of(compacts[index][1:]))}
        ):
            missed = [index for index in missed if self._valid.fullmatch(compacts[index]) is None]
        for index in missed:
            number = compacts[index]
            if self._trivial.fullmatch(number) is not None:
                result[index] = INVALID
            else:
                result[index] = self._after_national_prefix(number)
        return result

    def _after_national_prefix(self, number: str) -> Parsed:
        """E.164 of a number that starts with a national prefix (after the calling code, or without
        one in the region); any other shape is left to libphonenumber itself."""
        if number[:1] == "+":
            code = country_code_of(number[1:])
            regions = _regions_of(code) if code is not None else ()
            metadata = _metadata(regions[0], code) if code is not None and regions else None
            if code is not None and metadata is not None:
                return _e164_after_national_prefix(code, number[1 + len(str(code)) :], metadata)
        elif (
            self._metadata is not None
            and self._international_lead is not None
            and self._international_lead.match(number) is None
        ):
            return _e164_after_national_prefix(self._metadata.country_code or 0, number, self._metadata)
        return e164_by_libphonenumber(number, self._region)
