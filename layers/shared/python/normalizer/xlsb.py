"""Walk the records of an xlsb (Excel binary workbook) before python-calamine reads it.

python-calamine reads xlsb sheets into a dense grid spanning their cells, and takes each cell's column
from the file unchecked: two cells, A1 and XFD1048576, make it allocate half a terabyte and abort the
process. There is no streaming reader for xlsb, so the walk bounds each sheet's cells and the run is
refused (INPUT_TOO_LARGE) when the grid would not fit. Records are MS-XLSB's: a type and a size, each a
little-endian base-128 number (type at most 2 bytes, size at most 4), then `size` bytes of data.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

from normalizer.errors import EngineFailure

_ROW_HEADER = 0x0000
# The cell records calamine reads a value from (BrtCellRk .. BrtFmlaError), and BrtCellRString.
_CELL_RECORDS = frozenset(range(0x0002, 0x000C)) | {0x003E}
_BUNDLE_SHEET = 0x009C
_WORKBOOK_PROPERTIES = 0x0099
_BOOK_VIEW = 0x009E
_UINT32 = struct.Struct("<I")
_SHEET_STATES = {0: True, 1: False, 2: False}


@dataclass(frozen=True)
class BinarySheetEntry:
    """A sheet as the binary workbook part lists it."""

    name: str
    visible: bool
    relationship_id: str


@dataclass(frozen=True)
class BinarySheetBounds:
    """The cells calamine will read from an xlsb sheet (0-based rows and columns)."""

    cell_count: int
    first_row: int
    last_row: int
    first_column: int
    last_column: int

    @property
    def dense_cells(self) -> int:
        """The grid calamine materializes: the rectangle spanning the cells."""
        if not self.cell_count:
            return 0
        return (self.last_row - self.first_row + 1) * (self.last_column - self.first_column + 1)


def _damaged(what: str) -> EngineFailure:
    return EngineFailure("INPUT_UNREADABLE", f"The xlsb workbook is damaged: {what}.", stage="read")


def _read_header(data: bytes | memoryview, position: int) -> tuple[int, int, int] | None:
    """(type, size, data start) of the record at `position`, or None when the header is cut short."""
    end = len(data)
    if position >= end:
        return None
    first = data[position]
    record_type = first & 0x7F
    position += 1
    if first & 0x80:
        if position >= end:
            return None
        record_type |= (data[position] & 0x7F) << 7
        position += 1
    size = 0
    for shift in (0, 7, 14, 21):
        if position >= end:
            return None
        byte = data[position]
        position += 1
        size |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return record_type, size, position
    raise _damaged("a record's size is malformed")


def _wide_string(data: bytes, position: int) -> tuple[str | None, int]:
    """An XLWideString (or a null XLNullableWideString) at `position`, and the position after it."""
    if position + 4 > len(data):
        raise _damaged("a sheet entry is cut short")
    (characters,) = _UINT32.unpack_from(data, position)
    position += 4
    if characters == 0xFFFFFFFF:
        return None, position
    end = position + 2 * characters
    if end > len(data):
        raise _damaged("a sheet entry is cut short")
    return data[position:end].decode("utf-16-le", errors="replace"), end


def read_binary_workbook(data: bytes) -> tuple[list[BinarySheetEntry], int, bool]:
    """The sheets (BrtBundleSh), active tab (BrtBookView) and date system (BrtWbProp) of workbook.bin.

    Raises EngineFailure INPUT_UNREADABLE when the records are malformed.
    """
    sheets: list[BinarySheetEntry] = []
    active_tab = 0
    date_1904 = False
    seen_view = False
    position = 0
    while (header := _read_header(data, position)) is not None:
        record_type, size, start = header
        position = start + size
        if position > len(data):
            raise _damaged("the workbook part is cut short")
        if record_type == _BUNDLE_SHEET and size >= 8:
            (state,) = _UINT32.unpack_from(data, start)
            relationship_id, after = _wide_string(data, start + 8)
            name, _ = _wide_string(data, after)
            sheets.append(BinarySheetEntry(name or "", _SHEET_STATES.get(state, False), relationship_id or ""))
        elif record_type == _WORKBOOK_PROPERTIES and size >= 4:
            date_1904 = bool(data[start] & 0x01)
        elif record_type == _BOOK_VIEW and size >= 28 and not seen_view:
            seen_view = True
            (active_tab,) = _UINT32.unpack_from(data, start + 24)
    return sheets, active_tab, date_1904


def scan_binary_sheet(blocks: Iterable[bytes], *, max_cells: int, max_rows: int, max_columns: int) -> BinarySheetBounds:
    """Bound the cells of an xlsb sheet part arriving in `blocks`, holding one block at a time.

    Raises EngineFailure INPUT_TOO_LARGE (more cells than `max_cells`, a cell beyond the sheet's
    columns) or INPUT_UNREADABLE (malformed records).
    """
    bounds = _BoundsTracker()
    pending = b""
    unpack_uint32 = _UINT32.unpack_from
    cell_records = _CELL_RECORDS
    for block in blocks:
        data = pending + block if pending else block
        end = len(data)
        position = 0
        while position + 1 < end:
            record_type, size = data[position], data[position + 1]
            if record_type < 0x80 and size < 0x80:
                # The common case, inlined: a one-byte type and a one-byte size.
                start = position + 2
            else:
                header = _read_header(data, position)
                if header is None:
                    break
                record_type, size, start = header
            if start + size > end:
                break
            position = start + size
            if record_type in cell_records and size >= 4:
                column = unpack_uint32(data, start)[0]
                if column >= max_columns:
                    raise _too_large(f"A sheet cell lies beyond the {max_columns} columns allowed.")
                bounds.row_cells += 1
                if column > bounds.last_column:
                    bounds.last_column = column
                if column < bounds.first_column:
                    bounds.first_column = column
            elif record_type == _ROW_HEADER and size >= 4:
                bounds.close_row()
                bounds.row = unpack_uint32(data, start)[0]
                if bounds.row > max_rows:
                    # calamine stops reading the sheet at the first row past the grid (0-based rows).
                    return bounds.result(max_cells)
        bounds.close_row()
        if bounds.cells > max_cells:
            raise _too_large(f"A sheet holds more than {max_cells} cells.")
        pending = data[position:]
    bounds.close_row()
    return bounds.result(max_cells)


class _BoundsTracker:
    def __init__(self) -> None:
        self.row = 0
        self.row_cells = 0
        self.cells = 0
        self.first_row = self.first_column = 1 << 32
        self.last_row = self.last_column = -1

    def close_row(self) -> None:
        if self.row_cells:
            self.cells += self.row_cells
            self.row_cells = 0
            self.first_row = min(self.first_row, self.row)
            self.last_row = max(self.last_row, self.row)

    def result(self, max_cells: int) -> BinarySheetBounds:
        self.close_row()
        if self.cells > max_cells:
            raise _too_large(f"A sheet holds more than {max_cells} cells.")
        if not self.cells:
            return BinarySheetBounds(0, 0, 0, 0, 0)
        return BinarySheetBounds(self.cells, self.first_row, self.last_row, self.first_column, self.last_column)


def _too_large(message: str) -> EngineFailure:
    return EngineFailure("INPUT_TOO_LARGE", message, stage="read")
