"""Find where tables start on a sheet and what shape they have.

`find_tables(rows, vocabulary, ...)` looks at a window of rows (the top of a sheet, or what follows a
table that ended) and returns the tables that start in it, each as a `HeaderBlock`: its header rows
(none for headerless data) and its columns.

1. The window splits into blocks at blank rows, and each block's columns split into bands at columns
   that are empty in every row holding two or more cells or a value (a title, a note or a
   `Key: value` line neither joins nor splits bands). Each band of a block is examined on its own,
   so tables side by side, separated by one or more empty columns, are separate tables.
2. In a band, every run of up to three label rows is a candidate header, scored by fill, text share,
   vocabulary and the row below (`_score_block`). The earliest candidate scoring close to the best
   wins, so a band holding two tables starts with the first. A sparse row of group labels directly
   above the header (`Person | | Contact |`, merged cells or not) joins it; its labels stretch right
   over the empty cells of their group.
3. A band with no header but with rows of values (dates, numbers, e-mail addresses) is a headerless
   table; its columns are named after the sheet's letters (`Column A`).
4. A candidate is a table only when data follows it: at least one data row under a header that names
   a configured field, two otherwise, and not a column of sentences (a sheet of instructions is no
   table).

Labels are short texts: a sentence (six words or more, a numbered step, three words ending with a
full stop) is never a header, which is also how prose is told from a table; a question is a label
(form exports head their columns with the questions asked).

`TableProfile` describes a table from its first data rows (how full they are, which columns hold
values, how long its texts are) and classifies a later row as data, sparse, blank, a note or a header
(`RowKind`); `normalizer.segment` uses it to decide where a table ends while its rows stream.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from statistics import median_low

from normalizer.mapping import HeaderVocabulary, compact_header
from normalizer.values import CellValue, cell_text

MAX_HEADER_ROWS = 3
"""A stacked header has at most this many rows."""

MIN_HEADER_SCORE = 0.5
NEAR_BEST_MARGIN = 0.15
HEADER_TEXT_SHARE = 0.6
MAX_HEADER_TEXT_LENGTH = 80
LOOKS_LIKE_DATA_FACTOR = 0.5
"""A candidate header that reads like the row next to it (codes, repeated labels) scores half."""

PROFILE_ROWS = 100
"""Data rows of a table used to learn its shape (which columns hold values, how full rows are)."""

MIN_DATA_ROWS = 2
"""Data rows a table needs under a header that names no configured field (one when it names one)."""

MIN_HEADERLESS_ROWS = 2
"""Consecutive rows of values that make a headerless table."""

SENTENCE_WORDS = 6
"""A text of this many words is a sentence, never a label."""

VALUE_COLUMN_SHARE = 0.8
"""A column whose data cells are values (numbers, dates, e-mails) at least this often is a value column."""

PROSE_SHARE = 0.5
"""A column whose data cells are prose at least this often holds no data."""

_DIGITS = re.compile(r"\d+")
_VALUE_LIKE_TEXT = re.compile(r"^[\s(+\-$€£¥]*\d[\d\s.,:/\-]*[%)]?\s*$")
_LIST_MARKER = re.compile(
    r"^\s*(?:\(?\d{1,3}[.)]|[-•*\u2013]|\(?[a-z][.)]|step\s+\d+\s*[:.)\-\u2013])\s*\S", re.IGNORECASE
)
_NOTE_MARKER = re.compile(
    r"^\s*(?:[*†‡]|(?:[a-z]+\s+)?(?:notes?|n\.?\s?b\.?|sources?|footnotes?|remarks?|disclaimer|caveat|see also)"
    r"\s*[:\-\u2013.)])",
    re.IGNORECASE,
)
_FOOTER = re.compile(
    r"^\s*(?:page\s+\d+(?:\s*(?:of|/)\s*\d+)?\s*$|end of (?:report|file|list|data)\b|(?:generated|printed|exported|"
    r"prepared|produced|created)\s+(?:on|by|at|from|with)\b|confidential\b|©|copyright\b)",
    re.IGNORECASE,
)
_TOTAL_LABEL = re.compile(r"^\s*(?:grand\s+|sub-?\s?)?totals?\b", re.IGNORECASE)

_WEIGHT_FILL = 0.3
_WEIGHT_TEXT = 0.2
_WEIGHT_VOCABULARY = 0.35
_WEIGHT_DATA_BELOW = 0.15
_EXTRA_ROW_PENALTY = 0.08


def column_letter(index: int) -> str:
    """Excel's letters for a 0-based column index (0 → A, 27 → AB)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


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


