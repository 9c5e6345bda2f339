"""The top-left window of a sheet, built row by row within a response budget, then trimmed and shaped."""

from __future__ import annotations

from dataclasses import dataclass, field

from runs.constants import MAX_RESPONSE_BODY_BYTES
from runs.models.outputs import CellFormat, PreviewQuery, SheetPreview

# A preview is for reading, not for export: longer cell text is cut so that one full row always fits.
MAX_CELL_CHARACTERS = 1000
_ELLIPSIS = "…"
_CELL_OVERHEAD_BYTES = 3  # quotes and a comma
_FORMAT_BYTES = 160  # one cellFormats entry, all keys


@dataclass(frozen=True)
class Look:
    """What a cell looks like; only visible formatting counts (not number formats)."""

    bg_color: str | None = None
    text_color: str | None = None
    bold: bool = False
    italic: bool = False
    horizontal_align: str | None = None
    wrap_text: bool = False

    @property
    def visible(self) -> bool:
        return self != PLAIN


PLAIN = Look()


@dataclass
class SheetRow:
    """One sheet row: its 0-based index and its cells within the window (column → text, column → look)."""

    index: int
    texts: dict[int, str] = field(default_factory=dict)
    looks: dict[int, Look] = field(default_factory=dict)
    hidden: bool = False


def cell_text(text: str) -> str:
    return text if len(text) <= MAX_CELL_CHARACTERS else text[: MAX_CELL_CHARACTERS - 1] + _ELLIPSIS


class Window:
    """Collects the rows of the window; `add` refuses a row once the response budget is spent.

    Rows are given in sheet order; rows the sheet lacks (gaps) are blank in the result.
    """

    def __init__(self, query: PreviewQuery) -> None:
        self.query = query
        self.rows: list[SheetRow] = []
        self.budget_spent = False
        self._bytes = 0

    def add(self, row: SheetRow) -> bool:
        cost = sum(len(text.encode()) for text in row.texts.values())
        cost += _CELL_OVERHEAD_BYTES * self.query.max_columns + _FORMAT_BYTES * len(row.looks)
        if self._bytes + cost > MAX_RESPONSE_BODY_BYTES:
            self.budget_spent = True
            return False
        self._bytes += cost
        self.rows.append(row)
        return True

    def shape(
        self,
        *,
        name: str,
        index: int,
        height: int,
        total_rows: int | None,
        total_columns: int | None,
        widest_row: int,
        hidden_columns: set[int],
    ) -> SheetPreview:
        """The preview of `height` sheet rows; `widest_row` is the widest row seen (all columns counted)."""
        width = min(self.query.max_columns, total_columns if total_columns is not None else widest_row)
        by_index = {row.index: row for row in self.rows if row.index < height}
        row_indices = list(range(height))
        column_indices = list(range(width))
        if self.query.trim_empty_rows:
            row_indices = [r for r in row_indices if r in by_index and any(by_index[r].texts.values())]
        if self.query.trim_empty_columns:
            column_indices = [
                c for c in column_indices if any(by_index[r].texts.get(c) for r in row_indices if r in by_index)
            ]
        empty = SheetRow(-1)
        grid: list[list[str]] = []
        formats: list[CellFormat] = []
        hidden_rows: list[int] = []
        for position, sheet_row in enumerate(row_indices):
            row = by_index.get(sheet_row, empty)
            grid.append([row.texts.get(c, "") for c in column_indices])
            if row.hidden:
                hidden_rows.append(position)
            for column_position, column in enumerate(column_indices):
                look = row.looks.get(column)
                if look is not None:
                    formats.append(_cell_format(position, column_position, look))
        return SheetPreview(
            name=name,
            index=index,
            rows=grid,
            total_rows=total_rows,
            total_columns=total_columns,
            truncated_rows=total_rows is None or total_rows > height,
            truncated_columns=(total_columns if total_columns is not None else widest_row) > width,
            hidden_rows=hidden_rows,
            hidden_columns=[position for position, column in enumerate(column_indices) if column in hidden_columns],
            cell_formats=formats,
        )


def _cell_format(row: int, column: int, look: Look) -> CellFormat:
    return CellFormat(
        row=row,
        column=column,
        bg_color=look.bg_color,
        text_color=look.text_color,
        bold=look.bold,
        italic=look.italic,
        horizontal_align=look.horizontal_align,
        wrap_text=look.wrap_text,
    )
