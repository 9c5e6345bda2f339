"""Find tables on a sheet: the header row(s) near the top, then each table's rows while streaming.

Header detection looks only at the first `headerScanRows` rows. Every run of up to three consecutive
text rows is a candidate header block (a stacked header is merged column by column, pieces joined by
one space, top to bottom) and is scored by:

- fill: how many columns it names, against the width of the rows below it (a title or a "Report
  generated …" line is one cell over a wide table);
- text: the share of its cells that are short text rather than numbers, dates or e-mail addresses;
- vocabulary: the share of its (merged) texts that name a configured field;
- data below: whether the next row looks like data rather than more header.

The earliest block scoring close to the best wins, so a sheet holding two tables starts with the first.

While rows stream, only a cheap check runs per row: is it blank? After a blank gap, the first
non-blank row that is all text (a title or a header) triggers a look at the next few rows; if they
hold a header that names fields, repeats the current header, or puts text where the current table
has numbers or dates, the current table ends at its last non-blank row and a new table starts.
Blank rows inside a table are skipped (and counted); trailing blank rows belong to no table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

from normalizer.mapping import HeaderVocabulary, compact_header
from normalizer.values import CellValue, cell_text

MAX_HEADER_ROWS = 3
"""A stacked header has at most this many rows."""

MIN_HEADER_SCORE = 0.5
NEAR_BEST_MARGIN = 0.15
HEADER_TEXT_SHARE = 0.6
MAX_HEADER_TEXT_LENGTH = 80
LOOKAHEAD_ROWS = 6
"""Rows read ahead after a blank gap to look for a new table's header."""

LOOKS_LIKE_DATA_FACTOR = 0.5
"""A candidate header that reads like the row next to it (codes, repeated labels) scores half."""

PROFILE_ROWS = 100
"""Data rows of a table used to learn which of its columns hold numbers, dates and the like."""

DEFAULT_CHUNK_ROWS = 8192

_DIGITS = re.compile(r"\d+")
_VALUE_LIKE_TEXT = re.compile(r"^[\s(+\-$€£¥]*\d[\d\s.,:/\-]*[%)]?\s*$")

_WEIGHT_FILL = 0.3
_WEIGHT_TEXT = 0.2
_WEIGHT_VOCABULARY = 0.35
_WEIGHT_DATA_BELOW = 0.15
_EXTRA_ROW_PENALTY = 0.08


def is_blank_row(row: Sequence[CellValue]) -> bool:
    """Whether every cell of a row is empty (`""` or None); zeros and False are values."""
    if any(row):
        return False
    return all(value is None or value == "" for value in row)


def is_value_like(value: CellValue) -> bool:
    """Whether a cell holds a value, not a label: a number, date, boolean, e-mail or number-like text."""
    if value.__class__ is not str:
        return value is not None
    assert isinstance(value, str)
    return "@" in value or _VALUE_LIKE_TEXT.match(value) is not None


def _header_text(value: CellValue) -> str | None:
    """The label a cell holds, or None when it is empty or a value."""
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    if not text or len(text) > MAX_HEADER_TEXT_LENGTH or is_value_like(text):
        return None
    return text


@dataclass(frozen=True, slots=True)
class HeaderBlock:
    """A table's header: its rows (1-based), its columns (0-based) and the merged text of each column.

    `texts[i]` is the header of sheet column `first_column + i` (None when that column has none).
    """

    row_start: int
    row_count: int
    first_column: int
    texts: tuple[str | None, ...]
    score: float

    @property
    def data_row_start(self) -> int:
        """The first row after the header."""
        return self.row_start + self.row_count

    @property
    def last_column(self) -> int:
        """The rightmost column the header names."""
        return self.first_column + len(self.texts) - 1


@dataclass(frozen=True, slots=True)
class DataChunk:
    """Consecutive non-blank data rows of one table, with their 1-based row numbers.

    `blank_rows` counts blank rows skipped inside the table just before or among these rows.
    """

    rows: list[list[CellValue]]
    row_numbers: Sequence[int]
    blank_rows: int