def is_sentence(text: str) -> bool:
    """Whether a text reads as prose rather than a label: six words or more, a numbered or bulleted
    step, or three words or more ending with a full stop. A question is a label (form exports head
    their columns with the questions asked)."""
    words = text.split()
    if len(text) > MAX_HEADER_TEXT_LENGTH:
        return True
    if text.rstrip().endswith("?"):
        return False
    if len(words) >= SENTENCE_WORDS:
        return True
    if len(words) >= 2 and _LIST_MARKER.match(text):
        return True
    return len(words) >= 3 and text.rstrip()[-1:] in ".!?"


def _label(value: CellValue) -> str | None:
    """The label a cell holds (one-spaced), or None when it is empty, a value or a sentence."""
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    if not text or is_value_like(text) or is_sentence(text):
        return None
    return text


def filled_cells(row: Sequence[CellValue], first: int = 0, last: int | None = None) -> Iterator[tuple[int, CellValue]]:
    """The non-empty cells of a row between two columns (inclusive), with their column index."""
    end = len(row) if last is None else min(len(row), last + 1)
    for index in range(first, end):
        value = row[index]
        if value is None or value == "" or (isinstance(value, str) and value.isspace()):
            continue
        yield index, value


@dataclass(frozen=True, slots=True)
class HeaderBlock:
    """A table's shape: its header rows (1-based), its columns (0-based) and each column's header text.

    `texts[i]` is the header of sheet column `first_column + i` (None when that column has none). A
    headerless table has `row_count` 0, starts at its first data row and has generated texts
    (`Column A`, ...).
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
        """The table's rightmost column."""
        return self.first_column + len(self.texts) - 1

    @property
    def headerless(self) -> bool:
        """Whether the table has no header row (its texts were generated)."""
        return self.row_count == 0


# ---------------------------------------------------------------------------------------------
# Rows as the detector sees them


@dataclass(slots=True)
class _RowProfile:
    position: int
    cells: dict[int, CellValue]
    labels: dict[int, str]
    value_cells: int
    prose_cells: int
    has_email_or_date: bool

    @property
    def non_empty(self) -> int:
        return len(self.cells)

    @property
    def text_share(self) -> float:
        return len(self.labels) / len(self.cells) if self.cells else 0.0

    @property
    def key_value(self) -> bool:
        """A `Key: value` line (`Exported: | 2024-05-01`): a preamble or footer line, never data."""
        first = self.cells[min(self.cells)]
        return self.non_empty <= 2 and isinstance(first, str) and first.rstrip().endswith(":")

    @property
    def data_like(self) -> bool:
        """A row of values: it holds a value, no prose, is no `Key: value` line, and reads as no header."""
        if not self.value_cells or self.prose_cells or self.key_value:
            return False
        return self.has_email_or_date or self.text_share < HEADER_TEXT_SHARE

    def within(self, first: int, last: int) -> _RowProfile | None:
        """This row cut to the columns from `first` to `last`, or None when nothing is left."""
        if first <= min(self.cells) and max(self.cells) <= last:
            return self
        cells = {index: value for index, value in self.cells.items() if first <= index <= last}
        return _row_profile(self.position, cells) if cells else None


def _row_profile(position: int, cells: dict[int, CellValue]) -> _RowProfile:
    labels: dict[int, str] = {}
    value_cells = prose_cells = 0
    email_or_date = False
    for index, value in cells.items():
        label = _label(value)
        if label is not None:
            labels[index] = label
        elif is_value_like(value):
            value_cells += 1
            email_or_date = email_or_date or (isinstance(value, str) and "@" in value) or hasattr(value, "year")
        elif isinstance(value, str):
            prose_cells += 1
    return _RowProfile(position, cells, labels, value_cells, prose_cells, email_or_date)


