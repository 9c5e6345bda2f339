"""Split a sheet's row stream into tables (the detect stage, as the rows stream).

`SheetSegmenter(rows, vocabulary, scan_rows=...)` is iterated once and yields, in stream order:

- `TableFound(index, header, sample)` once a table's first data rows are known (mapping needs them);
- `TableChunk(index, rows, row_numbers)`: consecutive data rows of one table, as full
  sheet rows (the table's columns are `header.first_column` to `header.last_column`);
- `TableEnded(index, last_row, outside_cells)` once the table is over.

Indices count tables in the order they are found (top to bottom, left to right in one look).
`TableFound` events come in index order; a table's chunks come after its `TableFound` and before its
`TableEnded`; chunks of tables side by side interleave.

How a sheet is read:

1. `find_tables` looks at the first `headerScanRows` rows (and more, as evidence). When no table
   starts there, the sheet has none.
2. Rows then stream to the open tables. Each classifies a row by its cells in its own columns
   (`TableProfile.classify`): data rows are kept; blank rows, notes and sparse rows are held back and
   become part of the table only when more of its data follows (a note is data only between data
   rows with no blank row about it; a repeat of the table's header after a gap is a note: the table
   goes on over page breaks). A table ends at its last data row when
   - right after a gap or a row that is not data, a header row appears (labels naming configured
     fields, or labels over its value columns);
   - after a blank gap (and any notes), the next block does not continue it: it starts with a text
     that fits none of its columns, none of its first rows fills as many of the table's columns as
     its rows usually do (a two-column "Fee | Total" block under a seven-column table), or it reaches
     into the column beside the table;
   - it has held back `MAX_HELD_ROWS` rows past a gap (a run that long right under its data, with no
     blank row, is data: held rows never grow with the sheet);
   - the sheet ends.
   What it held back after its last data row is not data, except sparse rows right under the data
   when nothing but the end of the sheet follows them.
3. When a table ends, and whenever cells appear in columns no open table owns, `find_tables` looks at
   the rows from there on (other tables' columns hidden): the tables it finds open there; otherwise
   those rows are notes, and stray cells beside a table's rows are counted against it. A look that
   finds nothing is not repeated within `headerScanRows` rows.

Most batches need none of this row by row: a batch of one table with no blank row whose last row is
data goes on whole; around a blank row and at a batch's end only the rows back to the last data row,
and the row after a gap, are looked at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import islice

from normalizer.detect import (
    MAX_HEADER_ROWS,
    PROFILE_ROWS,
    HeaderBlock,
    RowKind,
    TableProfile,
    TableStart,
    filled_cells,
    find_tables,
    is_blank_row,
)
from normalizer.mapping import HeaderVocabulary
from normalizer.values import CellValue

DEFAULT_CHUNK_ROWS = 512
DEFAULT_SAMPLE_ROWS = 128
LOOKAHEAD_ROWS = 8
"""Rows read ahead after a blank gap to decide whether the table goes on."""

MAX_HELD_ROWS = 256
"""Rows a table holds back past its data: past a gap it ends there, right under its data the run is
data (so memory never grows with a run of blank rows, notes or sparse rows)."""

Row = list[CellValue]
Ahead = Callable[[int], list[Row]]


@dataclass(frozen=True, slots=True)
class TableFound:
    """A table and its first data rows (up to the sample size; full sheet rows)."""

    index: int
    header: HeaderBlock
    sample: list[Row]


@dataclass(frozen=True, slots=True)
class TableChunk:
    """Consecutive data rows of one table (full sheet rows), with their 1-based row numbers; rows
    inside the table that are not data (blank rows, notes) are not among them."""

    index: int
    rows: list[Row]
    row_numbers: Sequence[int]


@dataclass(frozen=True, slots=True)
class TableEnded:
    """A table is over: its last data row, and the non-empty cells found beside its rows."""

    index: int
    last_row: int
    outside_cells: int


SegmentEvent = TableFound | TableChunk | TableEnded


class _RowSource:
    """A row iterator that can be looked into before rows are taken; counts Excel row numbers."""

    def __init__(self, rows: Iterator[Row]) -> None:
        self._rows = rows
        self._buffer: list[Row] = []
        self.next_number = 1

    def peek(self, count: int) -> list[Row]:
        if len(self._buffer) < count:
            self._buffer.extend(islice(self._rows, count - len(self._buffer)))
        return self._buffer[:count]

    def take(self, count: int) -> list[Row]:
        if self._buffer:
            self.peek(count)
            batch = self._buffer[:count]
            del self._buffer[:count]
        else:
            batch = list(islice(self._rows, count))
        self.next_number += len(batch)
        return batch

    def rest(self) -> Iterator[Row]:
        yield from self._buffer
        self._buffer = []
        yield from self._rows


class _OpenTable:
    """One table while its rows stream: its profile, the rows it holds back, its pending chunk."""

    def __init__(
        self,
        index: int,
        start: TableStart,
        vocabulary: HeaderVocabulary,
        outbox: list[SegmentEvent],
        *,
        sample_rows: int,
        max_held: int,
    ) -> None:
        self.index = index
        self._max_held = max_held
        self._vocabulary = vocabulary
        self.header = start.header
        self.profile = TableProfile.learn(start.header, start.data_rows)
        self.first_column = start.header.first_column
        self.last_column = start.header.last_column
        self.last_row = start.header.data_row_start - 1
        self.outside_cells = 0
        self.found = False
        self._outbox = outbox
        self._sample_rows = sample_rows
        self._rows: list[Row] = []
        self._numbers: list[int] = []
        self.held: list[tuple[int, Row, RowKind]] = []
        self.gap = False

    @property
    def boundary(self) -> bool:
        """Whether the next row follows a gap or a non-data row (where another table may start)."""
        return bool(self.held)

    def take_batch(self, batch: list[Row], numbers: range, chunk_rows: int) -> None:
        """Data rows that need no look (nothing held back): straight on as one chunk when possible."""
        if self.found and not self._rows:
            self._outbox.append(TableChunk(self.index, batch, numbers))
            self.last_row = numbers[-1]
            return
        self.take(batch, numbers, chunk_rows)

    def take(self, rows: Sequence[Row], numbers: Iterable[int], chunk_rows: int) -> None:
        """Data rows: what was held back before them is part of the table (blank rows are not written)."""
        if not rows:
            return
        if self.held:
            self._keep_held(len(self.held))
        self._rows.extend(rows)
        self._numbers.extend(numbers)
        self.last_row = self._numbers[-1]
        if len(self._rows) >= (chunk_rows if self.found else self._sample_rows):
            self._flush()

    def hold(self, number: int, row: Row, kind: RowKind) -> None:
        """A row that is the table's only if more of its data follows (a blank row opens a gap)."""
        self.held.append((number, row, kind))
        self.gap = self.gap or kind is RowKind.BLANK

    def feed(self, number: int, row: Row, kind: RowKind, ahead: Ahead, chunk_rows: int) -> bool:
        """Take one classified row; False when the table ends before it (the row is not the table's)."""
        if kind is RowKind.HEADER:
            return False
        if len(self.held) >= self._max_held:
            if self.gap:
                return False  # long past its data: over
            self._keep_held(len(self.held))  # a long run right under its data: data, and memory stays bounded
        # past a gap, the table goes on only if a full data row comes (notes and its title aside); a
        # text that fits no column ends it
        if self.gap and (
            kind is RowKind.STRAY or (kind in (RowKind.DATA, RowKind.SPARSE) and not self._goes_on(ahead))
        ):
            return False
        if kind is not RowKind.DATA:
            self.hold(number, row, kind)
            return True
        self.take([row], (number,), chunk_rows)
        return True

    def _goes_on(self, ahead: Ahead) -> bool:
        """After a gap, at a data or sparse row: whether its block continues the table: a data row as
        full as the table's usually are comes (notes aside) before any header, stray text or blank
        row, and no cell lies right beside its columns (where a wider table would start)."""
        rows = ahead(LOOKAHEAD_ROWS)
        if rows and self._touches(rows[0]):
            return False
        for row in rows:
            kind = self.profile.classify(row, self._vocabulary, boundary=True)
            if kind is RowKind.DATA and self.profile.is_typical(row):
                return True
            if kind not in (RowKind.DATA, RowKind.SPARSE, RowKind.NOTE):
                return False
        return False

    def _touches(self, row: Row) -> bool:
        """Whether a row has a cell in the column just left or right of the table's."""
        return any(
            0 <= column < len(row) and row[column] is not None and row[column] != ""
            for column in (self.first_column - 1, self.last_column + 1)
        )

    def ends_ahead(self, rows: Sequence[Row]) -> bool:
        """Whether a table in a gap ends before the first of `rows`: past blank rows and notes, its next
        row there is a header, a stray text, or the start of a block that does not continue it."""
        for position, row in enumerate(rows[:LOOKAHEAD_ROWS]):
            kind = self.profile.classify(row, self._vocabulary, boundary=True)
            if kind in (RowKind.HEADER, RowKind.STRAY):
                return True
            if kind in (RowKind.DATA, RowKind.SPARSE):
                return not self._goes_on(partial(_window_ahead, list(rows), position))
        return False

    def _keep_held(self, count: int) -> None:
        """The first `count` held rows are the table's. Right under its data (before any blank row) they
        are all data rows; past a gap only the sparse rows just before the next data are (what comes
        before a note there, such as a page's title over its repeated header, is not); blank rows and
        notes past a gap are not written."""
        held = self.held[:count]
        gap_at = next((position for position, (_, _, kind) in enumerate(held) if kind is RowKind.BLANK), len(held))
        last_break = max(
            (position for position, (_, _, kind) in enumerate(held) if kind in (RowKind.BLANK, RowKind.NOTE)),
            default=-1,
        )
        for position, (number, row, kind) in enumerate(held):
            if position < gap_at or (position > last_break and kind is RowKind.SPARSE):
                self._rows.append(row)
                self._numbers.append(number)
        del self.held[:count]
        self.gap = any(kind is RowKind.BLANK for _, _, kind in self.held)

    def _flush(self) -> None:
        if not self.found:
            self._outbox.append(TableFound(self.index, self.header, self._rows[: self._sample_rows]))
            self.found = True
        if not self._rows:
            return
        numbers: Sequence[int] = self._numbers
        if numbers[-1] - numbers[0] + 1 == len(numbers):
            numbers = range(numbers[0], numbers[-1] + 1)
        self._outbox.append(TableChunk(self.index, self._rows, numbers))
        self._rows, self._numbers = [], []

    def flush(self) -> None:
        """Send the rows gathered so far (once the sample is complete)."""
        if self.found and self._rows:
            self._flush()

    def end(self, *, keep_trailing_sparse: bool) -> None:
        """The table is over; sparse rows right under its data stay in it when `keep_trailing_sparse`."""
        if keep_trailing_sparse:
            trailing = 0
            while trailing < len(self.held) and self.held[trailing][2] is RowKind.SPARSE:
                trailing += 1
            if trailing:
                held, self.held = self.held[:trailing], []
                self.take([row for _, row, _ in held], [number for number, _, _ in held], 0)
        self.held = []
        self._flush()
        self._outbox.append(TableEnded(self.index, self.last_row, self.outside_cells))


