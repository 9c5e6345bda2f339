"""Input files: names lose what could inject, and the content type comes from the bytes and the extension."""

from __future__ import annotations

import io
import zipfile

import pytest

from runs.models.files import CSV, XLS, XLSB, XLSM, XLSX, clean_filename, content_type_of_file, content_type_of_name
from runs.models.files import ODS as ODS_TYPE

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100


def zip_package(first_entry: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as package:
        package.writestr(first_entry, content)
        package.writestr("content.xml", b"<x/>")
    return buffer.getvalue()


OOXML = zip_package("[Content_Types].xml", b"<Types/>")
ODS = zip_package("mimetype", b"application/vnd.oasis.opendocument.spreadsheet")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("people.csv", "people.csv"),
        ("  Q1 report.xlsx ", "Q1 report.xlsx"),
        ('my "best" file.csv', "my best file.csv"),
        ("it's `here`.xlsx", "its here.xlsx"),
        ("a\x00b\x07c\x1b.csv", "abc.csv"),
        ("line\r\nbreak.csv", "linebreak.csv"),
        ("evil\u202eslx.csv", "evilslx.csv"),  # a right-to-left override would disguise the extension
        ("${jndi:ldap://x/a}report.xlsx", "report.xlsx"),
        ("a${b${c}}.csv", "a}.csv"),
        ("${unterminated.csv", "unterminated.csv"),
    ],
)
def test_a_file_name_loses_control_characters_quotes_and_templates(raw: str, clean: str) -> None:
    assert clean_filename(raw) == clean


@pytest.mark.parametrize(
    "raw", ["../etc/passwd.csv", "a\\b.csv", "${x}.csv", '"".csv', "notes.txt", "sheet.numbers", ""]
)
def test_a_file_name_with_folders_nothing_left_or_another_extension_is_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        clean_filename(raw)


@pytest.mark.parametrize(
    ("head", "filename", "expected"),
    [
        (OOXML, "book.xlsx", XLSX),
        (OOXML, "book.XLSM", XLSM),
        (OLE2, "old.xls", XLS),
        (OOXML, "binary.xlsb", XLSB),
        (ODS, "calc.ods", ODS_TYPE),
        (b"email,name\na@example.com,Ann\n", "people.csv", CSV),
        (b"\xef\xbb\xbfemail;name\r\n", "bom.csv", CSV),
        ("email\tname\n".encode("utf-16"), "wide.csv", CSV),
        ("nom;prénom\n".encode("cp1252"), "latin.csv", CSV),
    ],
)
def test_the_content_type_comes_from_the_bytes_and_the_extension(head: bytes, filename: str, expected: str) -> None:
    assert content_type_of_file(head, filename) == expected


@pytest.mark.parametrize(
    ("head", "filename", "reason"),
    [
        (OOXML, "book.csv", "Excel workbook"),
        (OOXML, "book.xls", "Excel workbook"),
        (OLE2, "book.xlsx", "97-2003"),
        (b"email\na@example.com\n", "book.xlsx", "text"),
        (ODS, "sheet.xlsx", "OpenDocument"),
        (OOXML, "book.ods", "Excel workbook"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image.csv", "not a spreadsheet"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "program.csv", "not a spreadsheet"),
        (b"", "empty.csv", "not a spreadsheet"),
    ],
)
def test_bytes_that_are_not_what_the_name_says_are_refused(head: bytes, filename: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        content_type_of_file(head, filename)


def test_before_the_bytes_are_seen_the_extension_names_the_type() -> None:
    assert [content_type_of_name(name) for name in ("a.xlsx", "a.XLSM", "a.xls", "a.csv")] == [XLSX, XLSM, XLS, CSV]