def _profile(position: int, row: Sequence[CellValue]) -> _RowProfile | None:
    cells = dict(filled_cells(row))
    return _row_profile(position, cells) if cells else None


# ---------------------------------------------------------------------------------------------
# Headers


def _merge_texts(
    block: Sequence[_RowProfile], *, every_cell: bool = False, last_column: int | None = None
) -> dict[int, str]:
    """Each column's header text: its pieces top to bottom, joined by one space (repeats dropped).

    Only labels count, unless `every_cell` (the final header also keeps a number such as 2024). A
    group row (sparser than the row under it) stretches each label right over its empty cells, up to
    the next label or `last_column`, as a merged cell would.
    """
    pieces: dict[int, list[str]] = {}
    leaf = block[-1]
    end = max(leaf.cells) if last_column is None else last_column
    for profile in block:
        texts: dict[int, str] = profile.labels
        if every_cell:
            texts = {
                index: texts.get(index) or " ".join(cell_text(value).split()) for index, value in profile.cells.items()
            }
        if profile is not leaf and len(profile.cells) < len(leaf.cells):
            texts = _stretched(texts, end)
        for index, text in sorted(texts.items()):
            column = pieces.setdefault(index, [])
            if text.casefold() not in (piece.casefold() for piece in column):
                column.append(text)
    return {index: " ".join(column) for index, column in sorted(pieces.items())}


def _stretched(texts: dict[int, str], last_column: int) -> dict[int, str]:
    """Group labels carried right over the empty cells after them."""
    columns = sorted(texts)
    stretched: dict[int, str] = {}
    for position, index in enumerate(columns):
        end = columns[position + 1] - 1 if position + 1 < len(columns) else last_column
        for column in range(index, end + 1):
            stretched[column] = texts[index]
    return stretched


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
        names_fields = any(vocabulary.is_known_term(header) for header in after.labels.values())
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
    known: int
    has_data_below: bool


def _may_be_header(profile: _RowProfile | None) -> bool:
    """Whether a row could be (part of) a header: mostly labels, no e-mail or date, and not a lone
    note, footer or total line (whatever fields its words name)."""
    return (
        profile is not None
        and bool(profile.labels)
        and profile.text_share >= HEADER_TEXT_SHARE
        and not profile.has_email_or_date
        and (profile.non_empty > 1 or not _is_note_text(profile.cells[min(profile.cells)]))
    )


def _candidates(
    band: Sequence[_RowProfile | None], starts: Sequence[int], vocabulary: HeaderVocabulary
) -> list[_Candidate]:
    present = [profile for profile in band if profile is not None]
    found: list[_Candidate] = []
    for start in starts:
        if not _may_be_header(band[start]):
            continue
        block: list[_RowProfile] = []
        for offset in range(MAX_HEADER_ROWS):
            position = start + offset
            current = band[position] if position < len(band) else None
            if current is None or not _may_be_header(current):
                break
            block.append(current)
            if len(block) > 1 and any(len(member.labels) < 2 for member in block):
                break  # a lone title over a header is not part of it
            following = [later for later in present if later.position > position][:3]
            if following and following[0].position > position + 1 and len(current.labels) < 2:
                following = []  # a lone label with a blank row under it is a title, not a header
            score, _, known = _score_block(block, following, vocabulary)
            previous = [earlier for earlier in present if earlier.position < start][-1:]
            if (previous and _resembles(block[0], previous[0])) or (following and _resembles(block[-1], following[0])):
                score *= LOOKS_LIKE_DATA_FACTOR
            found.append(_Candidate(score, start, len(block), known, bool(following)))
    return found


def _shape(text: str) -> str:
    return _DIGITS.sub("#", text.casefold())


