"""Read stage on workbooks no fixture here would write: unusual but valid package layouts, other
writers (xlsxwriter, rustpy-xlsxwriter, pyxlsbwriter, LibreOffice), ods and xlsb, and encrypted files.

Hand-built packages come from `packages.py`; LibreOffice's files are small committed fixtures
(see fixtures/README.md)."""

from __future__ import annotations

import datetime
import struct
from pathlib import Path
from typing import Any

import msoffcrypto.format.ooxml
import olefile
import openpyxl
import pytest
import xlsxwriter
import xlwt
from pyxlsbwriter import XlsbWriter
from rustpy_xlsxwriter import FastExcel

from normalizer.errors import EngineFailure
from normalizer.read import CellValue, ReadLimits, open_workbook
from tests.unit.normalizer.packages import (
    CONTENT_TYPES,
    cell,
    relationships,
    row,
    sheet_xml,
    standard_parts,
    text_cell,
    workbook_xml,
    write_parts,
)

FIXTURES = Path(__file__).parent / "fixtures"
SHEET = sheet_xml(row(1, cell("A1", 42), text_cell("B1", "hi")))
SHARED_STRING_SHEET = sheet_xml(row(1, cell("A1", 42), b'<c r="B1" t="s"><v>0</v></c>'))
SHARED_STRINGS = (
    '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "<si><t>shared</t></si></sst>"
)


def read_all(path: Path, **options: Any) -> dict[str, list[list[CellValue]]]:
    """Every sheet's rows, by sheet name."""
    with open_workbook(path, **options) as workbook:
        return {sheet.name: list(workbook.iter_rows(sheet.index)) for sheet in workbook.sheets}


def failure_of(path: Path) -> EngineFailure:
    with pytest.raises(EngineFailure) as failure:
        read_all(path)
    return failure.value


def layout(
    workbook_part: str = "xl/workbook.xml",
    sheet_target: str = "worksheets/sheet1.xml",
    sheet_part: str = "xl/worksheets/sheet1.xml",
    *,
    workbook_target: str | None = None,
    strings: tuple[str, str] | None = None,
    extra: dict[str, str] | None = None,
) -> dict[str, bytes | str]:
    """A one-sheet workbook ("Data") with its parts where the arguments put them; `strings` is the
    shared-strings (relationship target, part name)."""
    folder, _, file_name = workbook_part.rpartition("/")
    workbook_relationships = [("rId1", "worksheet", sheet_target)]
    if strings is not None:
        workbook_relationships.append(("rId2", "sharedStrings", strings[0]))
    parts: dict[str, bytes | str] = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": relationships(("rId1", "officeDocument", workbook_target or workbook_part)),
        workbook_part: workbook_xml(("Data", "rId1")),
        f"{folder}/_rels/{file_name}.rels" if folder else f"_rels/{file_name}.rels": relationships(
            *workbook_relationships
        ),
        sheet_part: SHARED_STRING_SHEET if strings else SHEET,
    }
    if strings is not None:
        parts[strings[1]] = SHARED_STRINGS
    return {**parts, **(extra or {})}


# ---------------------------------------------------------------------------------------------
# Package layouts