class SheetSegmenter:
    """The tables of one sheet, found while its rows stream (iterate once; see the module docstring)."""

    def __init__(
        self,
        rows: Iterable[Row],
        vocabulary: HeaderVocabulary,
        *,
        scan_rows: int,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        sample_rows: int = DEFAULT_SAMPLE_ROWS,
    ) -> None:
        self._source = _RowSource(iter(rows))
        self._vocabulary = vocabulary
        self._scan_rows = scan_rows
        self._chunk_rows = chunk_rows
        self._sample_rows = sample_rows
        self._open: list[_OpenTable] = []
        self._ended: list[tuple[int, int, int, int]] = []  # top row, last row, first and last column
        self._tables = 0
        self._quiet_until = 0
        self._outbox: list[SegmentEvent] = []
        self._announced = 0
        self._waiting: dict[int, list[SegmentEvent]] = {}
        self.has_content = False
        """Whether the sheet holds any non-empty cell (known once iteration found no table, or any)."""

    @property
    def _window_rows(self) -> int:
        return self._scan_rows + MAX_HEADER_ROWS + PROFILE_ROWS

    def __iter__(self) -> Iterator[SegmentEvent]:
        source = self._source
        window = source.peek(self._window_rows)
        self._look(window, 1, ())
        if not self._open:
            self.has_content = any(not is_blank_row(row) for row in window) or any(
                not is_blank_row(row) for row in source.rest()
            )
            return
        self.has_content = True
        chunk_rows = self._chunk_rows
        while True:
            first = source.next_number
            batch = source.take(chunk_rows)
            if not batch:
                break
            done = self._whole_batch(batch, first) if len(self._open) == 1 else 0
            if done < len(batch):
                self._row_by_row(batch, first, done)
            for table in self._open:
                table.flush()
            yield from self._drain()
        for table in self._open:
            table.end(keep_trailing_sparse=True)
        self._open = []
        yield from self._drain()

    # -- finding tables -----------------------------------------------------------------------

    def _look(self, window: list[Row], first_number: int, blocked: Sequence[tuple[int, int]]) -> list[_OpenTable]:
        """Open the tables that start in `window` (row `first_number` on); no other look until the
        scan distance has passed."""
        self._quiet_until = first_number + self._scan_rows
        opened = []
        for start in find_tables(
            window, self._vocabulary, first_row_number=first_number, start_limit=self._scan_rows, blocked=blocked
        ):
            table = _OpenTable(
                self._tables,
                start,
                self._vocabulary,
                self._outbox,
                sample_rows=self._sample_rows,
                max_held=MAX_HELD_ROWS,
            )
            self._tables += 1
            self._open.append(table)
            opened.append(table)
        return opened

    def _earliest_restart(self, number: int) -> int:
        """The earliest row a later look can start at: the first row an open table holds back."""
        return min((table.held[0][0] for table in self._open if table.held), default=number)

    def _owned(self) -> list[tuple[int, int]]:
        return [(table.first_column, table.last_column) for table in self._open]

    def _free_cells(self, row: Row) -> list[int]:
        owned = self._owned()
        return [index for index, _ in filled_cells(row) if not any(first <= index <= last for first, last in owned)]

    # -- streaming ----------------------------------------------------------------------------

    def _whole_batch(self, batch: list[Row], first: int) -> int:
        """Handle a batch of the one open table, looking only around its blank rows and at its end
        (where the rows back to the last data row are held until the next batch shows what follows);
        returns how many rows were handled (the rest goes row by row)."""
        table = self._open[0]
        # rows above the data are its header and preamble, already seen by the look that found it
        done = min(max(table.header.data_row_start - first, 0), len(batch))
        start, end = table.first_column, table.last_column + 1
        rows = batch[done:] if done else batch
        if start and any(map(any, (row[:start] for row in rows))):
            return 0
        if max(map(len, rows), default=0) > end and any(map(any, (row[end:] for row in rows))):
            return 0
        profile, vocabulary, chunk_rows = table.profile, self._vocabulary, self._chunk_rows
        # first settle the rows the previous batch held back
        while table.held and done < len(batch):
            kind = profile.classify(batch[done], vocabulary, boundary=True)
            if not table.feed(first + done, batch[done], kind, partial(self._ahead, batch, done), chunk_rows):
                return done
            done += 1
        filled = list(map(any, batch))  # False for blank rows (and for rows of zeros, looked at below)
        for stop in [*_positions(filled, False), len(batch)]:
            if stop < done:
                continue
            # the rows just before a blank row or the batch's end that are not data: held back
            tail = stop
            while tail > done and profile.classify(batch[tail - 1], vocabulary, boundary=False) is not RowKind.DATA:
                tail -= 1
            if tail == len(batch) and done == 0 and not table.held:  # the common case: all data
                table.take_batch(batch, range(first, first + len(batch)), chunk_rows)
                return len(batch)
            table.take(batch[done:tail], range(first + done, first + tail), chunk_rows)
            for position in range(tail, stop):
                kind = profile.classify(batch[position], vocabulary, boundary=table.boundary)
                if not table.feed(
                    first + position, batch[position], kind, partial(self._ahead, batch, position), chunk_rows
                ):
                    return position
            done = stop
            # the blank rows, then what follows until the table goes on past them (or ends)
            while done < len(batch) and (done == stop or table.gap):
                kind = profile.classify(batch[done], vocabulary, boundary=table.boundary)
                if not table.feed(first + done, batch[done], kind, partial(self._ahead, batch, done), chunk_rows):
                    return done
                done += 1
        return len(batch)

    def _row_by_row(self, batch: list[Row], first: int, start: int) -> None:
        for position in range(start, len(batch)):
            row = batch[position]
            if not self._open and not any(row):
                continue  # nothing open, nothing here (falsy cells alone start no table)
            self._feed_all(list(self._open), first + position, row, partial(self._ahead, batch, position))

    def _ahead(self, batch: list[Row], position: int, count: int) -> list[Row]:
        rows = batch[position : position + count]
        if len(rows) < count:
            rows += self._source.peek(count - len(rows))
        return rows

    def _feed_all(
        self, tables: Sequence[_OpenTable], number: int, row: Row, ahead: Ahead, *, replay: bool = False
    ) -> None:
        """Give one row to each of `tables`; a row seen for the first time (not a `replay` of rows held
        back by a table that ended) also has its cells outside them looked at."""
        if not replay:
            self._check_free_cells(number, row, ahead)
        ended = []
        for table in tables:
            if number < table.header.data_row_start or table not in self._open:
                continue
            kind = table.profile.classify(row, self._vocabulary, boundary=table.boundary)
            if not table.feed(number, row, kind, ahead, self._chunk_rows):
                ended.append(table)
        if ended:
            self._close(ended, number, ahead)

    def _close(self, tables: Sequence[_OpenTable], number: int, ahead: Ahead) -> None:
        """End tables before row `number` (together: a table below may span them all) and look for
        tables from the first row after their data on."""
        following = ahead(self._window_rows)
        # a table past its data whose next rows end it ends now too: the look must see its columns
        tables = [
            *tables,
            *(table for table in self._open if table not in tables and table.gap and table.ends_ahead(following)),
        ]
        # the look starts right after the data: a title or group row there may be the next table's
        earliest = min(tables, key=lambda table: table.held[0][0] if table.held else number)
        restart = earliest.held[0][0] if earliest.held else number
        replay = [held_row for held_number, held_row, _ in earliest.held if held_number < number]
        for table in tables:
            self._open.remove(table)
            self._ended.append((table.header.row_start, table.last_row, table.first_column, table.last_column))
        # rows already part of a table (one that ended, or one beside) are hidden from the look
        bound = min(restart, self._earliest_restart(number))
        self._ended = [region for region in self._ended if region[1] >= bound]
        for top, bottom, first, last in self._ended:
            for offset in range(max(top - restart, 0), min(bottom + 1 - restart, len(replay))):
                replay[offset] = _without(replay[offset], first, last)
        window = replay + following
        opened = self._look(window, restart, self._owned())
        for table in tables:
            table.end(keep_trailing_sparse=not opened)
        for offset in range(number - restart + 1):
            self._feed_all(
                opened, restart + offset, window[offset], partial(_window_ahead, window, offset), replay=True
            )

    def _check_free_cells(self, number: int, row: Row, ahead: Ahead) -> None:
        free = self._free_cells(row)
        if not free:
            return
        if number >= self._quiet_until:
            self._look(ahead(self._window_rows), number, self._owned())
            free = self._free_cells(row)
        # only beside a table's data (not past its end, where it holds rows back)
        started = [table for table in self._open if number >= table.header.data_row_start and not table.held]
        for index in free:
            nearest = min(
                started,
                key=lambda table: min(abs(index - table.first_column), abs(index - table.last_column)),
                default=None,
            )
            if nearest is not None:
                nearest.outside_cells += 1

    def _drain(self) -> Iterator[SegmentEvent]:
        """The events so far, holding back those of tables found out of order until their turn."""
        outbox = self._outbox[:]
        self._outbox.clear()
        for event in outbox:
            if event.index < self._announced:
                yield event
            elif isinstance(event, TableFound) and event.index == self._announced:
                yield event
                self._announced += 1
                while self._announced in self._waiting:
                    waiting = self._waiting.pop(self._announced)
                    yield waiting[0]  # its TableFound, always first
                    self._announced += 1
                    yield from waiting[1:]
            else:
                self._waiting.setdefault(event.index, []).append(event)


def _without(row: Row, first: int, last: int) -> Row:
    """A copy of a row with the cells from column `first` to `last` emptied."""
    return [*row[:first], *([""] * len(row[first : last + 1])), *row[last + 1 :]]


def _window_ahead(window: list[Row], offset: int, count: int) -> list[Row]:
    return window[offset : offset + count]


def _positions(items: Sequence[object], target: object) -> Iterator[int]:
    """Where `target` occurs in `items` (searched at C speed)."""
    position = -1
    while True:
        try:
            position = items.index(target, position + 1)  # list.index: the search runs in C
        except ValueError:
            return
        yield position