def _resembles(row: _RowProfile, neighbour: _RowProfile) -> bool:
    """Whether two rows read alike column by column once digits are ignored ("SKU-1001" / "SKU-1002"):
    a data row among data rows, not a header."""
    alike = sum(
        1
        for index, text in row.labels.items()
        if index in neighbour.labels and _shape(neighbour.labels[index]) == _shape(text)
    )
    return alike > 0 and alike * 2 >= len(row.labels)


def _is_group_row(row: _RowProfile | None, header_top: _RowProfile, first: int, last: int) -> bool:
    """Whether a row directly above a header is a row of group labels over it (fewer labels, no values,
    no `Key:` lines), not a title or a preamble line."""
    if row is None or len(row.labels) < 2 or len(row.labels) != row.non_empty:
        return False
    if len(row.labels) >= len(header_top.labels):
        return False
    if any(label.endswith(":") for label in row.labels.values()):
        return False
    return first <= min(row.cells) and max(row.cells) <= last


def _by_preference(candidates: Sequence[_Candidate]) -> list[_Candidate]:
    """The candidates that may be headers, the preferred first: the best, unless an earlier one scoring
    close to it starts another table above; then the rest by score."""
    found = [
        candidate
        for candidate in candidates
        if candidate.score >= MIN_HEADER_SCORE and (candidate.has_data_below or candidate.known > 0)
    ]
    if not found:
        return []
    ranked = sorted(found, key=lambda candidate: (-candidate.score, candidate.start))
    best = ranked[0]
    earlier_tables = [
        candidate
        for candidate in found
        if candidate.start + candidate.row_count < best.start - 1 and candidate.score >= best.score - NEAR_BEST_MARGIN
    ]
    if earlier_tables:
        first = min(earlier_tables, key=lambda candidate: (candidate.start, -candidate.score))
        ranked.remove(first)
        ranked.insert(0, first)
    return ranked


# ---------------------------------------------------------------------------------------------
# Tables in a window


def _blocks(profiles: Sequence[_RowProfile | None]) -> list[list[_RowProfile]]:
    """Runs of consecutive non-blank rows."""
    return [
        [profile for profile in run if profile is not None]
        for present, run in groupby(profiles, key=lambda profile: profile is not None)
        if present
    ]


def _bands(block: Sequence[_RowProfile]) -> list[tuple[int, int]]:
    """The column ranges of a block separated by empty columns. A row of one text cell (a title, a
    note) or a `Key: value` line neither joins nor splits bands, unless the block holds nothing else."""
    rows = [
        profile for profile in block if (profile.non_empty >= 2 or profile.value_cells) and not profile.key_value
    ] or list(block)
    occupied = sorted({index for profile in rows for index in profile.cells})
    bands: list[tuple[int, int]] = []
    for index in occupied:
        if bands and index == bands[-1][1] + 1:
            bands[-1] = (bands[-1][0], index)
        else:
            bands.append((index, index))
    return bands


def _is_prose_cell(value: CellValue) -> bool:
    return isinstance(value, str) and (is_sentence(" ".join(value.split())) or len(value.split()) >= 4)


def _holds_data(rows: Sequence[_RowProfile]) -> bool:
    """Whether rows hold data rather than prose: some column is not mostly sentences."""
    columns: dict[int, list[CellValue]] = {}
    for profile in rows:
        for index, value in profile.cells.items():
            columns.setdefault(index, []).append(value)
    return any(sum(map(_is_prose_cell, values)) < PROSE_SHARE * len(values) for values in columns.values())


def _data_rows_below(
    band: Sequence[_RowProfile | None], after: int, limit: int, *, past_blank_rows: bool
) -> list[_RowProfile]:
    """The data rows under a header: the rows of its block (or, `past_blank_rows`, of the next block
    when the header stands alone), up to `limit` rows, stopping at notes."""
    rows: list[_RowProfile] = []
    for profile in band[after:]:
        if profile is None:
            if rows or not past_blank_rows:
                break
            continue
        if profile.non_empty == 1 and _is_note_text(profile.cells[min(profile.cells)]):
            break
        rows.append(profile)
        if len(rows) >= limit:
            break
    return rows