LAYOUTS: dict[str, dict[str, bytes | str]] = {
    "excel_layout": layout(),
    "absolute_sheet_target": layout(sheet_target="/xl/worksheets/sheet1.xml"),
    "parent_segment_in_target": layout(sheet_target="../xl/worksheets/sheet1.xml"),
    "dot_segment_in_target": layout(sheet_target="./worksheets/sheet1.xml"),
    "backslashes_in_target": layout(sheet_target="worksheets\\sheet1.xml"),
    "percent_encoded_target": layout(sheet_target="worksheets/my%20sheet.xml", sheet_part="xl/worksheets/my sheet.xml"),
    "upper_case_target": layout(sheet_target="WORKSHEETS/SHEET1.XML"),
    "sheet_outside_xl": layout(sheet_target="/data/values.xml", sheet_part="data/values.xml"),
    "workbook_outside_xl": layout("book/main.xml", "sheets/one.xml", "book/sheets/one.xml"),
    "workbook_with_another_name": layout("xl/book.xml"),
    "workbook_at_the_root": layout("workbook.xml", "xl/worksheets/sheet1.xml"),
    "absolute_workbook_target": layout(workbook_target="/xl/workbook.xml"),
    "shared_strings_elsewhere": layout(strings=("strings/table.xml", "xl/strings/table.xml")),
    "shared_strings_upper_case": layout(strings=("SharedStrings.xml", "xl/SharedStrings.xml")),
    "target_with_xl_prefix": layout(sheet_target="xl/worksheets/sheet1.xml"),
    "extra_parts": layout(extra={"customXml/item1.xml": "<root/>", "xl/media/image1.png": "png"}),
}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_package_layout_is_resolved_as_excel_resolves_it(tmp_path: Path, name: str) -> None:
    # Given a valid package laid out in an unusual way
    path = write_parts(tmp_path / f"{name}.xlsx", LAYOUTS[name])

    # When it is read, Then its one sheet's cells come back (shared strings resolved too)
    expected = "shared" if "shared_strings" in name else "hi"
    assert read_all(path) == {"Data": [[42.0, expected]]}


@pytest.mark.parametrize("separator", ["\\", "/"])
@pytest.mark.parametrize("case", [str.upper, str.lower])
def test_entry_names_with_backslashes_or_another_case_are_found(tmp_path: Path, separator: str, case: Any) -> None:
    # Given the standard parts under names with backslashes and/or changed case
    parts = {
        (name if name == "[Content_Types].xml" else case(name)).replace("/", separator): data
        for name, data in standard_parts(SHEET).items()
    }
    path = write_parts(tmp_path / "names.xlsx", parts)

    # When it is read, Then it is the same workbook
    assert read_all(path) == {"Data": [[42.0, "hi"]]}


def test_strict_open_xml_relationships_are_followed(tmp_path: Path) -> None:
    # Given a package written with the ISO strict namespaces
    strict = "http://purl.oclc.org/ooxml/officeDocument/relationships"
    parts = {
        name: data.replace("http://schemas.openxmlformats.org/officeDocument/2006/relationships", strict)
        if isinstance(data, str)
        else data
        for name, data in layout("book/main.xml", "sheets/one.xml", "book/sheets/one.xml").items()
    }

    # When it is read, Then the sheet is found
    assert read_all(write_parts(tmp_path / "strict.xlsx", parts)) == {"Data": [[42.0, "hi"]]}


def test_styles_found_through_a_relationship_keep_dates_dates(tmp_path: Path) -> None:
    # Given a date-formatted serial whose styles part sits under another name
    styles = (
        '<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs></styleSheet>'
    )
    parts = layout("book/main.xml", "sheets/one.xml", "book/sheets/one.xml")
    parts["book/sheets/one.xml"] = sheet_xml(row(1, b'<c r="A1" s="1"><v>45352</v></c>'))
    parts["book/_rels/main.xml.rels"] = relationships(
        ("rId1", "worksheet", "sheets/one.xml"), ("rId3", "styles", "look/styles.xml")
    )
    parts["book/look/styles.xml"] = styles
    path = write_parts(tmp_path / "styled.xlsx", parts)

    # When it is read (through calamine, then through the streaming reader)
    for limits in (ReadLimits(), ReadLimits(max_dense_cells=0)):
        # Then the serial is the date it shows
        assert read_all(path, limits=limits) == {"Data": [[datetime.date(2024, 3, 1)]]}


def test_workbook_calamine_cannot_open_is_read_by_the_streaming_reader(tmp_path: Path) -> None:
    # Given a valid package whose workbook part is UTF-16 (calamine expects UTF-8)
    parts = layout()
    workbook = str(parts["xl/workbook.xml"]).replace('encoding="UTF-8"', 'encoding="UTF-16"')
    parts["xl/workbook.xml"] = workbook.encode("utf-16")
    path = write_parts(tmp_path / "utf16.xlsx", parts)

    # When it is read, Then the sheet's cells come back all the same
    assert read_all(path) == {"Data": [[42.0, "hi"]]}


