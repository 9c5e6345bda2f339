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
That expression only accepts numbers whose parse is trivial: `+<code><national number>` whose national
number starts with nothing the main region could strip as a national prefix, and, with a default region,
digits that start with neither its international prefix, its calling code nor its national prefix. A
number that misses it (invalid, or one of the other shapes) goes to libphonenumber itself, so the
result is libphonenumber's in every case; `tests/unit/normalizer/test_values_phones.py` checks the two
paths against each other on generated numbers of every calling code.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, NumberParseException, PhoneMetadata, PhoneNumberFormat

from normalizer.values.columns import INVALID, Parsed, indices_of

_TYPE_DESCS = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail")
_MAX_COUNTRY_CODE_DIGITS = 3


def is_known_region(region: str) -> bool:
    """Whether libphonenumber has metadata for a region code (`GB`, not `UK`)."""
    return region in phonenumbers.SUPPORTED_REGIONS


def e164_by_libphonenumber(compact: str, region: str | None) -> Parsed:
    """The E.164 form of a compact number as libphonenumber parses and validates it; INVALID otherwise."""
    try:
        number = phonenumbers.parse(compact, region)
    except NumberParseException:
        return INVALID
    if not phonenumbers.is_valid_number(number):
        return INVALID
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _metadata(region: str, country_code: int) -> PhoneMetadata | None:
    if region == "001":
        return PhoneMetadata.metadata_for_nongeo_region(country_code, None)
    return PhoneMetadata.metadata_for_region(region, None)


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
    """`_number_type_helper(...) != UNKNOWN` as a pattern; None if no number is valid there."""
    general = _desc_pattern(metadata.general_desc)
    if general is None:
        return None
    names = [*_TYPE_DESCS, "fixed_line"]
    if not metadata.same_mobile_and_fixed_line_pattern:
        names.append("mobile")
    types = [pattern for name in names if (pattern := _desc_pattern(getattr(metadata, name, None))) is not None]
    if not types:
        return None
    return f"(?={general})(?:{'|'.join(types)})"


@functools.cache
def _valid_national(country_code: int) -> str | None:
    """`is_valid_number` for a national significant number of a calling code, as a pattern: the region
    is chosen as `region_code_for_number` does (leading digits, else the first region it is valid in)."""
    alternatives: list[str] = []
    earlier_leading: list[str] = []
    for region in COUNTRY_CODE_TO_REGION_CODE.get(country_code, ()):
        metadata = _metadata(region, country_code)
        if metadata is None:
            continue
        not_earlier = "".join(f"(?!{leading})" for leading in earlier_leading)
        valid = _valid_in_region(metadata)
        leading = metadata.leading_digits
        if leading is not None:
            if valid is not None:
                alternatives.append(f"{not_earlier}(?=(?:{leading}))" + valid)
            earlier_leading.append(f"(?:{leading})")
        elif valid is not None:
            alternatives.append(not_earlier + valid)
    return "|".join(f"(?:{alternative})" for alternative in alternatives) or None


def _not_prefixed_by(pattern: str | None) -> str:
    return f"(?!(?:{pattern}))" if pattern else ""


@functools.cache
def _international(country_code: int) -> str | None:
    """`+<code><national>` numbers libphonenumber parses trivially and finds valid, as a pattern."""
    valid = _valid_national(country_code)
    regions = COUNTRY_CODE_TO_REGION_CODE.get(country_code, ())
    main = _metadata(regions[0], country_code) if regions else None
    if valid is None or main is None:
        return None
    return f"{country_code}{_not_prefixed_by(main.national_prefix_for_parsing)}(?:{valid})"


def country_code_of(digits: str) -> int | None:
    """The calling code a number's digits (after the "+") start with, as libphonenumber finds it."""
    if digits[:1] == "0":
        return None
    for length in range(1, _MAX_COUNTRY_CODE_DIGITS + 1):
        code = int(digits[:length] or 0)
        if code in COUNTRY_CODE_TO_REGION_CODE:
            return code
    return None


def _alternation(parts: Iterable[str]) -> str:
    return "|".join(f"(?:{part})" for part in parts)


class E164Numbers:
    """E.164 forms of a column's compact phone numbers (`+digits` or digits), as libphonenumber gives them.

    One per column: it remembers which calling codes its fast expression covers.
    """

    __slots__ = ("_codes", "_international", "_national", "_region", "_region_code")

    def __init__(self, region: str | None) -> None:
        """Raises ValueError for a region libphonenumber does not know."""
        self._region = region
        self._codes: list[int] = []
        self._international: re.Pattern[str] | None = None
        self._national: re.Pattern[str] | None = None
        self._region_code = ""
        if region is not None:
            metadata = PhoneMetadata.metadata_for_region(region, None) if is_known_region(region) else None
            if metadata is None:
                raise ValueError(f"{region} is not a region code libphonenumber knows")
            code: int = metadata.country_code or 0
            self._region_code = f"+{code}"
            valid = _valid_national(code)
            if valid is not None:
                self._national = re.compile(
                    _not_prefixed_by(metadata.international_prefix)
                    + f"(?!{code})"
                    + _not_prefixed_by(metadata.national_prefix_for_parsing)
                    + f"(?:{valid})"
                )
            self._learn([code])

    def _learn(self, codes: Iterable[int]) -> None:
        fresh = [code for code in codes if code not in self._codes and _international(code) is not None]
        if fresh:
            self._codes.extend(fresh)
            self._international = re.compile(
                r"\+(?:" + _alternation(_international(code) or "" for code in self._codes) + ")"
            )

    def convert(self, numbers: list[str]) -> list[Parsed]:
        """The E.164 form of each compact number, or INVALID; without a region, a number without a
        "+" is kept as it is."""
        result: list[Parsed] = list(numbers)
        slow: list[int] = []
        international = [index for index, number in enumerate(numbers) if number[:1] == "+"]
        if international:
            slow.extend(self._fast(numbers, international, self._international, learn=True))
        if self._region is not None and len(international) < len(numbers):
            national = [index for index, number in enumerate(numbers) if number[:1] != "+"]
            for index in national:
                result[index] = self._region_code + numbers[index]
            slow.extend(self._fast(numbers, national, self._national, learn=False))
        for index in slow:
            result[index] = e164_by_libphonenumber(numbers[index], self._region)
        return result

    def _fast(
        self, numbers: list[str], positions: list[int], pattern: re.Pattern[str] | None, *, learn: bool
    ) -> list[int]:
        """The positions whose number the fast pattern does not accept (learning new calling codes)."""
        if pattern is None:
            missed = positions
        else:
            matches = [pattern.fullmatch(numbers[index]) for index in positions]
            missed = [positions[index] for index in indices_of(matches, None)]
        if learn and missed:
            codes = {country_code_of(numbers[index][1:]) for index in missed}
            known = len(self._codes)
            self._learn(code for code in codes if code is not None)
            if len(self._codes) > known and self._international is not None:
                again = self._international
                missed = [index for index in missed if again.fullmatch(numbers[index]) is None]
        return missed