def _is_note_text(value: CellValue) -> bool:
    if not isinstance(value, str):
        return False
    return bool(_NOTE_MARKER.match(value) or _FOOTER.match(value) or _TOTAL_LABEL.match(value))


@dataclass(frozen=True, slots=True)
class _Shape:
    """A table found in a band: where it starts (window position), its header rows (none when
    headerless), its header text by column, its score, and its first data rows."""

    start: int
    row_count: int
    texts: dict[int, str]
    score: float
    data: list[_RowProfile]


def _header_table(
    band: Sequence[_RowProfile | None],
    block: Sequence[_RowProfile],
    first: int,
    last: int,
    vocabulary: HeaderVocabulary,
    limit: int,
) -> _Shape | None:
    """The table under a header starting in this block of the band, or None: the preferred header
    with data under it (a header over no data gives way to the next)."""
    starts = [profile.position for profile in block if profile.position < limit]
    for chosen in _by_preference(_candidates(band, starts, vocabulary)):
        start, count = chosen.start, chosen.row_count
        header_top = band[start]
        assert header_top is not None
        while (
            count < MAX_HEADER_ROWS
            and start > block[0].position
            and _is_group_row(band[start - 1], header_top, first, last)
        ):
            start -= 1
            count += 1
            group_row = band[start]
            assert group_row is not None
            header_top = group_row
        header_rows = [profile for profile in band[start : start + count] if profile is not None]
        data = _data_rows_below(band, start + count, PROFILE_ROWS, past_blank_rows=len(header_rows[-1].labels) >= 2)
        if len(data) < (1 if chosen.known else MIN_DATA_ROWS) or not _holds_data(data):
            continue
        columns = {index for profile in (*header_rows, *data) for index in profile.cells}
        texts = _merge_texts(header_rows, every_cell=True, last_column=max(columns))
        return _Shape(start, count, texts, chosen.score, data)
    return None


def _headerless_table(block: Sequence[_RowProfile], limit: int) -> _Shape | None:
    """The first run of value rows in this block of the band (a table without a header), or None;
    its columns are named after the sheet's letters."""
    run: list[_RowProfile] = []
    for profile in block:
        if profile.data_like:
            if run or profile.position < limit:
                run.append(profile)
            if len(run) >= PROFILE_ROWS:
                break
        elif len(run) >= MIN_HEADERLESS_ROWS:
            break
        else:
            run = []
    if len(run) < MIN_HEADERLESS_ROWS or not _holds_data(run):
        return None
    columns = {index for profile in run for index in profile.cells}
    texts = {index: f"Column {column_letter(index)}" for index in range(min(columns), max(columns) + 1)}
    return _Shape(run[0].position, 0, texts, 0.0, run)


@dataclass(frozen=True, slots=True)
class TableStart:
    """A table found in a window: its shape, and its first data rows there (full rows)."""

    header: HeaderBlock
    data_rows: list[Sequence[CellValue]]