@dataclass(slots=True)
class _RowProfile:
    position: int
    cells: dict[int, CellValue]
    texts: dict[int, str]
    value_cells: int

    @property
    def non_empty(self) -> int:
        return len(self.cells)

    @property
    def text_share(self) -> float:
        return len(self.texts) / len(self.cells) if self.cells else 0.0


def _profile(position: int, row: Sequence[CellValue]) -> _RowProfile | None:
    if is_blank_row(row):
        return None
    cells: dict[int, CellValue] = {}
    texts: dict[int, str] = {}
    value_cells = 0
    for index, value in enumerate(row):
        if value is None or value == "":
            continue
        if isinstance(value, str) and not value.strip():
            continue
        cells[index] = value
        text = _header_text(value)
        if text is not None:
            texts[index] = text
        elif is_value_like(value):
            value_cells += 1
    if not cells:
        return None
    return _RowProfile(position, cells, texts, value_cells)


def _merge_texts(block: Sequence[_RowProfile], *, every_cell: bool = False) -> dict[int, str]:
    """Each column's header text: its pieces top to bottom, joined by one space (repeats dropped).

    Only labels count, unless `every_cell` (the final header also keeps a number such as 2024).
    """
    pieces: dict[int, list[str]] = {}
    for profile in block:
        texts = profile.texts
        if every_cell:
            texts = {
                index: texts.get(index) or " ".join(cell_text(value).split()) for index, value in profile.cells.items()
            }
        for index, text in sorted(texts.items()):
            column = pieces.setdefault(index, [])
            if text.casefold() not in (piece.casefold() for piece in column):
                column.append(text)
    return {index: " ".join(column) for index, column in sorted(pieces.items())}


def _score_block(
    block: Sequence[_RowProfile],
    following: Sequence[_RowProfile],
    vocabulary: HeaderVocabulary,
) -> tuple[float, dict[int, str], int]:
    merged = _merge_texts(block)
    named = len(merged)
    reference_width = max([named, *(profile.non_empty for profile in following[:3])])
    fill = named / reference_width if reference_width else 0.0
    text = sum(profile.text_share for profile in block) / len(block)
    known = sum(1 for header in merged.values() if vocabulary.is_known_term(header))
    vocabulary_share = known / named if named else 0.0
    below = 0.0
    if following:
        after = following[0]
        names_fields = any(vocabulary.is_known_term(header) for header in after.texts.values())
        wide_enough = after.non_empty * 2 >= named
        below = 1.0 if wide_enough and (after.value_cells > 0 or not names_fields) else 0.5
    score = (
        _WEIGHT_FILL * fill
        + _WEIGHT_TEXT * text
        + _WEIGHT_VOCABULARY * vocabulary_share
        + _WEIGHT_DATA_BELOW * below
        - _EXTRA_ROW_PENALTY * (len(block) - 1)
    )
    return score, merged, known


@dataclass(frozen=True, slots=True)
class _Candidate:
    score: float
    start: int
    row_count: int
    merged: dict[int, str]
    headers: dict[int, str]
    known: int
    has_data_below: bool


def _candidates(rows: Sequence[Sequence[CellValue]], vocabulary: HeaderVocabulary, scan_rows: int) -> list[_Candidate]:
    profiles = [_profile(position, row) for position, row in enumerate(rows)]
    present = [profile for profile in profiles if profile is not None]
    found: list[_Candidate] = []
    for start, profile in enumerate(profiles[:scan_rows]):
        if profile is None or not profile.texts or profile.text_share < HEADER_TEXT_SHARE:
            continue
        block: list[_RowProfile] = []
        for offset in range(MAX_HEADER_ROWS):
            position = start + offset
            current = profiles[position] if position < len(profiles) else None
            if current is None or not current.texts or current.text_share < HEADER_TEXT_SHARE:
                break
            block.append(current)
            if len(block) > 1 and any(len(member.texts) < 2 for member in block):
                break  # a lone title over a header is not part of it
            following = [later for later in present if later.position > position][:3]
            score, merged, known = _score_block(block, following, vocabulary)
            previous = [earlier for earlier in present if earlier.position < start][-1:]
            if (previous and _resembles(block[0], previous[0])) or (following and _resembles(block[-1], following[0])):
                score *= LOOKS_LIKE_DATA_FACTOR
            headers = _merge_texts(block, every_cell=True)
            found.append(_Candidate(score, start, len(block), merged, headers, known, bool(following)))
    return found


