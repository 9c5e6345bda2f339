"""The package safety scan against expat: generated sheets, cut at every byte, must get expat's verdict.

For each generated sheet and each cut point, the read path is followed exactly as `normalizer.read`
follows it: the scan (fed the sheet in two blocks split at the cut, with segments of a few bytes, so
that its own cuts fall everywhere too) decides whether python-calamine may read the sheet; a sheet it
leaves unproven, or that calamine rejects, goes to the streaming reader (expat fed the same blocks).
The verdict, read or refused as malformed, must be expat's on the whole document, and a sheet the scan
hands to calamine must lie within the bounds the scan claims.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

import pytest

from normalizer.errors import EngineFailure
from normalizer.inspect import ReadLimits, column_index, scan_sheet_xml
from normalizer.read import open_workbook
from normalizer.sparse_sheet import iter_sheet_xml_rows
from tests.unit.normalizer.packages import (
    SHEET_HEAD,
    SHEET_TAIL,
    cell,
    row,
    sheet_xml,
    standard_parts,
    text_cell,
    write_parts,
)

LIMITS = ReadLimits()
# Small enough that segments end at every tag and a long attribute value forces a cut inside a tag.
SEGMENT_SIZES = (1, 24)
TAGLESS_RUN_BYTES = 48
LONG = "x" * 150  # an attribute value longer than a tagless run


def _narrow_rows(count: int, first: int = 1) -> bytes:
    return b"".join(row(n, cell(f"A{n}", n), cell(f"B{n}", n * 10)) for n in range(first, first + count))


# ---------------------------------------------------------------------------------------------
# The generated sheets: well-formed ones in the shapes writers produce, and malformed ones.

WELL_FORMED: dict[str, bytes] = {
    "narrow": sheet_xml(_narrow_rows(12)),
    "self_closing_rows_on_one_line": sheet_xml(
        row(1, cell("A1", 1)), *(f'<row r="{n}"/>'.encode() for n in range(2, 40)), row(40, cell("C40", 2))
    ),
    "empty_rows_without_references": sheet_xml(row(1, cell("A1", 1)), b"<row/>" * 30, row(32, cell("B32", 3))),
    "long_attribute_values": sheet_xml(
        f'<row r="1" x14ac:dyDescent="{LONG}">'.encode() + cell("A1", 1) + b"</row>",
        f'<row r="2"><c r="B2" s="1" note="{LONG}&gt;&quot;\'>"><v>5</v></c></row>'.encode(),
        f"<row r='3'><c r='C3' note='{LONG}\"&lt;'><v>6</v></c></row>".encode(),
    ),
    "long_attribute_then_far_reference_in_later_row": sheet_xml(
        f'<row r="1"><c r="A1" note="{LONG}"><v>1</v></c></row>'.encode(), row(9, cell("XFD9", 2))
    ),
    "prefixed_elements": (
        b'<?xml version="1.0"?><x:worksheet xmlns:x="urn:x"><x:sheetData><x:row r="1"><x:c r="A1"><x:v>1</x:v>'
        b'</x:c><x:c r="XFD1"><x:v>2</x:v></x:c></x:row></x:sheetData></x:worksheet>'
    ),
    "whitespace_inside_tags": sheet_xml(b'<row\n r = "1" >\r\n<c\tr="A1"\n s="0" ><v>1</v ></c >\n</row >\n'),
    "inline_text_with_entities_and_punctuation": sheet_xml(
        row(1, text_cell("A1", "Is it &lt;b&gt; &amp; fine? Yes! ] ]&gt; &#x263A;")), row(2, text_cell("A2", "é ü"))
    ),
    "cells_without_values": sheet_xml(row(1, b'<c r="A1" s="1"/><c r="B1"/>', cell("C1", 3))),
    "no_declaration": sheet_xml(_narrow_rows(3)).split(b"?>", 1)[1],
    "byte_order_mark": b"\xef\xbb\xbf" + sheet_xml(_narrow_rows(3)),
    "standalone_declaration": sheet_xml(_narrow_rows(3)).replace(
        b'encoding="UTF-8"', b'encoding="UTF-8" standalone="yes"'
    ),
    "trailing_newline": sheet_xml(_narrow_rows(3)) + b"\r\n",
    "columns_and_formats_around_cells": SHEET_HEAD.replace(
        b"<sheetData>", b'<cols><col min="1" max="3"/></cols><sheetData>'
    )
    + _narrow_rows(4)
    + b'</sheetData><conditionalFormatting sqref="A1"><cfRule type="cellIs"/></conditionalFormatting></worksheet>',
    "comment_holding_a_tag": sheet_xml(b'<!-- <c r="XFD9"> a < b -->', _narrow_rows(3)),
    "cdata_value": sheet_xml(row(1, b'<c r="A1" t="str"><v><![CDATA[a<b]]></v></c>')),
    "processing_instruction": sheet_xml(b"<?keep this?>", _narrow_rows(2)),
    "latin1_declared": (
        SHEET_HEAD.replace(b"UTF-8", b"ISO-8859-1")
        + row(1, text_cell("A1", "").replace(b"<t>", b"<t>\xe9"))
        + SHEET_TAIL
    ),
}

MALFORMED: dict[str, bytes] = {
    # A "<" in an attribute value: where the scan cuts before it, the far reference after it is hidden.
    "less_than_in_attribute_before_far_reference": sheet_xml(
        _narrow_rows(3), b'<row r="4"><c r="A4" x="', b"<", b'" r="XFD1048576"><v>1</v></c></row>'
    ),
    "truncated": sheet_xml(_narrow_rows(4))[: -len(b"</worksheet>")],
    "junk_after_root": sheet_xml(_narrow_rows(2)) + b"<extra/>",
    "text_before_root": SHEET_HEAD.replace(b"<worksheet", b"junk<worksheet") + _narrow_rows(2) + SHEET_TAIL,
    "mismatched_end_tag": sheet_xml(_narrow_rows(2), b'<row r="3"><c r="A3"><v>1</x></c></row>'),
    "unclosed_cell": sheet_xml(_narrow_rows(2), b'<row r="3"><c r="A3"><v>1</v></row>'),
    "undefined_entity": sheet_xml(row(1, text_cell("A1", "a &nbsp; b"))),
    "bare_ampersand": sheet_xml(row(1, text_cell("A1", "salt & pepper"))),
    "invalid_utf8_in_text": sheet_xml(row(1, text_cell("A1", "").replace(b"<t>", b"<t>\xff"))),
    "control_character_in_text": sheet_xml(row(1, text_cell("A1", "bell\x07"))),
    "cdata_end_in_text": sheet_xml(row(1, text_cell("A1", "a ]]> b"))),
    "unquoted_reference": sheet_xml(_narrow_rows(2), b"<row r=3><c r=A3><v>1</v></c></row>"),
    "second_reference_after_less_than": sheet_xml(
        _narrow_rows(2), f'<row r="3"><c r="A3" note="{LONG}<" r="XFD3"><v>1</v></c></row>'.encode()
    ),
}


# ---------------------------------------------------------------------------------------------
# The oracles


def expat_accepts(xml: bytes) -> bool:
    parser = expat.ParserCreate()
    try:
        parser.Parse(xml, True)
    except expat.ExpatError:
        return False
    return True


def referenced_extent(xml: bytes) -> tuple[int, int]:
    """The furthest row and column any cell reference names (expat's reading of a well-formed sheet)."""
    extent = [0, 0]

    def start(name: str, attributes: dict[str, str]) -> None:
        if name.rpartition(":")[2] == "c" and "r" in attributes:
            reference = attributes["r"]
            letters = reference.rstrip("0123456789")
            extent[0] = max(extent[0], int(reference[len(letters) :]))
            extent[1] = max(extent[1], column_index(letters))

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.Parse(xml, True)
    return extent[0], extent[1]


def streaming_verdict(blocks: list[bytes]) -> bool:
    """Whether the streaming reader reads the sheet (False: refused as malformed)."""
    try:
        for _ in iter_sheet_xml_rows(blocks, LIMITS, "sheet"):
            pass
    except EngineFailure as failure:
        assert failure.code == "INPUT_UNREADABLE", failure.message
        return False
    return True


_CALAMINE_CHILD = (
    "import sys, python_calamine\n"
    "try:\n"
    "    python_calamine.CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_index(0).to_python()\n"
    "except Exception:\n"
    "    sys.exit(1)\n"
)


def calamine_verdict(tmp_path: Path, xml: bytes) -> bool | str:
    """Whether python-calamine reads the sheet, or how it died (in a child process: it may abort)."""
    path = write_parts(tmp_path / "calamine.xlsx", standard_parts(xml))
    child = subprocess.run([sys.executable, "-c", _CALAMINE_CHILD, str(path)], capture_output=True, timeout=60)
    if child.returncode < 0:
        return f"calamine died of signal {-child.returncode}"
    return child.returncode == 0


@dataclass
class Disagreement:
    cut: int
    segment_bytes: int
    detail: str


def read_path_disagreements(xml: bytes, calamine: Callable[[], bool | str]) -> list[Disagreement]:
    """Every cut point (and scan segment size) at which the read path's verdict is not expat's."""
    expected = expat_accepts(xml)
    extent = referenced_extent(xml) if expected else None
    found: list[Disagreement] = []
    for segment_bytes in SEGMENT_SIZES:
        for cut in range(len(xml) + 1):
            blocks = [xml[:cut], xml[cut:]]
            scan = scan_sheet_xml(blocks, LIMITS, segment_bytes=segment_bytes, tagless_run_bytes=TAGLESS_RUN_BYTES)
            to_calamine = scan.fits_calamine(LIMITS)
            if to_calamine and extent is not None and (scan.row_bound < extent[0] or scan.column_bound < extent[1]):
                found.append(Disagreement(cut, segment_bytes, f"bounds {scan} miss the extent {extent}"))
            calamine_accepts = calamine() if to_calamine else False
            if isinstance(calamine_accepts, str):
                found.append(Disagreement(cut, segment_bytes, f"{calamine_accepts} after {scan}"))
                continue
            # The read path falls back to the streaming reader when calamine rejects a sheet.
            verdict = True if calamine_accepts else streaming_verdict(blocks)
            if verdict != expected:
                found.append(Disagreement(cut, segment_bytes, f"read={verdict} expat={expected} via {scan}"))
    return found


def once(compute: Callable[[], bool | str]) -> Callable[[], bool | str]:
    results: list[bool | str] = []

    def cached() -> bool | str:
        if not results:
            results.append(compute())
        return results[0]

    return cached


# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(WELL_FORMED))
def test_well_formed_sheet_is_read_at_every_cut_point(tmp_path: Path, name: str) -> None:
    # Given a sheet expat accepts
    xml = WELL_FORMED[name]
    assert expat_accepts(xml)

    # When the read path takes it, cut at every byte, Then it is never refused and never under-bounded
    assert read_path_disagreements(xml, once(lambda: calamine_verdict(tmp_path, xml))) == []


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_sheet_is_refused_at_every_cut_point(tmp_path: Path, name: str) -> None:
    # Given a sheet expat refuses
    xml = MALFORMED[name]
    assert not expat_accepts(xml)

    # When the read path takes it, cut at every byte, Then it is refused every time
    assert read_path_disagreements(xml, once(lambda: calamine_verdict(tmp_path, xml))) == []


@pytest.fixture(scope="module")
def one_line_sheet() -> bytes:
    """A 17 MB single-line sheet: a header row, 1,048,574 empty `<row r="n" .../>`, a value in the last row."""
    empty = b"".join(f'<row r="{n}" spans="1:2" x14ac:dyDescent="0.25"/>'.encode() for n in range(2, 1_048_576))
    xml = sheet_xml(row(1, text_cell("A1", "name"), cell("B1", 1)), empty, row(1_048_576, cell("A1048576", 7)))
    assert b"\n" not in xml and len(xml) > 17_000_000
    return xml


def test_sheet_of_a_million_self_closing_rows_on_one_line_is_read(tmp_path: Path, one_line_sheet: bytes) -> None:
    # Given the one-line sheet in a workbook
    path = write_parts(tmp_path / "one-line.xlsx", standard_parts(one_line_sheet))

    # When it is read through the engine
    with open_workbook(path) as workbook:
        rows = workbook.iter_rows(0)
        first = next(rows)
        count, last = 1, first
        for count, last in enumerate(rows, start=2):  # noqa: B007
            pass

    # Then every row arrives and the last one holds its value
    assert first == ["name", 1.0]
    assert (count, last) == (1_048_576, [7.0])


def test_scan_of_the_one_line_sheet_is_proven_at_real_block_sizes(one_line_sheet: bytes) -> None:
    # Given the one-line sheet inflated in blocks of several sizes, some cutting tags in two
    for block_bytes in (1 << 20, (1 << 20) + 7, 65_536 + 3):
        blocks = [one_line_sheet[start : start + block_bytes] for start in range(0, len(one_line_sheet), block_bytes)]

        # When it is scanned with the production segment sizes
        scan = scan_sheet_xml(blocks, LIMITS)

        # Then it is proven and bounded by its true extent (3 cells in 2 million: the streaming reader's)
        assert scan.proven and scan.cell_count == 3
        assert scan.row_bound >= 1_048_576 and scan.column_bound == 2


def _zip_of(path: Path, xml: bytes) -> Path:
    return write_parts(path, standard_parts(xml))


@pytest.mark.parametrize(
    ("name", "expected"),
    [("cdata_value", [["a<b"]]), ("latin1_declared", [["é"]])],
)
def test_sheet_calamine_misreads_is_read_by_the_streaming_reader(
    tmp_path: Path, name: str, expected: list[list[str]]
) -> None:
    # Given valid XML that calamine reads wrongly (CDATA as "") or not at all (a non-UTF-8 encoding)
    path = _zip_of(tmp_path / f"{name}.xlsx", WELL_FORMED[name])

    # When it is read through the engine, Then the values are expat's
    with open_workbook(path) as workbook:
        assert list(workbook.iter_rows(0)) == expected


# Defects only a full parse notices, which calamine reads past: the scan does not look for them (a full
# expat pass costs 2.4 s of CPU per million rows, more than the whole pre-flight), and none of them can
# move a cell out of the scan's sight. They are read as calamine reads them; the list pins the boundary.
TOLERATED_BY_CALAMINE: dict[str, bytes] = {
    "duplicate_attribute": sheet_xml(_narrow_rows(2), b'<row r="3"><c r="A3" s="1" s="2"><v>7</v></c></row>'),
    "less_than_in_attribute_within_a_segment": sheet_xml(
        _narrow_rows(2), b'<row r="3"><c r="A3" x="a<b"><v>7</v></c></row>'
    ),
    "no_space_between_attributes": sheet_xml(_narrow_rows(2), b'<row r="3"><c r="A3"s="1"><v>7</v></c></row>'),
    "ampersand_in_attribute": sheet_xml(_narrow_rows(2), b'<row r="3"><c r="A3" x="a&b"><v>7</v></c></row>'),
    "invalid_element_name": sheet_xml(_narrow_rows(2), b'<row r="3"><1x/><c r="A3"><v>7</v></c></row>'),
}


@pytest.mark.parametrize("name", sorted(TOLERATED_BY_CALAMINE))
def test_defect_only_a_full_parse_notices_is_read_as_calamine_reads_it(tmp_path: Path, name: str) -> None:
    # Given a sheet expat refuses for a defect that hides no cell
    xml = TOLERATED_BY_CALAMINE[name]
    assert not expat_accepts(xml)

    # When it is read through the engine, Then every cell is where calamine puts it
    with open_workbook(write_parts(tmp_path / f"{name}.xlsx", standard_parts(xml))) as workbook:
        assert list(workbook.iter_rows(0)) == [[1.0, 10.0], [2.0, 20.0], [7.0, ""]]