def find_tables(
    rows: Sequence[Sequence[CellValue]],
    vocabulary: HeaderVocabulary,
    *,
    first_row_number: int = 1,
    start_limit: int | None = None,
    blocked: Sequence[tuple[int, int]] = (),
) -> list[TableStart]:
    """The tables that start among `rows` (`rows[0]` is row `first_row_number`), left to right and top
    to bottom.

    A table starts (its header, or its first row when headerless) within the first `start_limit` rows
    (default: any); the rows after serve as evidence. One table per band of columns is returned: the
    first; whatever follows it in the same columns is found as its rows stream. No table is returned
    over `blocked` column ranges (tables already open there), nor under one.
    """
    limit = len(rows) if start_limit is None else min(start_limit, len(rows))
    profiles = [_profile(position, row) for position, row in enumerate(rows)]
    blocks = _blocks(profiles)
    # a band over blocked columns is (part of) a table already open there: never a table now
    claimed: list[tuple[int, int]] = list(blocked)
    found: list[TableStart] = []
    for number, block in enumerate(blocks):
        if block[0].position >= limit:
            break
        following = blocks[number + 1] if number + 1 < len(blocks) else []
        for first, last in _bands(block):
            if any(first <= other_last and other_first <= last for other_first, other_last in claimed):
                # found as the table above streams: nothing below it in these columns is looked at now
                claimed.append((first, last))
                continue
            # the next block is evidence (data under a header, past a blank row) only if it stays in this band
            below = (
                following
                if all(
                    first <= band_first and band_last <= last
                    for band_first, band_last in _bands(following)
                    if band_first <= last and first <= band_last
                )
                else []
            )
            band: list[_RowProfile | None] = [None] * len(profiles)
            for member in (*block, *below):
                band[member.position] = member.within(first, last)
            band_block = [profile for profile in (band[member.position] for member in block) if profile is not None]
            shape = _header_table(band, band_block, first, last, vocabulary, limit) or _headerless_table(
                band_block, limit
            )
            if shape is not None:
                start = _table_start(shape, first_row_number, rows)
                found.append(start)
                claimed.append((start.header.first_column, start.header.last_column))
    found.sort(key=lambda start: (start.header.row_start, start.header.first_column))
    return found


def _table_start(shape: _Shape, first_row_number: int, rows: Sequence[Sequence[CellValue]]) -> TableStart:
    columns = sorted({*shape.texts, *(index for profile in shape.data for index in profile.cells)})
    header = HeaderBlock(
        row_start=first_row_number + shape.start,
        row_count=shape.row_count,
        first_column=columns[0],
        texts=tuple(shape.texts.get(index) for index in range(columns[0], columns[-1] + 1)),
        score=round(shape.score, 4),
    )
    return TableStart(header, [rows[profile.position] for profile in shape.data])


def detect_header(
    rows: Sequence[Sequence[CellValue]],
    vocabulary: HeaderVocabulary,
    *,
    first_row_number: int = 1,
    scan_rows: int | None = None,
) -> HeaderBlock | None:
    """The first table's shape among the first rows of a sheet (`rows[0]` is row `first_row_number`).

    The table starts within the first `scan_rows` rows (default: any of `rows`). Returns None when
    nothing there is a table (an empty window, a lone title, prose).
    """
    found = find_tables(rows, vocabulary, first_row_number=first_row_number, start_limit=scan_rows)
    return found[0].header if found else None


# ---------------------------------------------------------------------------------------------
# Rows after a table's start


class RowKind(enum.Enum):
    """What a row is to a table."""

    BLANK = "blank"
    DATA = "data"
    """A data row as full as the table's rows usually are."""
    SPARSE = "sparse"
    """A row with fewer cells than usual: data when more data follows it, else what ends the table."""
    NOTE = "note"
    """A marked note, footer or total line, or a repeated header: data only between data rows with no
    blank row about them; after a gap the table may go on past it."""
    STRAY = "stray"
    """One text that fits no column (a label over values, a sentence among short texts): like a note,
    but after a gap it ends the table."""
    HEADER = "header"
    """A header row: another table starts here."""


