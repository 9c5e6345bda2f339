"""Bound the cells of an ods workbook before python-calamine reads it.

python-calamine reads every table of content.xml into a dense grid spanning its non-empty cells, with
`table:number-rows-repeated` and `table:number-columns-repeated` expanded: one repeated cell can ask
for billions of cells (calamine refuses past 100 million, which is still gigabytes). The scan walks
content.xml's tags with expat, repeats included, and refuses the workbook when a table's grid or cell
count exceeds the run's limits. Element names are matched as calamine matches them: by their
qualified name (`table:table-cell`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from xml.parsers import expat

from normalizer.errors import EngineFailure

_CELLS = frozenset({"table:table-cell", "table:covered-table-cell"})
_ROW = "table:table-row"
_TABLE = "table:table"
_REPEATED_COLUMNS = "table:number-columns-repeated"
_REPEATED_ROWS = "table:number-rows-repeated"


@dataclass(frozen=True)
class OdsLimits:
    max_cells: int
    max_dense_cells: int
    max_rows: int
    max_columns: int


class _TableScanner:
    """expat handlers tracking the table, row and cell being read; a cell with a value type or any
    child element (a paragraph, an annotation) is non-empty."""

    def __init__(self, limits: OdsLimits) -> None:
        self.limits = limits
        self._new_table("")

    def _new_table(self, name: str) -> None:
        self.name = name
        self.row = 0
        self.first_row = self.last_row = -1
        self.first_column = self.last_column = -1
        self.cells = 0
        self.row_repeat = 0  # 0: no row open
        self.column = 0
        self.row_cells = 0
        self.row_first_column = self.row_last_column = -1
        self.cell_repeat = 0  # 0: no cell open
        self.cell_filled = False

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if self.cell_repeat:
            self.cell_filled = True
        elif name in _CELLS and self.row_repeat:
            self.cell_repeat = _repeat(attributes.get(_REPEATED_COLUMNS))
            self.cell_filled = "office:value-type" in attributes
        elif name == _ROW:
            self.row_repeat = _repeat(attributes.get(_REPEATED_ROWS))
            self.column = self.row_cells = 0
            self.row_first_column = self.row_last_column = -1
        elif name == _TABLE:
            self._new_table(attributes.get("table:name", ""))

    def end(self, name: str) -> None:
        if name in _CELLS and self.cell_repeat:
            if self.cell_filled:
                self.row_cells += self.cell_repeat
                if self.row_first_column < 0:
                    self.row_first_column = self.column
                self.row_last_column = self.column + self.cell_repeat - 1
            self.column += self.cell_repeat
            self.cell_repeat = 0
        elif name == _ROW and self.row_repeat and not self.cell_repeat:
            self._close_row()

    def _close_row(self) -> None:
        if self.row_cells:
            if self.first_row < 0:
                self.first_row = self.row
                self.first_column = self.row_first_column
            self.last_row = self.row + self.row_repeat - 1
            self.first_column = min(self.first_column, self.row_first_column)
            self.last_column = max(self.last_column, self.row_last_column)
            self.cells += self.row_cells * self.row_repeat
            self._check()
        self.row += self.row_repeat
        self.row_repeat = 0

    def _check(self) -> None:
        limits = self.limits
        where = f"The sheet {self.name!r}" if self.name else "A sheet"
        if self.last_column >= limits.max_columns or self.last_row >= limits.max_rows:
            raise _too_large(f"{where} has cells beyond the {limits.max_rows} x {limits.max_columns} grid allowed.")
        if self.cells > limits.max_cells:
            raise _too_large(f"{where} holds more than {limits.max_cells} cells.")
        grid = (self.last_row - self.first_row + 1) * (self.last_column - self.first_column + 1)
        if grid > limits.max_dense_cells:
            raise _too_large(f"{where} spans {grid} cells, more than the {limits.max_dense_cells} allowed.")


def _repeat(text: str | None) -> int:
    if text is None:
        return 1
    try:
        return max(int(text), 1)
    except ValueError:
        raise EngineFailure(
            "INPUT_UNREADABLE", f"The spreadsheet repeats a row or cell {text[:20]!r} times.", stage="read"
        ) from None


def _too_large(message: str) -> EngineFailure:
    return EngineFailure("INPUT_TOO_LARGE", message, stage="read")


def scan_ods_content(blocks: Iterable[bytes], limits: OdsLimits) -> None:
    """Check every table of an ods content part (arriving in `blocks`) against `limits`.

    Raises EngineFailure INPUT_TOO_LARGE (a table too large) or INPUT_UNREADABLE (not XML, a DTD).
    """
    scanner = _TableScanner(limits)
    parser = expat.ParserCreate()
    parser.StartElementHandler = scanner.start
    parser.EndElementHandler = scanner.end

    def refuse_doctype(*_arguments: object) -> None:
        raise EngineFailure("INPUT_UNREADABLE", "The spreadsheet declares a DTD, which it never needs.", stage="read")

    parser.StartDoctypeDeclHandler = refuse_doctype
    try:
        for block in blocks:
            parser.Parse(block, False)
        parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise EngineFailure(
            "INPUT_UNREADABLE", f"The spreadsheet's content.xml is not valid XML ({error}).", stage="read"
        ) from None
