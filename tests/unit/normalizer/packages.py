"""Hand-built xlsx packages for the read-stage tests: every part written by the test itself, so that a
layout (where the workbook lives, how relationships point, how names are spelled) is exactly the one
under test."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

MAIN_NAMESPACE = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIP_NAMESPACE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS_NAMESPACE = "http://schemas.openxmlformats.org/package/2006/relationships"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/></Types>'
)
SHEET_HEAD = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NAMESPACE}"><sheetData>'.encode()
SHEET_TAIL = b"</sheetData></worksheet>"


def relationships(*targets: tuple[str, str, str]) -> str:
    """A relationships part from (Id, type's last segment, Target) triples."""
    items = "".join(
        f'<Relationship Id="{rid}" Type="{RELATIONSHIP_NAMESPACE}/{kind}" Target="{target}"/>'
        for rid, kind, target in targets
    )
    head = f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_RELATIONSHIPS_NAMESPACE}">'
    return f"{head}{items}</Relationships>"


def workbook_xml(*sheets: tuple[str, str], states: dict[str, str] | None = None, active: int = 0) -> str:
    """A workbook part listing (name, relationship Id) sheets."""
    entries = "".join(
        f'<sheet name="{name}" sheetId="{index + 1}" r:id="{rid}"'
        + (f' state="{states[name]}"' if states and name in states else "")
        + "/>"
        for index, (name, rid) in enumerate(sheets)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NAMESPACE}" xmlns:r="{RELATIONSHIP_NAMESPACE}">'
        f'<bookViews><workbookView activeTab="{active}"/></bookViews><sheets>{entries}</sheets></workbook>'
    )


def sheet_xml(*rows: bytes) -> bytes:
    return SHEET_HEAD + b"".join(rows) + SHEET_TAIL


def cell(reference: str, value: int) -> bytes:
    return f'<c r="{reference}"><v>{value}</v></c>'.encode()


def text_cell(reference: str, text: str) -> bytes:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def row(number: int, *cells: bytes) -> bytes:
    return f'<row r="{number}">'.encode() + b"".join(cells) + b"</row>"


def standard_parts(sheet: bytes | str) -> dict[str, bytes | str]:
    """The parts of a one-sheet workbook ("Data") laid out the way Excel writes it."""
    return {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": relationships(("rId1", "officeDocument", "xl/workbook.xml")),
        "xl/workbook.xml": workbook_xml(("Data", "rId1")),
        "xl/_rels/workbook.xml.rels": relationships(("rId1", "worksheet", "worksheets/sheet1.xml")),
        "xl/worksheets/sheet1.xml": sheet,
    }


def write_parts(path: Path, parts: dict[str, bytes | str] | Iterable[tuple[str, bytes | str]]) -> Path:
    """A zip holding exactly these entries, names spelled as given (backslashes and case included)."""
    items = parts.items() if isinstance(parts, dict) else parts
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as package:
        for name, data in items:
            package.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return path