@dataclass(frozen=True, slots=True)
class TableProfile:
    """A table's shape, learnt from its header and first data rows, to classify the rows that follow."""

    first_column: int
    last_column: int
    value_columns: frozenset[int]
    longest_text: dict[int, int]
    most_words: dict[int, int]
    typical_fill: int
    full_fill: int
    header_key: tuple[str, ...]

    @classmethod
    def learn(cls, header: HeaderBlock, rows: Sequence[Sequence[CellValue]]) -> TableProfile:
        """The profile of a table from its header and (up to `PROFILE_ROWS` of) its first data rows."""
        first, last = header.first_column, header.last_column
        cells = [dict(filled_cells(row, first, last)) for row in rows[:PROFILE_ROWS]]
        cells = [row for row in cells if row]
        widest = max((len(row) for row in cells), default=0)
        # rows much sparser than the widest are likely notes: they do not shape the profile
        typical = [row for row in cells if len(row) * 2 >= widest] or cells
        fill = median_low([len(row) for row in typical]) if typical else 1
        by_column: dict[int, list[CellValue]] = {}
        for row in typical:
            for index, value in row.items():
                by_column.setdefault(index, []).append(value)
        longest: dict[int, int] = {}
        words: dict[int, int] = {}
        for index, values in by_column.items():
            texts = [value for value in values if isinstance(value, str)]
            longest[index] = max(map(len, texts), default=0)
            words[index] = max((len(text.split()) for text in texts), default=0)
        return cls(
            first_column=first,
            last_column=last,
            value_columns=frozenset(
                index
                for index, values in by_column.items()
                if sum(map(is_value_like, values)) >= VALUE_COLUMN_SHARE * len(values)
            ),
            longest_text=longest,
            most_words=words,
            typical_fill=fill,
            full_fill=max(1, -(-fill // 2)),
            header_key=() if header.headerless else tuple(compact_header(text) for text in header.texts if text),
        )

    def classify(self, row: Sequence[CellValue], vocabulary: HeaderVocabulary, *, boundary: bool) -> RowKind:
        """What `row` is to this table (only its cells in the table's columns count).

        `boundary`: the row follows a blank gap or a row that is not data; only there can a header
        start another table (labels naming configured fields, or labels over this table's value
        columns), and only there is a repeat of this table's own header a note. Elsewhere such a row
        is data.
        """
        cells = dict(filled_cells(row, self.first_column, self.last_column))
        if not cells:
            return RowKind.BLANK
        if self._is_note(cells):
            return RowKind.NOTE
        count = len(cells)
        # labels matter only over value columns, and anywhere at a boundary
        contrast = sum(1 for index in self.value_columns if index in cells and _label(cells[index]) is not None)
        if boundary and (count >= 2 or self.first_column == self.last_column):
            labels = [label for value in cells.values() if (label := _label(value)) is not None]
            if len(labels) == count:
                if tuple(map(compact_header, labels)) == self.header_key:
                    return RowKind.NOTE  # its own header again (a page break): not data, and it goes on
                if (contrast and contrast * 2 >= count) or (
                    count >= 2 and sum(map(vocabulary.is_known_term, labels)) * 2 >= count
                ):
                    return RowKind.HEADER
        if self._is_stray(cells):
            return RowKind.STRAY
        if count >= self.full_fill and contrast * 2 < count:
            return RowKind.DATA
        return RowKind.SPARSE

    def is_typical(self, row: Sequence[CellValue]) -> bool:
        """Whether a row fills as many of the table's columns as its data rows usually do."""
        return sum(1 for _ in filled_cells(row, self.first_column, self.last_column)) >= self.typical_fill

    def _is_note(self, cells: dict[int, CellValue]) -> bool:
        """Whether a row is marked as a note, footer or total line (`Note:`, `Total`, `Page 1 of 3`,
        `Printed: | date`)."""
        first_index = min(cells)
        first = cells[first_index]
        if not isinstance(first, str):
            return False
        text = " ".join(first.split())
        if len(cells) > 1:
            others = [value for index, value in cells.items() if index != first_index]
            if _TOTAL_LABEL.match(text) and all(is_value_like(value) for value in others):
                return True  # "Total | | 1,250.00"
            # "Printed: | 2024-05-01" under a wider table
            return len(cells) == 2 and text.endswith(":") and len(cells) < self.full_fill
        return bool(_NOTE_MARKER.match(text) or _FOOTER.match(text) or _TOTAL_LABEL.match(text))

    def _is_stray(self, cells: dict[int, CellValue]) -> bool:
        """Whether a row is one text that fits no column: a label over values, or much longer and
        wordier than the column's texts."""
        if len(cells) > 1:
            return False
        ((index, value),) = cells.items()
        if not isinstance(value, str) or is_value_like(value):
            return False
        if index in self.value_columns:
            return True
        words = len(value.split())
        longer_than_column = len(value) > max(24, 2 * self.longest_text.get(index, 0))
        wordier_than_column = words >= 3 and words > 2 * max(self.most_words.get(index, 0), 1)
        return longer_than_column and wordier_than_column
