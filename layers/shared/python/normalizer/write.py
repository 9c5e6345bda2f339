"""Write the normalized workbook (the one module that knows the writer: swap it here).

The writer is rustpy-xlsxwriter: it streams rows from a generator in constant memory and writes every
string as an inline string, so text such as `=HYPERLINK(...)` stays text and never becomes a formula.
Its quirks are handled here:

- it takes rows as dicts, takes the header from the first dict's keys and then writes values by
  position, so rows arrive here in batches of plain sequences and become dicts on the way in (at C
  speed: no Python frame per row);
- it refuses text longer than Excel's 32,767 characters and dates before 1900, which would fail the
  whole file: `fit_column` clips such text and writes such dates as ISO text;
- a sheet with no rows gets no header, so an empty table is written as one empty record.

Each sheet gets a bold, frozen header row with filter buttons; date and datetime columns get a date
format (no Excel table object: the writer has none). Issues are spooled to a temporary file and
streamed into the `Issues` sheet at the end.
"""

from __future__ import annotations

import datetime
import os
import pickle
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, compress, islice, repeat
from operator import attrgetter
from pathlib import Path
from typing import IO, Any, Generic, Literal, TypeVar

import rustpy_xlsxwriter

from normalizer.errors import EngineFailure
from normalizer.values import CellValue

ColumnKind = Literal["text", "number", "boolean", "date", "datetime"]

MAX_SHEET_ROWS = 1_048_576
"""Excel's row limit, header included."""

MAX_SHEET_COLUMNS = 16_384
"""Excel's column limit (A to XFD)."""

MAX_TEXT_LENGTH = 32_767
"""Excel's limit on the characters in one cell."""

MAX_SHEET_NAME_LENGTH = 31
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
ISSUES_SHEET_NAME = "Issues"
ISSUES_HEADER = ("sheet", "row", "column", "field", "value", "code", "message")
SPOOL_FLUSH_ITEMS = 20_000

_FORBIDDEN_IN_SHEET_NAMES = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))
_DATE_CLASSES = (datetime.date, datetime.datetime)
_YEAR = attrgetter("year")
_PLAIN_CLASSES = frozenset({int, float, bool})

IssueRow = tuple[str, int | None, str, str, str, str, str]
"""One issue as written: sheet, row, column letter, field, value, code, message (a finding about a
whole sheet has no row)."""
_Item = TypeVar("_Item")


@dataclass(frozen=True, slots=True)
class RowBatch:
    """Consecutive rows for a sheet: `count` rows, none wider than `width`, each a sequence of values.

    `rows` may be a one-shot iterator (a `zip` over columns is cheapest: it is consumed as written).
    """

    rows: Iterable[Sequence[CellValue]]
    count: int
    width: int


@dataclass(slots=True)
class OutputSheet:
    """One sheet to write: a unique header and batches of rows under it.

    A row wider than the header (a stacked table with more columns) is written in full; the header
    stays as given.
    """

    name: str
    header: Sequence[str]
    batches: Iterable[RowBatch]
    column_kinds: dict[str, ColumnKind] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WrittenWorkbook:
    """What was written: where, how big, and its sheet names in order."""

    path: Path
    size_bytes: int
    sheet_names: list[str]