def _shape(text: str) -> str:
    return _DIGITS.sub("#", text.casefold())


def _resembles(row: _RowProfile, neighbour: _RowProfile) -> bool:
    """Whether two rows read alike column by column once digits are ignored ("SKU-1001" / "SKU-1002"):
    a data row among data rows, not a header."""
    alike = sum(
        1
        for index, text in row.texts.items()
        if index in neighbour.texts and _shape(neighbour.texts[index]) == _shape(text)
    )
    return alike > 0 and alike * 2 >= len(row.texts)


def _block_from(candidate: _Candidate, first_row_number: int) -> HeaderBlock:
    first_column = min(candidate.headers)
    last_column = max(candidate.headers)
    texts = tuple(candidate.headers.get(index) for index in range(first_column, last_column + 1))
    return HeaderBlock(
        row_start=first_row_number + candidate.start,
        row_count=candidate.row_count,
        first_column=first_column,
        texts=texts,
        score=round(candidate.score, 4),
    )


def detect_header(
    rows: Sequence[Sequence[CellValue]],
    vocabulary: HeaderVocabulary,
    *,
    first_row_number: int = 1,
    scan_rows: int | None = None,
) -> HeaderBlock | None:
    """Find the header block among the first rows of a sheet (`rows[0]` is row `first_row_number`).

    A header starts within the first `scan_rows` rows (default: any of `rows`); the rows after it
    only serve as evidence. Returns None when no row looks like a header (an empty window, numbers
    only, a lone title).
    """
    found = [
        candidate
        for candidate in _candidates(rows, vocabulary, len(rows) if scan_rows is None else scan_rows)
        if candidate.score >= MIN_HEADER_SCORE and (candidate.has_data_below or candidate.known > 0)
    ]
    if not found:
        return None
    best = max(found, key=lambda candidate: (candidate.score, -candidate.start))
    earlier_tables = [
        candidate
        for candidate in found
        if candidate.start + candidate.row_count < best.start - 1 and candidate.score >= best.score - NEAR_BEST_MARGIN
    ]
    chosen = best
    if earlier_tables:
        chosen = min(
            earlier_tables,
            key=lambda candidate: (candidate.start, -candidate.score),
        )
    return _block_from(chosen, first_row_number)


def table_columns(header: HeaderBlock, rows: Sequence[Sequence[CellValue]]) -> tuple[int, int]:
    """The first and last sheet column of a table: the header's, widened to cover non-empty data cells."""
    first, last = header.first_column, header.last_column
    for row in rows:
        if len(row) - 1 > last:
            for index in range(len(row) - 1, last, -1):
                if row[index] is not None and row[index] != "":
                    last = index
                    break
        for index in range(min(first, len(row))):
            if row[index] is not None and row[index] != "":
                first = index
                break
    return first, last


def _starts_like_a_header(row: Sequence[CellValue]) -> bool:
    """Cheap test after a blank gap: every non-empty cell is a label (a title or a header row)."""
    seen = False
    for value in row:
        if value is None or value == "":
            continue
        if _header_text(value) is None:
            return False
        seen = True
    return seen


