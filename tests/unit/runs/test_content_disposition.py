"""`Content-Disposition` values: any stored file name gives one safe, RFC 6266 header naming that file."""

from __future__ import annotations

import re
from urllib.parse import unquote

from hypothesis import given
from hypothesis import strategies as st

from runs.content_disposition import attachment, clean_filename

# RFC 6266: disposition-type, then `filename="<quoted-string>"` and optionally `filename*=UTF-8''<pct-encoded>`.
_GRAMMAR = re.compile(r'attachment; filename="([ !#-\[\]-~]*)"(?:; filename\*=UTF-8\'\'([A-Za-z0-9!#$&+.^_`|~%-]+))?')


def _parsed(header: str) -> tuple[str, str | None]:
    match = _GRAMMAR.fullmatch(header)
    assert match is not None, header
    return match.group(1), match.group(2)


def test_a_plain_ascii_name_needs_no_extended_parameter() -> None:
    assert attachment("Quarterly Intake.xlsx") == 'attachment; filename="Quarterly Intake.xlsx"'


def test_a_non_ascii_name_gets_an_ascii_fallback_and_a_utf8_parameter() -> None:
    assert attachment("Größe.csv") == "attachment; filename=\"Gr__e.csv\"; filename*=UTF-8''Gr%C3%B6%C3%9Fe.csv"


def test_quotes_semicolons_and_line_breaks_stay_inside_the_parameter() -> None:
    header = attachment('a"b;c\r\nSet-Cookie: x=1\\.xlsx')

    fallback, extended = _parsed(header)

    assert fallback == "a_b_cSet-Cookie_ x=1_.xlsx"
    assert extended is not None and unquote(extended) == 'a"b;cSet-Cookie: x=1\\.xlsx'


def test_bidi_overrides_that_disguise_an_extension_are_dropped() -> None:
    assert clean_filename("invoice\u202excod.exe", "download") == "invoicexcod.exe"


def test_an_empty_name_falls_back_to_the_default() -> None:
    assert attachment(" \r\n\t", default="output") == 'attachment; filename="output"'


@given(st.text(st.characters(exclude_categories=()), max_size=300))
def test_any_name_gives_a_printable_ascii_header_that_names_the_cleaned_file(name: str) -> None:
    header = attachment(name)

    fallback, extended = _parsed(header)

    assert header.isascii() and header.isprintable()
    assert (unquote(extended) if extended is not None else fallback) == clean_filename(name, "download")