@pytest.mark.parametrize(
    ("parts", "code"),
    [
        ({"readme.txt": "hello"}, "UNSUPPORTED_FILE_TYPE"),
        (
            {
                "_rels/.rels": relationships(("rId1", "officeDocument", "word/document.xml")),
                "word/document.xml": "<document/>",
            },
            "UNSUPPORTED_FILE_TYPE",
        ),
        ({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<x/>"}, "UNSUPPORTED_FILE_TYPE"),
        ({"xl/worksheets/sheet1.xml": SHEET.decode()}, "INPUT_UNREADABLE"),
        ({"mimetype": "application/vnd.oasis.opendocument.spreadsheet"}, "INPUT_UNREADABLE"),
    ],
    ids=["plain_zip", "word_document", "text_document", "xlsx_without_workbook", "ods_without_content"],
)
def test_zip_that_is_not_a_readable_spreadsheet_says_which(tmp_path: Path, parts: dict[str, str], code: str) -> None:
    assert failure_of(write_parts(tmp_path / "other.xlsx", parts)).code == code


# ---------------------------------------------------------------------------------------------
# Other writers

PEOPLE: list[list[Any]] = [
    ["Name", "Joined", "Balance"],
    ["Ann", datetime.date(2021, 3, 1), 10.5],
    ["Bob", datetime.date(2022, 12, 31), -3.0],
]


def test_xlsxwriter_workbook_is_read(tmp_path: Path) -> None:
    path = tmp_path / "xlsxwriter.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("People")
    dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for index, values in enumerate(PEOPLE):
        for column, value in enumerate(values):
            sheet.write(index, column, value, dates if isinstance(value, datetime.date) else None)
    workbook.close()
    assert read_all(path) == {"People": PEOPLE}


def test_rustpy_xlsxwriter_workbook_is_read(tmp_path: Path) -> None:
    path = tmp_path / "rust.xlsx"
    header = PEOPLE[0]
    FastExcel(str(path)).sheet("People", [dict(zip(header, values, strict=True)) for values in PEOPLE[1:]]).save()
    rows = read_all(path)["People"]
    assert rows[0] == header
    assert [[values[0], values[2]] for values in rows[1:]] == [["Ann", 10.5], ["Bob", -3.0]]
    assert all(isinstance(values[1], datetime.date | datetime.datetime) for values in rows[1:])


def test_xlsb_workbook_is_read_with_its_sheet_states(tmp_path: Path) -> None:
    # Given an xlsb workbook with a visible and a hidden sheet
    path = tmp_path / "binary.xlsb"
    with XlsbWriter(str(path)) as writer:
        writer.add_sheet("People")
        writer.write_sheet([["Name", "Count", "Joined", "Active"], ["Ann", 3, datetime.date(2024, 3, 1), True]])
        writer.add_sheet("Notes", hidden=True)
        writer.write_sheet([["internal"]])

    # When it is opened and read
    with open_workbook(path) as workbook:
        sheets = [(sheet.name, sheet.visible) for sheet in workbook.sheets]
        people = list(workbook.iter_rows(0))

    # Then sheets, states and typed values come through calamine
    assert sheets == [("People", True), ("Notes", False)]
    assert people == [["Name", "Count", "Joined", "Active"], ["Ann", 3, datetime.date(2024, 3, 1), True]]


def test_libreoffice_ods_is_read(tmp_path: Path) -> None:
    # Given LibreOffice's ods, whose styled column repeats empty cells to the sheet's last row and column
    rows = read_all(FIXTURES / "libreoffice-members.ods")

    # Then the sheets and their values are read, and the empty repeats cost nothing
    assert rows == {
        "Members": [
            ["Member export", "", "", ""],
            ["", "", "", ""],
            ["Name", "Joined", "Balance", "Code"],
            ["Ann Lee", datetime.date(2021, 3, 1), 10.5, "A-1"],
            ["Bob Stone", datetime.date(2022, 12, 31), -3.0, "B-2"],
            ["Chloé Martin", datetime.date(2020, 2, 29), 1234.25, "C-3"],
        ],
        "Notes": [["internal"]],
    }


def test_libreoffice_ods_sheet_states_are_kept() -> None:
    with open_workbook(FIXTURES / "libreoffice-members.ods") as workbook:
        assert [(sheet.name, sheet.visible, sheet.is_active) for sheet in workbook.sheets] == [
            ("Members", True, True),
            ("Notes", False, False),
        ]


def test_libreoffice_xlsx_is_read() -> None:
    rows = read_all(FIXTURES / "libreoffice-members.xlsx")
    assert rows["Members"][3:] == [
        ["Ann Lee", datetime.date(2021, 3, 1), 10.5, "A-1"],
        ["Bob Stone", datetime.date(2022, 12, 31), -3.0, "B-2"],
        ["Chloé Martin", datetime.date(2020, 2, 29), 1234.25, "C-3"],
    ]
    assert rows["Notes"] == [["internal"]]


# ---------------------------------------------------------------------------------------------
# Password-protected workbooks


def _encrypted_xlsx(tmp_path: Path, name: str) -> Path:
    plain = tmp_path / "plain.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "secret"
    workbook.save(plain)
    path = tmp_path / name
    with open(plain, "rb") as source, open(path, "wb") as target:
        msoffcrypto.format.ooxml.OOXMLFile(source).encrypt("password", target)
    return path


def _xls_with_filepass(tmp_path: Path, encryption_header: bytes) -> Path:
    """An xlwt workbook whose globals start with FILEPASS (BOF, FILEPASS, ...): the records between
    BOF and WRITEACCESS are replaced by a FILEPASS record of the same total size."""
    path = tmp_path / "protected.xls"
    workbook = xlwt.Workbook()
    workbook.add_sheet("Sheet").write(0, 0, "secret")
    workbook.save(str(path))
    container = olefile.OleFileIO(str(path), write_mode=True)
    stream = bytearray(container.openstream("Workbook").read())
    bof_size = 4 + struct.unpack_from("<H", stream, 2)[0]
    position = bof_size
    while struct.unpack_from("<H", stream, position)[0] != 0x005C:  # up to WRITEACCESS, included
        position += 4 + struct.unpack_from("<H", stream, position + 2)[0]
    end = position + 4 + struct.unpack_from("<H", stream, position + 2)[0]
    payload = encryption_header.ljust(end - bof_size - 4, b"\0")
    stream[bof_size:end] = struct.pack("<HH", 0x002F, len(payload)) + payload
    container.write_stream("Workbook", bytes(stream))
    container.close()
    return path


@pytest.mark.parametrize("name", ["book.xlsx", "book.xlsm", "book.xls", "book"])
def test_encrypted_ooxml_workbook_is_unreadable_as_password_protected(tmp_path: Path, name: str) -> None:
    failure = failure_of(_encrypted_xlsx(tmp_path, name))
    assert failure.code == "INPUT_UNREADABLE"
    assert "password-protected" in failure.message


@pytest.mark.parametrize(
    "encryption_header",
    [struct.pack("<HHH", 0, 0x1234, 0x5678), struct.pack("<HHH", 1, 2, 2)],
    ids=["xor_obfuscation", "rc4_cryptoapi"],
)
def test_xls_with_filepass_is_unreadable_as_password_protected(tmp_path: Path, encryption_header: bytes) -> None:
    failure = failure_of(_xls_with_filepass(tmp_path, encryption_header))
    assert failure.code == "INPUT_UNREADABLE"
    assert "password-protected" in failure.message


def test_plain_xls_is_not_taken_for_an_encrypted_one(tmp_path: Path) -> None:
    path = tmp_path / "plain.xls"
    workbook = xlwt.Workbook()
    workbook.add_sheet("Sheet").write(0, 0, "open")
    workbook.save(str(path))
    assert read_all(path) == {"Sheet": [["open"]]}


def test_ods_whose_content_is_not_xml_is_unreadable(tmp_path: Path) -> None:
    # Given an ods whose content part is not XML
    path = write_parts(
        tmp_path / "broken.ods",
        {"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<office:document"},
    )

    # When it is opened, Then it is unreadable (not a crash, not a wrong type)
    assert failure_of(path).code == "INPUT_UNREADABLE"