class TableRows:
    """Streams a sheet's rows after a header, split into tables.

    Iterating yields `DataChunk`s of the current table and, when a new table starts after a blank
    gap, its `HeaderBlock` followed by its chunks. `header` is always the current table's header.
    """

    def __init__(
        self,
        rows: Iterator[list[CellValue]],
        header: HeaderBlock,
        vocabulary: HeaderVocabulary,
        *,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
    ) -> None:
        self._base = rows
        self.header = header
        self._vocabulary = vocabulary
        self._chunk_rows = chunk_rows
        self._profile_rows: list[list[CellValue]] = []

    def __iter__(self) -> Iterator[DataChunk | HeaderBlock]:
        base = self._base
        chunk_rows = self._chunk_rows
        pending: list[list[CellValue]] = []
        number = self.header.data_row_start - 1
        blank_rows = 0  # blank rows inside the table, reported with the next chunk
        gap = 0  # blank rows just seen; they belong to the table only if data follows
        while True:
            if pending:
                batch, pending = pending, []
            else:
                batch = list(islice(base, chunk_rows))
                if not batch:
                    return
            if not gap and all(map(any, batch)):
                # the common case: no blank row in the whole batch, so no per-row work at all
                self._remember(batch)
                yield DataChunk(batch, range(number + 1, number + 1 + len(batch)), blank_rows)
                number += len(batch)
                blank_rows = 0
                continue
            rows: list[list[CellValue]] = []
            numbers: list[int] = []
            for position, row in enumerate(batch):
                number += 1
                if not any(row) and is_blank_row(row):
                    gap += 1
                    continue
                if gap and _starts_like_a_header(row):
                    window = batch[position : position + LOOKAHEAD_ROWS + 1]
                    beyond_batch = len(window) <= LOOKAHEAD_ROWS
                    if beyond_batch:
                        window.extend(islice(base, LOOKAHEAD_ROWS + 1 - len(window)))
                    found = self._new_table_in(window, number, rows)
                    if found is not None:
                        if rows:
                            self._remember(rows)
                            yield DataChunk(rows, numbers, blank_rows)
                            rows, numbers, blank_rows = [], [], 0
                        consumed = found.data_row_start - number
                        pending = [*window[consumed:], *batch[position + len(window) :]]
                        number = found.data_row_start - 1
                        self.header = found
                        self._profile_rows = []
                        gap = 0
                        yield found
                        break
                    if beyond_batch:
                        # rows were taken from the stream: hand them back as the next batch
                        pending = window[1:]
                        blank_rows += gap
                        gap = 0
                        rows.append(row)
                        numbers.append(number)
                        break
                blank_rows += gap
                gap = 0
                rows.append(row)
                numbers.append(number)
            if rows:
                self._remember(rows)
                yield DataChunk(rows, numbers, blank_rows)
                blank_rows = 0

    def _remember(self, rows: Sequence[list[CellValue]]) -> None:
        """Keep the first rows of the current table to learn which columns hold values."""
        missing = PROFILE_ROWS - len(self._profile_rows)
        if missing > 0:
            self._profile_rows.extend(rows[:missing])

    def _new_table_in(
        self, window: Sequence[list[CellValue]], first_row_number: int, unsent: Sequence[list[CellValue]]
    ) -> HeaderBlock | None:
        """A header in the rows after a blank gap that clearly starts another table, or None."""
        cut = len(window)
        for position, row in enumerate(window):
            if position and not _starts_like_a_header(row) and not is_blank_row(row):
                cut = position + 1
                break
        candidate = detect_header(window[:cut], self._vocabulary, first_row_number=first_row_number)
        if candidate is None:
            return None
        if any(text is not None and self._vocabulary.is_known_term(text) for text in candidate.texts):
            return candidate
        if self._repeats_header(candidate) or self._contrasts_with_data(candidate, unsent):
            return candidate
        return None

    def _repeats_header(self, candidate: HeaderBlock) -> bool:
        current = [compact_header(text) for text in self.header.texts if text]
        return bool(current) and current == [compact_header(text) for text in candidate.texts if text]

    def _contrasts_with_data(self, candidate: HeaderBlock, unsent: Sequence[list[CellValue]]) -> bool:
        """Whether at least half the candidate's labels sit in columns that held values, not labels."""
        profile = [*self._profile_rows, *unsent[: max(PROFILE_ROWS - len(self._profile_rows), 0)]]
        labelled = [candidate.first_column + offset for offset, text in enumerate(candidate.texts) if text is not None]
        if len(labelled) < 2 or not profile:
            return False
        value_columns = 0
        for column in labelled:
            values = [row[column] for row in profile if column < len(row)]
            present = [value for value in values if value is not None and value != ""]
            if present and sum(1 for value in present if is_value_like(value)) >= 0.8 * len(present):
                value_columns += 1
        return value_columns * 2 >= len(labelled)