class Spool(Generic[_Item]):
    """Items in the order added: in memory up to a bound, then pickled to a temporary file. Close it."""

    def __init__(self, flush_every: int = SPOOL_FLUSH_ITEMS) -> None:
        self._buffer: list[_Item] = []
        self._file: IO[bytes] | None = None
        self._flush_every = flush_every
        self.count = 0

    def extend(self, items: Sequence[_Item]) -> None:
        """Add items in the order they should come back."""
        self._buffer.extend(items)
        self.count += len(items)
        if len(self._buffer) >= self._flush_every:
            self._flush()

    def _flush(self) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="normalizer-spool-")  # noqa: SIM115 - closed by close()
        pickle.dump(self._buffer, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._buffer = []

    def __iter__(self) -> Iterator[_Item]:
        if self._file is not None:
            self._file.flush()
            self._file.seek(0)
            while True:
                try:
                    batch: list[_Item] = pickle.load(self._file)  # noqa: S301 - our own temp file
                except EOFError:
                    break
                yield from batch
        yield from self._buffer

    def close(self) -> None:
        """Drop the temporary file."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._buffer = []


class IssueSpool(Spool[IssueRow]):
    """Issues on their way to the `Issues` sheet."""


class RowSpool(Spool[Sequence[CellValue]]):
    """Output rows that must wait for their turn in a sheet (a table beside one still being written)."""

    def __init__(self, flush_every: int = SPOOL_FLUSH_ITEMS) -> None:
        super().__init__(flush_every)
        self.width = 0

    def add(self, batch: RowBatch) -> None:
        """Keep a batch's rows (consuming them)."""
        self.extend(list(batch.rows))
        self.width = max(self.width, batch.width)

    def batch(self) -> RowBatch:
        """Every kept row, in order, as one batch."""
        return RowBatch(iter(self), self.count, self.width)


def output_sheet_name(name: str, taken: set[str]) -> str:
    """A valid sheet name, unique (case-insensitively) among `taken`, close to `name`; adds it to `taken`.

    Forbidden characters become `_`, the name is cut to 31 characters, and a clash gets " (2)", " (3)", ….
    """
    base = name.translate(_FORBIDDEN_IN_SHEET_NAMES).strip().strip("'") or "Sheet"
    candidate = base[:MAX_SHEET_NAME_LENGTH]
    counter = 2
    while candidate.casefold() in taken:
        suffix = f" ({counter})"
        candidate = base[: MAX_SHEET_NAME_LENGTH - len(suffix)] + suffix
        counter += 1
    taken.add(candidate.casefold())
    return candidate


def fit_column(values: Sequence[CellValue], kinds: set[type] | None = None) -> Sequence[CellValue]:
    """Make a column's values writable: text over 32,767 characters is cut, dates outside 1900 to 9999
    become ISO text. `kinds`, the set of the values' types, is computed when not given.

    Returns `values` itself when nothing needed changing (the common case, checked at C speed).
    """
    kinds = set(map(type, values)) if kinds is None else set(kinds)
    kinds.discard(type(None))
    if kinds <= _PLAIN_CLASSES:
        return values
    fitted = values
    if str in kinds:
        texts: Iterable[Any] = (
            filter(None, values) if len(kinds) == 1 else (value for value in values if value.__class__ is str)
        )
        if max(map(len, texts), default=0) > MAX_TEXT_LENGTH:
            fitted = [
                value[:MAX_TEXT_LENGTH] if isinstance(value, str) and len(value) > MAX_TEXT_LENGTH else value
                for value in fitted
            ]
    if datetime.date in kinds or datetime.datetime in kinds:
        if len(kinds) == 1:
            dates: list[Any] = list(filter(None, fitted))
            years = [min(dates).year, max(dates).year]
        else:
            # the years of the date cells among others, at C speed (no Python frame per cell)
            years = list(map(_YEAR, compress(fitted, map(isinstance, fitted, repeat(_DATE_CLASSES)))))
        if not 1900 <= min(years) <= max(years) <= 9999:
            fitted = [
                value.isoformat() if isinstance(value, _DATE_CLASSES) and not 1900 <= value.year <= 9999 else value
                for value in fitted
            ]
    return fitted


class _SheetRecords:
    """A sheet's rows as the writer wants them (dicts), made lazily when the writer reaches the sheet."""

    def __init__(self, sheet: OutputSheet) -> None:
        self._sheet = sheet
        self._keys = list(sheet.header)
        self._rows = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        records = chain.from_iterable(map(self._records, self._sheet.batches))
        first = next(records, None)
        if first is None:
            return iter((dict.fromkeys(self._keys),))
        return chain((first,), records)

    def _records(self, batch: RowBatch) -> Iterator[dict[str, Any]]:
        self._rows += batch.count
        if self._rows >= MAX_SHEET_ROWS:
            raise EngineFailure(
                "INPUT_TOO_LARGE",
                f"Sheet {self._sheet.name!r} has more rows than an Excel sheet holds ({MAX_SHEET_ROWS - 1} data rows).",
                stage="write",
            )
        keys = self._keys
        if batch.width > len(keys):
            keys.extend(f"\x00{position}" for position in range(len(keys), batch.width))
        return map(dict, map(zip, repeat(keys), batch.rows))


class _IssueRecords:
    """The Issues sheet's rows, read back from the spool when the writer reaches the sheet (last)."""

    def __init__(self, issues: IssueSpool) -> None:
        self._issues = issues

    def __iter__(self) -> Iterator[dict[str, Any]]:
        issues = self._issues
        limit = MAX_SHEET_ROWS - 2
        if issues.count == 0:
            return iter((dict.fromkeys(ISSUES_HEADER),))
        records = map(dict, map(zip, repeat(ISSUES_HEADER), islice(issues, limit)))
        if issues.count <= limit:
            return records
        note = ("", None, "", "", "", "", f"{issues.count - limit} more issues are not listed")
        return chain(records, (dict(zip(ISSUES_HEADER, note, strict=True)),))


def _partial_path(path: Path) -> Path:
    return path.with_name(f".{path.stem}.{os.getpid()}.partial{path.suffix or '.xlsx'}")


def write_workbook(
    path: str | os.PathLike[str], sheets: Sequence[OutputSheet], issues: IssueSpool | None
) -> WrittenWorkbook:
    """Write the sheets (and an `Issues` sheet when `issues` is given) to `path`, atomically.

    The rows are pulled as the file is written, so whatever produces them runs now; an exception it
    raises propagates unchanged and no file is left at `path`.

    Raises:
        EngineFailure: INPUT_TOO_LARGE (stage write) when a sheet would exceed Excel's row limit.
        OSError, RuntimeError, ValueError: the writer failed.
    """
    target = Path(path)
    entries: list[tuple[str, Iterable[dict[str, Any]]]] = []
    column_formats: dict[str, dict[str, rustpy_xlsxwriter.Format] | list[rustpy_xlsxwriter.Format]] = {}
    names: list[str] = []
    for sheet in sheets:
        entries.append((sheet.name, _SheetRecords(sheet)))
        names.append(sheet.name)
        formats = {
            header: rustpy_xlsxwriter.Format().set_num_format(DATE_FORMAT if kind == "date" else DATETIME_FORMAT)
            for header, kind in sheet.column_kinds.items()
            if kind in ("date", "datetime")
        }
        if formats:
            column_formats[sheet.name] = formats
    if issues is not None:
        issues_name = output_sheet_name(ISSUES_SHEET_NAME, {name.casefold() for name in names})
        entries.append((issues_name, _IssueRecords(issues)))
        names.append(issues_name)
    if not entries:
        raise ValueError("nothing to write: no sheets")
    partial = _partial_path(target)
    try:
        rustpy_xlsxwriter.write_worksheets(
            entries,
            str(partial),
            freeze_panes={"general": {"row": 1, "col": 0}},
            datetime_format=DATETIME_FORMAT,
            bold_headers=True,
            autofilter=dict.fromkeys(names, True),
            column_formats=column_formats or None,
        )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return WrittenWorkbook(target, target.stat().st_size, names)
