"""Hostile workbooks: each is opened and fully read in a child process whose time and peak memory are
measured, so that a python-calamine abort (signal 6) or a runaway allocation fails the test instead of
killing pytest. The workbooks are handcrafted zips written by the tests themselves."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import xlsxwriter

from normalizer.inspect import (
    CHUNK_BYTES,
    SEGMENT_BYTES,
    ReadLimits,
    SheetScan,
    _segments,
    _sheet_data_parts,
    scan_sheet,
)

PEAK_MEMORY_LIMIT_MB = 300
TIME_LIMIT_SECONDS = 20.0

_NAMESPACE = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/></Types>'
)
_PACKAGE_RELATIONSHIPS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_NAMESPACE}" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELATIONSHIPS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
_SHEET_HEAD = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_NAMESPACE}"><sheetData>'.encode()
_SHEET_TAIL = b"</sheetData></worksheet>"
_METADATA_PARTS = {
    "[Content_Types].xml": _CONTENT_TYPES,
    "_rels/.rels": _PACKAGE_RELATIONSHIPS,
    "xl/workbook.xml": _WORKBOOK,
    "xl/_rels/workbook.xml.rels": _WORKBOOK_RELATIONSHIPS,
}


def write_package(path: Path, sheet_rows: Iterable[bytes], extra_parts: dict[str, str] | None = None) -> Path:
    """A one-sheet xlsx whose sheetData is `sheet_rows`, streamed into the zip (never held whole)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        for name, text in {**_METADATA_PARTS, **(extra_parts or {})}.items():
            package.writestr(name, text)
        with package.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_HEAD)
            for row in sheet_rows:
                sheet.write(row)
            sheet.write(_SHEET_TAIL)
    return path


def write_raw_package(path: Path, sheet_deflated: bytes, sheet_declared_size: int) -> Path:
    """A one-sheet xlsx whose sheet entry is pre-deflated data under a header declaring any size."""
    entries = [(name, zlib.compress(text.encode())[2:-4], len(text.encode())) for name, text in _METADATA_PARTS.items()]
    entries.append(("xl/worksheets/sheet1.xml", sheet_deflated, sheet_declared_size))
    central = b""
    with open(path, "wb") as file:
        for name, data, size in entries:
            offset = file.tell()
            encoded = name.encode()
            # CRC 0: every test here is decided before a CRC would be checked.
            header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, 0, len(data), size, len(encoded), 0)
            file.write(header + encoded + data)
            central += (
                struct.pack(
                    "<IHHHHHHIIIHHHHHII",
                    0x02014B50,
                    20,
                    20,
                    0,
                    8,
                    0,
                    0,
                    0,
                    len(data),
                    size,
                    len(encoded),
                    0,
                    0,
                    0,
                    0,
                    0,
                    offset,
                )
                + encoded
            )
        directory_offset = file.tell()
        file.write(central)
        file.write(
            struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), directory_offset, 0)
        )
    return path


def deflated_repetition(block: bytes, repeats: int) -> bytes:
    """Raw deflate of `block` repeated: after a full flush identical input gives identical output."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    return first + again * (repeats - 1) + compressor.flush()


@dataclass(frozen=True)
class ChildRun:
    exit_status: int
    seconds: float
    peak_memory_mb: float
    result: dict[str, object]


_READ_EVERYTHING = textwrap.dedent(
    """
    import json, resource, sys
    # A runaway allocation fails inside the child rather than exhausting the machine.
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
    from normalizer.errors import EngineFailure
    from normalizer.read import open_workbook
    try:
        with open_workbook(sys.argv[1]) as workbook:
            rows = cells = 0
            last = None
            for sheet in workbook.sheets:
                for row in workbook.iter_rows(sheet.index):
                    rows += 1
                    filled = [(index, value) for index, value in enumerate(row) if value != ""]
                    if filled:
                        cells += len(filled)
                        last = [rows, filled[-1][0] + 1, str(filled[-1][1])]
        result = {"outcome": "read", "rows": rows, "cells": cells, "last": last}
    except EngineFailure as failure:
        result = {"outcome": "failure", "code": failure.code, "message": failure.message}
    # VmHWM is this program's own peak; ru_maxrss from wait4 would include the forking parent's.
    status = open("/proc/self/status").read()
    result["peak_kb"] = int(status.split("VmHWM:")[1].split()[0])
    print(json.dumps(result))
    """
)


def read_in_child(path: Path) -> ChildRun:
    """Open and read every row of `path` in a child process; report its time, peak RSS and result."""
    output = path.with_suffix(".out")
    started = time.monotonic()
    with open(output, "wb") as stdout:
        child = subprocess.Popen(
            [sys.executable, "-c", _READ_EVERYTHING, str(path)],
            stdout=stdout,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        timer = threading.Timer(TIME_LIMIT_SECONDS * 3, child.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            timer.cancel()
    child.returncode = os.waitstatus_to_exitcode(status)
    text = output.read_text().strip()
    result = json.loads(text) if text else {}
    return ChildRun(
        exit_status=child.returncode,
        seconds=time.monotonic() - started,
        peak_memory_mb=result.pop("peak_kb", usage.ru_maxrss) / 1024,
        result=result,
    )


def assert_bounded(run: ChildRun) -> None:
    assert run.exit_status == 0, f"the reader crashed (exit status {run.exit_status})"
    assert run.seconds < TIME_LIMIT_SECONDS, f"took {run.seconds:.1f} s"
    assert run.peak_memory_mb < PEAK_MEMORY_LIMIT_MB, f"peaked at {run.peak_memory_mb:.0f} MB"


def cell(reference: str, value: int) -> bytes:
    return f'<c r="{reference}"><v>{value}</v></c>'.encode()


def row(number: int, *cells: bytes) -> bytes:
    return f'<row r="{number}">'.encode() + b"".join(cells) + b"</row>"


# ---------------------------------------------------------------------------------------------


def test_two_cells_a1_and_bxy200001_are_read_in_bounded_memory(tmp_path: Path) -> None:
    # Given a workbook whose only cells are A1 and BXY200001 (calamine: a 12.5 GB grid)
    path = write_package(tmp_path / "corner.xlsx", [row(1, cell("A1", 1)), row(200001, cell("BXY200001", 2))])

    # When it is read in full
    run = read_in_child(path)

    # Then both cells come back at their true positions, quickly and in little memory
    assert_bounded(run)
    assert run.result == {"outcome": "read", "rows": 200001, "cells": 2, "last": [200001, 2001, "2.0"]}


def test_two_cells_a1_and_xfd1048576_are_read_without_aborting(tmp_path: Path) -> None:
    # Given a workbook holding A1 and the sheet's very last cell (calamine aborts the process)
    path = write_package(tmp_path / "far.xlsx", [row(1, cell("A1", 1)), row(1048576, cell("XFD1048576", 2))])

    # When it is read in full
    run = read_in_child(path)

    # Then the last cell is at row 1,048,576, column 16,384
    assert_bounded(run)
    assert run.result == {"outcome": "read", "rows": 1048576, "cells": 2, "last": [1048576, 16384, "2.0"]}


def test_far_cell_listed_first_is_still_kept_out_of_calamine(tmp_path: Path) -> None:
    # Given the far corner written before A1 (rows out of order: the last reference is harmless)
    path = write_package(tmp_path / "unsorted.xlsx", [row(1048576, cell("XFD1048576", 2)), row(1, cell("A1", 1))])

    # When it is read in full
    run = read_in_child(path)

    # Then the process survives in bounded memory
    assert_bounded(run)
    assert run.result["outcome"] == "read"


def test_sheet_16384_columns_wide_is_read(tmp_path: Path) -> None:
    # Given a sheet with values in every one of Excel's 16,384 columns on three rows
    path = tmp_path / "wide.xlsx"
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("Wide")
    for row_index in range(3):
        sheet.write_row(row_index, 0, [row_index * 100_000 + column for column in range(16384)])
    workbook.close()

    # When it is read in full
    run = read_in_child(path)

    # Then every cell arrives and the last one is XFD3
    assert_bounded(run)
    assert run.result == {"outcome": "read", "rows": 3, "cells": 3 * 16384, "last": [3, 16384, "216383.0"]}


def test_sheet_with_a_million_styled_empty_rows_is_read(tmp_path: Path) -> None:
    # Given a header and two data rows followed by a million rows of formatted but empty cells
    def rows() -> Iterator[bytes]:
        yield row(
            1, b'<c r="A1" t="inlineStr"><is><t>name</t></is></c>', b'<c r="B1" t="inlineStr"><is><t>n</t></is></c>'
        )
        yield row(2, b'<c r="A2" t="inlineStr"><is><t>ann</t></is></c>', cell("B2", 1))
        yield row(3, b'<c r="A3" t="inlineStr"><is><t>bob</t></is></c>', cell("B3", 2))
        for number in range(4, 1_000_004):
            yield f'<row r="{number}"><c r="A{number}" s="1"/><c r="B{number}" s="1"/></row>'.encode()

    path = write_package(tmp_path / "empty-rows.xlsx", rows())

    # When it is read in full
    run = read_in_child(path)

    # Then the three real rows come back and the empty ones cost neither time nor memory
    assert_bounded(run)
    assert run.result["outcome"] == "read"
    assert run.result["cells"] == 6
    assert run.result["last"] == [3, 2, "2.0"]


def test_million_empty_rows_between_two_values_are_read(tmp_path: Path) -> None:
    # Given a value in A1 and the next one a million rows below, nothing between
    path = write_package(tmp_path / "gap.xlsx", [row(1, cell("A1", 1)), row(1_000_001, cell("A1000001", 2))])

    # When it is read in full
    run = read_in_child(path)

    # Then the second value is at its true row
    assert_bounded(run)
    assert run.result == {"outcome": "read", "rows": 1_000_001, "cells": 2, "last": [1_000_001, 1, "2.0"]}


def test_shared_strings_unique_count_lie_does_not_reach_calamine(tmp_path: Path) -> None:
    # Given a shared-strings header claiming four billion strings for the one it holds
    shared_strings = (
        f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_NAMESPACE}" count="1" uniqueCount="4000000000">'
        "<si><t>hello</t></si></sst>"
    )
    path = write_package(
        tmp_path / "lie.xlsx", [row(1, b'<c r="A1" t="s"><v>0</v></c>')], {"xl/sharedStrings.xml": shared_strings}
    )

    # When it is read in full
    run = read_in_child(path)

    # Then the string is read from a sanitized copy and the process survives
    assert_bounded(run)
    assert run.result == {"outcome": "read", "rows": 1, "cells": 1, "last": [1, 1, "hello"]}


def test_zip_bomb_declaring_its_size_is_refused_before_inflating(tmp_path: Path) -> None:
    # Given a 4 MB file whose sheet declares (truthfully) 1.5 GB of XML
    block = row(1, cell("A1", 1)) * 25_000
    repeats = (1536 << 20) // len(block)
    path = write_raw_package(tmp_path / "bomb.xlsx", deflated_repetition(block, repeats), len(block) * repeats)

    # When it is opened
    run = read_in_child(path)

    # Then it is refused as too large, at once
    assert_bounded(run)
    assert run.result["outcome"] == "failure"
    assert run.result["code"] == "INPUT_TOO_LARGE"
    assert run.seconds < 5


def test_zip_bomb_lying_about_its_size_is_cut_off_at_the_declared_size(tmp_path: Path) -> None:
    # Given the same 1.5 GB of sheet XML under a header declaring 8 MB
    block = row(1, cell("A1", 1)) * 25_000
    repeats = (1536 << 20) // len(block)
    path = write_raw_package(tmp_path / "liar.xlsx", deflated_repetition(block, repeats), 8 << 20)

    # When it is read
    run = read_in_child(path)

    # Then inflating stops after 8 MB and the workbook is refused
    assert_bounded(run)
    assert run.result["outcome"] == "failure"
    assert run.result["code"] == "INPUT_TOO_LARGE"
    assert run.seconds < 5


def test_second_reference_behind_a_megabyte_long_attribute_is_not_missed(tmp_path: Path) -> None:
    # Given A1, then a cell whose second `r` (the far corner) follows a 2 MB attribute value, placed
    # so that a cut at a megabyte boundary falls between that value's closing quote and the `r`
    head = row(1, cell("A1", 1))[:-6] + b'<c r="B1" x="'
    padding = 2 * (1 << 20) - len(_SHEET_HEAD) - len(head) - 1
    tail = b'" r="XFD1048576"><v>2</v></c></row>'
    path = write_package(tmp_path / "hidden.xlsx", [head + b"a" * padding + tail])

    # When it is scanned and read
    scan = scan_sheet(str(path), "xl/worksheets/sheet1.xml", ReadLimits())
    run = read_in_child(path)

    # Then calamine is not trusted with it, and the process survives
    assert not scan.proven
    assert_bounded(run)
    assert run.result["outcome"] in ("read", "failure")


def test_less_than_in_an_attribute_at_a_segment_cut_does_not_hide_a_far_cell(tmp_path: Path) -> None:
    # Given narrow rows, then a cell whose attribute value holds a "<" exactly where the scan cuts a
    # segment, with the far corner as a second reference after it (calamine took it and aborted)
    rows = [row(n, cell(f"A{n}", n)) for n in range(1, 5300)]
    head = b'<row r="5300"><c r="A5300" x="'
    padding = SEGMENT_BYTES - len(_SHEET_HEAD) - sum(map(len, rows)) - len(head)
    tail = b'<" r="XFD1048576"><v>1</v></c></row>'
    path = write_package(tmp_path / "cut.xlsx", [*rows, head + b"a" * padding + tail])

    # When it is scanned and read
    scan = scan_sheet(str(path), "xl/worksheets/sheet1.xml", ReadLimits())
    run = read_in_child(path)

    # Then calamine is not trusted with it, and expat refuses the malformed sheet
    assert not scan.proven
    assert_bounded(run)
    assert run.result["outcome"] == "failure"
    assert run.result["code"] == "INPUT_UNREADABLE"
    assert "not valid XML" in str(run.result["message"])


def test_cell_with_two_references_is_refused_not_crashed(tmp_path: Path) -> None:
    # Given a cell whose second `r` attribute points at the far corner
    path = write_package(tmp_path / "twice.xlsx", [row(1, b'<c r="A1" r="XFD1048576"><v>1</v></c>', cell("B1", 2))])

    # When it is read
    run = read_in_child(path)

    # Then the process survives (calamine rejects duplicate attributes; the reader reports it)
    assert_bounded(run)
    assert run.result["outcome"] in ("read", "failure")


@pytest.mark.parametrize(
    ("attribute", "value"),
    [("uniqueCount", "18446744073709551615"), ("count", "4000000000")],
)
def test_other_shared_strings_header_values_are_survived(tmp_path: Path, attribute: str, value: str) -> None:
    # Given an absurd count attribute in the shared-strings header
    shared_strings = f'<?xml version="1.0"?><sst xmlns="{_NAMESPACE}" {attribute}="{value}"><si><t>x</t></si></sst>'
    path = write_package(
        tmp_path / "odd.xlsx", [row(1, b'<c r="A1" t="s"><v>0</v></c>')], {"xl/sharedStrings.xml": shared_strings}
    )

    # When it is read, Then the string comes back
    run = read_in_child(path)
    assert_bounded(run)
    assert run.result["last"] == [1, 1, "x"]


# ---------------------------------------------------------------------------------------------
# The scan itself, in process (small files)


def test_scan_bounds_a_dense_sheet_by_its_true_extent(tmp_path: Path) -> None:
    # Given 300 rows of 5 columns
    path = write_package(
        tmp_path / "dense.xlsx", [row(n, *(cell(f"{c}{n}", n) for c in "ABCDE")) for n in range(1, 301)]
    )

    # When it is scanned
    scan = scan_sheet(str(path), "xl/worksheets/sheet1.xml", ReadLimits())

    # Then it is proven, exactly 5 columns wide and bounded within one digit class of its rows
    assert scan.proven and scan.cell_count == 1500
    assert scan.column_bound == 5
    assert 300 <= scan.row_bound <= 999
    assert scan.fits_calamine(ReadLimits())


def test_scan_leaves_cells_without_references_unproven(tmp_path: Path) -> None:
    # Given cells that rely on their position instead of an `r` reference
    path = write_package(tmp_path / "positional.xlsx", [b'<row r="1"><c><v>1</v></c><c><v>2</v></c></row>'])

    # When it is scanned
    scan = scan_sheet(str(path), "xl/worksheets/sheet1.xml", ReadLimits())

    # Then calamine is not trusted with it
    assert not scan.proven
    assert not scan.fits_calamine(ReadLimits())


def test_scan_sees_prefixed_cells(tmp_path: Path) -> None:
    # Given a sheet whose elements carry a namespace prefix and a far cell among them
    head = b'<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c><x:c r="XFD9"><x:v>2</x:v></x:c></x:row>'
    path = write_package(tmp_path / "prefixed.xlsx", [head])

    # When it is scanned
    scan = scan_sheet(str(path), "xl/worksheets/sheet1.xml", ReadLimits())

    # Then both cells count and the far column is seen
    assert scan.cell_count == 2
    assert scan.column_bound == 16384


def test_scan_refuses_more_cells_than_allowed(tmp_path: Path) -> None:
    # Given 2,000 cells and a limit of 1,000
    path = write_package(tmp_path / "many.xlsx", [row(n, cell(f"A{n}", n), cell(f"B{n}", n)) for n in range(1, 1001)])

    # When it is scanned, Then it is refused as too large
    with pytest.raises(Exception, match="more than 1000 cells") as failure:
        scan_sheet(str(path), "xl/worksheets/sheet1.xml", ReadLimits(max_cells=1000))
    assert getattr(failure.value, "code", None) == "INPUT_TOO_LARGE"


def _narrow_sheet(tmp_path: Path, name: str, odd_cell: bytes, *, first: int = 1, rows: int = 3000) -> Path:
    """Columns A-C on `rows` rows from row `first` (a few scan segments), with `odd_cell` added half-way."""
    at = first + rows // 2

    def sheet_rows() -> Iterator[bytes]:
        for number in range(first, first + rows):
            cells = [cell(f"{column}{number}", number) for column in "ABC"]
            yield row(number, *cells, odd_cell) if number == at else row(number, *cells)

    return write_package(tmp_path / name, sheet_rows())


def _scan(path: Path) -> SheetScan:
    return scan_sheet(str(path), "xl/worksheets/sheet1.xml", ReadLimits())


def test_scan_fast_path_bounds_a_plain_narrow_sheet(tmp_path: Path) -> None:
    # Given 3,000 rows of A-C (rows of 1 to 4 digits, over several segments)
    scan = _scan(_narrow_sheet(tmp_path, "plain.xlsx", b""))

    # Then it is proven, 3 columns wide, rows bounded by their digit count
    assert scan == SheetScan(cell_count=9000, proven=True, row_bound=9999, column_bound=3)


@pytest.mark.parametrize(
    ("odd_cell", "column_bound", "row_bound"),
    [
        (b'<c r="XFD1500"><v>1</v></c>', 16384, 3000),  # a wide reference among narrow ones
        (b'<c r = "XFD1500"><v>1</v></c>', 16384, 3000),  # whitespace around "="
        (b'<c\n\tr="XFD1500"><v>1</v></c>', 16384, 3000),  # other whitespace before r
        (b'<x:c r="XFD1500"><v>1</v></c>', 16384, 3000),  # a namespace prefix
        (b"<c r='XFD1500'><v>1</v></c>", 16384, 3000),  # single quotes
        (b'<c r="D1048577"><v>1</v></c>', 4, 1048577),  # a 7-digit row
        (b'<c r="D999999"><v>1</v></c>', 4, 999999),  # a 6-digit row between 4-digit ones
    ],
)
def test_scan_sees_an_odd_cell_among_narrow_ones(
    tmp_path: Path, odd_cell: bytes, column_bound: int, row_bound: int
) -> None:
    # Given a narrow sheet with one cell that the fast path cannot prove
    scan = _scan(_narrow_sheet(tmp_path, "odd.xlsx", odd_cell))

    # Then its reference still bounds the sheet (with every other cell)
    assert scan.proven and scan.cell_count == 9001
    assert scan.column_bound >= column_bound and scan.row_bound >= row_bound


@pytest.mark.parametrize(
    "odd_cell",
    [
        b'<c r="D1500" s="1" r="XFD1048576"><v>1</v></c>',  # a second r after another attribute
        b'<c r="D1500"r="XFD1048576"><v>1</v></c>',  # a second r with no space before it
        b'<c r="D1500" \n r = "XFD1048576"><v>1</v></c>',  # ... or with whitespace around
        b'<c s="1" r="XFD1048576"><v>1</v></c>',  # r not first
        b'<c r="xfd1048576"><v>1</v></c>',  # a lower-case reference
        b"<c><v>1</v></c>",  # no reference at all
    ],
)
def test_scan_leaves_a_sheet_with_an_unprovable_cell_unproven(tmp_path: Path, odd_cell: bytes) -> None:
    scan = _scan(_narrow_sheet(tmp_path, "unproven.xlsx", odd_cell))
    assert not scan.proven
    assert not scan.fits_calamine(ReadLimits())


@pytest.mark.parametrize(
    ("odd_cell", "column_bound", "row_bound"),
    [
        (b'<c r="C1048577"><v>1</v></c>', 3, 1048577),  # a 7-digit row among 6-digit ones
        (b'<c r="C12"><v>1</v></c>', 3, 102999),  # a 2-digit row among 6-digit ones
        (b'<c r="XFD101500"><v>1</v></c>', 16384, 102999),  # a wide reference
        (b'<c r="D101500" r="XFD1048576"><v>1</v></c>', 16384, 1048576),  # a second r
    ],
)
def test_scan_sees_an_odd_cell_among_rows_of_one_length(
    tmp_path: Path, odd_cell: bytes, column_bound: int, row_bound: int
) -> None:
    # Given rows 100000 to 102999 (every segment starts and ends on a 6-digit row) and one odd cell
    scan = _scan(_narrow_sheet(tmp_path, "one-length.xlsx", odd_cell, first=100_000))

    # Then the odd cell is counted, and bounds the sheet or leaves it unproven
    assert scan.cell_count == 9001
    assert not scan.proven or (scan.column_bound >= column_bound and scan.row_bound >= row_bound)


def test_scan_sees_rows_that_go_down_within_a_segment(tmp_path: Path) -> None:
    # Given rows 1000 to 1999, then rows 1 to 999 (first and last cell of a segment disagree)
    rows = [row(n, cell(f"A{n}", n), cell(f"B{n}", n)) for n in [*range(1000, 2000), *range(1, 1000)]]
    scan = _scan(write_package(tmp_path / "down.xlsx", rows))
    assert scan.proven and scan.cell_count == 3998
    assert scan.row_bound >= 1999 and scan.column_bound == 2


def test_scan_is_not_thrown_off_by_columns_and_formats_around_the_cells(tmp_path: Path) -> None:
    # Given column widths before sheetData and conditional formats after it
    head = b'<cols><col min="1" max="3" width="9"/></cols><sheetData>'
    tail = b'</sheetData><conditionalFormatting sqref="A1"><cfRule type="cellIs" priority="1"/></conditionalFormatting>'
    sheet = _SHEET_HEAD.replace(b"<sheetData>", head) + b"".join(
        row(n, cell(f"A{n}", n), cell(f"C{n}", n)) for n in range(1, 2001)
    )
    path = tmp_path / "formats.xlsx"
    write_package(path, [])
    with zipfile.ZipFile(path, "a") as package:
        package.writestr(
            "xl/worksheets/sheet2.xml", sheet + tail.replace(b"</sheetData>", b"</sheetData>") + b"</worksheet>"
        )

    # When its sheet is scanned
    scan = scan_sheet(str(path), "xl/worksheets/sheet2.xml", ReadLimits())

    # Then it is proven and bounded by its cells alone
    assert scan == SheetScan(cell_count=4000, proven=True, row_bound=9999, column_bound=3)


def test_sheet_data_parts_cut_before_the_tags_naming_sheet_data() -> None:
    raw = b'<cols><col min="1"/></cols><sheetData><row r="1"/></sheetData><cfRule/>'
    parts = _sheet_data_parts(raw)
    assert b"".join(parts) == raw
    assert [part[:11] for part in parts] == [b"<cols><col ", b"<sheetData>", b"</sheetData"]
    assert _sheet_data_parts(b'<row r="1"><c r="A1"/></row>') == [b'<row r="1"><c r="A1"/></row>']


@pytest.mark.parametrize("block_bytes", [1, 7, 4096, SEGMENT_BYTES - 1, SEGMENT_BYTES + 3, 3 * SEGMENT_BYTES])
def test_segments_end_just_before_a_tag_and_lose_nothing(block_bytes: int) -> None:
    # Given sheet XML with tags at irregular distances, inflated in blocks of some size
    xml = b"".join(b"<c" + b"x" * (n * 7919 % 3000) for n in range(2000))
    blocks = [xml[start : start + block_bytes] for start in range(0, len(xml), block_bytes)]

    # When it is cut into segments
    segments = list(_segments(blocks))

    # Then they make up the XML, each cut sits before a "<", and none is much over the segment size
    assert b"".join(segment for segment, _ in segments) == xml
    assert all(cut_before_tag for _, cut_before_tag in segments)
    assert all(segment.startswith(b"<c") for segment, _ in segments)
    assert all(len(segment) <= SEGMENT_BYTES + 3000 + block_bytes for segment, _ in segments)


def test_segments_flag_a_cut_forced_by_a_megabyte_without_tags() -> None:
    # Given a tag followed by twice the allowed run without another
    xml = b"<c " + b"a" * 2 * (SEGMENT_BYTES + CHUNK_BYTES) + b"<c/>"
    blocks = [xml[start : start + 65536] for start in range(0, len(xml), 65536)]

    # When it is cut into segments, Then some cut is flagged as not before a tag, and nothing is lost
    segments = list(_segments(blocks))
    assert b"".join(segment for segment, _ in segments) == xml
    assert [cut_before_tag for _, cut_before_tag in segments].count(False) >= 1
    assert segments[-1] == (b"<c/>", True) or segments[-1][0].endswith(b"<c/>")


# ---------------------------------------------------------------------------------------------
# xlsb and ods: calamine reads them, so their bounds are checked before it does


def _xlsb_with_far_cell(path: Path, row_index: int, column_index: int) -> Path:
    """A pyxlsbwriter workbook holding A1 and one cell moved to (row_index, column_index), 0-based."""
    from pyxlsbwriter import XlsbWriter

    with XlsbWriter(str(path)) as writer:
        writer.add_sheet("Data")
        writer.write_sheet([[1, None], [None, 2]])
    with zipfile.ZipFile(path) as package:
        parts = {info.filename: package.read(info) for info in package.infolist()}
    sheet = parts["xl/worksheets/sheet1.bin"]
    # BrtRowHdr of row 1 (type 0, size 25, rw=1) and BrtCellRk in column 1 (type 2, size 12, column=1).
    row_header, rk_cell = b"\x00\x19" + struct.pack("<I", 1), b"\x02\x0c" + struct.pack("<I", 1)
    assert sheet.count(row_header) == 1 and sheet.count(rk_cell) == 1
    sheet = sheet.replace(row_header, b"\x00\x19" + struct.pack("<I", row_index))
    parts["xl/worksheets/sheet1.bin"] = sheet.replace(rk_cell, b"\x02\x0c" + struct.pack("<I", column_index))
    with zipfile.ZipFile(path, "w") as package:
        for name, data in parts.items():
            package.writestr(name, data)
    return path


def test_xlsb_with_a1_and_xfd1048576_is_refused_without_aborting(tmp_path: Path) -> None:
    # Given an xlsb holding A1 and XFD1048576 (calamine: a half-terabyte allocation, then abort)
    path = _xlsb_with_far_cell(tmp_path / "far.xlsb", 1_048_575, 16_383)

    # When it is read
    run = read_in_child(path)

    # Then it is refused as too large, in bounded time and memory
    assert_bounded(run)
    assert run.result["outcome"] == "failure"
    assert run.result["code"] == "INPUT_TOO_LARGE"


def test_xlsb_cell_beyond_the_last_column_is_refused(tmp_path: Path) -> None:
    run = read_in_child(_xlsb_with_far_cell(tmp_path / "wide.xlsb", 1, 0xFFFF_FFF0))
    assert_bounded(run)
    assert run.result["code"] == "INPUT_TOO_LARGE"


def test_xlsb_cell_within_bounds_is_read_where_it_is(tmp_path: Path) -> None:
    run = read_in_child(_xlsb_with_far_cell(tmp_path / "near.xlsb", 9, 4))
    assert_bounded(run)
    assert run.result == {"outcome": "read", "rows": 10, "cells": 2, "last": [10, 5, "2"]}


_ODS_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
    '<office:body><office:spreadsheet><table:table table:name="Data">'
)
_ODS_TAIL = "</table:table></office:spreadsheet></office:body></office:document-content>"
_ODS_MANIFEST = (
    '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    "</manifest:manifest>"
)
_ODS_VALUE = '<table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell>'


def _ods(path: Path, rows: str) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        package.writestr("content.xml", _ODS_HEAD + rows + _ODS_TAIL)
        package.writestr("META-INF/manifest.xml", _ODS_MANIFEST)
    return path


@pytest.mark.parametrize(
    "rows",
    [
        # one value repeated over 5,000 columns on 5,000 rows: 25 million cells from a few bytes
        '<table:table-row table:number-rows-repeated="5000">'
        '<table:table-cell table:number-columns-repeated="5000" office:value-type="float" office:value="1"/>'
        "</table:table-row>",
        # A1 and the sheet's last cell, empty repeats between: a 17-billion-cell grid
        f"<table:table-row>{_ODS_VALUE}</table:table-row>"
        '<table:table-row table:number-rows-repeated="1048574"><table:table-cell/></table:table-row>'
        f'<table:table-row><table:table-cell table:number-columns-repeated="16383"/>{_ODS_VALUE}</table:table-row>',
    ],
    ids=["repeated_values", "far_corner"],
)
def test_ods_whose_repeats_expand_past_the_limits_is_refused(tmp_path: Path, rows: str) -> None:
    run = read_in_child(_ods(tmp_path / "repeats.ods", rows))
    assert_bounded(run)
    assert run.result["outcome"] == "failure"
    assert run.result["code"] == "INPUT_TOO_LARGE"


def test_ods_with_empty_repeats_to_the_last_row_and_column_is_read(tmp_path: Path) -> None:
    # Given one value, then empty cells repeated to the last column and empty rows to the last row
    rows = (
        f'<table:table-row>{_ODS_VALUE}<table:table-cell table:number-columns-repeated="16383"/></table:table-row>'
        '<table:table-row table:number-rows-repeated="1048575">'
        '<table:table-cell table:style-name="ce1" table:number-columns-repeated="16384"/></table:table-row>'
    )

    # When it is read, Then the value is all there is
    run = read_in_child(_ods(tmp_path / "trailing.ods", rows))
    assert_bounded(run)
    assert run.result == {"outcome": "read", "rows": 1, "cells": 1, "last": [1, 1, "1.0"]}
