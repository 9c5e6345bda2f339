"""Texts with two possible readings (day- or month-first dates, decimal point or comma numbers), and how
a column decides between them.

A numeric date such as `01/02/1975` or a number such as `1.234` reads one way in one part of the world
and another way elsewhere. A text parser classifies each text as one of:
- a plain value: it reads the same either way (`1975-02-01`, `05/05/1975`, `1234`);
- `Only(reading, value)`: it can be read one way alone (`31/12/1980` is day-first, `12,5` has a decimal
  comma): evidence for that reading;
- `Either(first, second)`: it reads differently each way (`01/02/1975`, `1,234`): ambiguous.

A forced setting (`dateOrder: DMY`, `decimalSeparator: ","`) resolves every text by itself (`resolve`):
an ambiguous text takes the forced reading, a text that only reads the other way is invalid.

`auto` decides per column (`ColumnDecision`), as the configuration spec says: a column with evidence for
one reading and none for the other takes that reading; a column with no evidence takes the default
(month-first, decimal point); a column with evidence for both is in conflict, and its ambiguous texts
become issues rather than guesses.

How the decision meets streaming (rows come in chunks of 512 and are written as they go): the decision
is taken as late as possible, when the first ambiguous text has to be written, from the evidence of
every row up to the end of that chunk; until then unambiguous texts simply take their one reading.
From then on the reading is fixed for the rest of the column, so a column never holds one text read
two ways: a later text that can only be read the other way becomes an issue (saying which reading the
column took), never a silent reinterpretation. This equals the spec's whole-column rule whenever the
column's evidence appears no later than the chunk of its first ambiguous text, which is nearly always
(a random day-first date is decisive with odds 19/31, so the first decisive date arrives within a few
rows). The alternative, a pre-pass over the whole column before the first row is written, would need
the table's full extent before streaming and a second pass over the reader's rows; it costs a second
read of the sheet per table with a date or number column: `read.py` does not keep the parsed sheet, and
python-calamine re-parses it on every `get_sheet_by_index` (measured at 100k rows: 0.68 s, against an
I/O floor of 0.82 s; iterating an already parsed grid would cost 0.05 s), for a case this design turns
into issues.
Cost here: nothing on columns without ambiguous texts; one list of pending indices per chunk otherwise.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from normalizer.values.cells import cell_text
from normalizer.values.columns import INVALID, Parsed


class Reading(enum.IntEnum):
    """The two readings of a text: for dates day-first/month-first, for numbers comma/point."""

    FIRST = 0
    SECOND = 1


@dataclass(frozen=True, slots=True)
class Only:
    """A text that reads one way alone: evidence for `reading` in its column."""

    reading: Reading
    value: Parsed


@dataclass(frozen=True, slots=True)
class Either:
    """An ambiguous text: its value under the first and under the second reading."""

    first: Parsed
    second: Parsed

    def under(self, reading: Reading) -> Parsed:
        return self.first if reading is Reading.FIRST else self.second


Classified = Parsed | Only | Either
Classifier = Callable[[str], Classified]


ColumnShortcut = Callable[[list[str]], tuple[list[Parsed], Reading | None] | None]
"""A column chunk's values when every text has one common, cheap shape (None otherwise), and the
reading they are all evidence for (None when they read the same either way). It must give exactly
what classifying each text gives."""


def resolve(classified: Classified, reading: Reading) -> Parsed:
    """The value of a classified text under a forced reading; INVALID when it only reads the other way."""
    if type(classified) is Only:
        return classified.value if classified.reading is reading else INVALID
    if type(classified) is Either:
        return classified.under(reading)
    return classified  # type: ignore[return-value]


def forced_reader(
    classify: Classifier, reading: Reading, shortcut: ColumnShortcut | None = None
) -> Callable[[list[str]], list[Parsed]]:
    """Parsing of a column chunk's texts that reads every text the one way."""

    def read_texts(texts: list[str]) -> list[Parsed]:
        if shortcut is not None:
            quick = shortcut(texts)
            if quick is not None and (quick[1] is None or quick[1] is reading):
                return quick[0]
        return [resolve(classified, reading) for classified in map(classify, texts)]

    return read_texts


class ColumnDecision:
    """The `auto` decision of one column between two readings, fixed when first needed (module doc).

    `names` say the readings in a sentence ("day-first", "month-first"); `default` is the reading of a
    column without evidence; `noun` names the column's values ("dates") and `setting` the key that
    forces a reading ("settings.dateOrder"), for the issue messages.
    """

    __slots__ = ("_committed", "_conflict", "_seen", "default", "names", "noun", "setting")

    def __init__(self, default: Reading, names: tuple[str, str], noun: str, setting: str) -> None:
        self.default = default
        self.names = names
        self.noun = noun
        self.setting = setting
        self._seen = [False, False]
        self._committed: Reading | None = None
        self._conflict = False

    def observe(self, reading: Reading) -> bool:
        """Record a text that reads one way alone; False when it contradicts the column's fixed reading."""
        self._seen[reading] = True
        return self._committed is None or self._committed is reading

    def commit(self) -> Reading | None:
        """Fix the column's reading from the evidence so far (once); None when the evidence conflicts."""
        if self._committed is None and not self._conflict:
            first, second = self._seen
            if first and second:
                self._conflict = True
            elif first:
                self._committed = Reading.FIRST
            elif second:
                self._committed = Reading.SECOND
            else:
                self._committed = self.default
        return self._committed

    def failure_message(self, classified: Classified) -> str | None:
        """Why a classified text failed because of the column's decision; None if it did not."""
        first, second = self.names
        if type(classified) is Either and self._conflict:
            return (
                f"Ambiguous: {_shown(classified.first)} {first} or {_shown(classified.second)} {second}, and this "
                f"column has {self.noun} of both kinds; set {self.setting} to choose."
            )
        committed = self._committed
        if type(classified) is Only and committed is not None and classified.reading is not committed:
            return (
                f"Can only be read {self.names[classified.reading]} ({_shown(classified.value)}), but this "
                f"column's ambiguous {self.noun} were already read {self.names[committed]}; set {self.setting} "
                "to choose."
            )
        return None


def _shown(value: Parsed) -> str:
    return "no valid value" if value is INVALID else cell_text(value)


def column_reader(
    classify: Classifier, decision: ColumnDecision, shortcut: ColumnShortcut | None = None
) -> Callable[[list[str]], list[Parsed]]:
    """`auto` parsing of a column chunk's texts: classify each and record its evidence, then, if the
    chunk has ambiguous texts, fix the column's reading and give them their value under it (INVALID in
    conflict). A text that contradicts the column's fixed reading is INVALID.
    """

    def read_texts(texts: list[str]) -> list[Parsed]:
        if shortcut is not None:
            quick = shortcut(texts)
            # a chunk that contradicts the column's reading goes text by text, to mark the texts that do
            if quick is not None and (quick[1] is None or decision.observe(quick[1])):
                return quick[0]
        parsed: list[Parsed] = []
        append = parsed.append
        pending: list[tuple[int, Either]] = []
        for classified in map(classify, texts):
            kind = type(classified)
            if kind is Only:
                append(classified.value if decision.observe(classified.reading) else INVALID)  # type: ignore[union-attr]
            elif kind is Either:
                pending.append((len(parsed), classified))  # type: ignore[arg-type]
                append(None)
            else:
                append(classified)  # type: ignore[arg-type]
        if pending:
            reading = decision.commit()
            for index, either in pending:
                parsed[index] = INVALID if reading is None else either.under(reading)
        return parsed

    return read_texts


def forced_message(
    classify: Classifier, reading: Reading, names: tuple[str, str], setting: str
) -> Callable[[str], str | None]:
    """Why a (transformed) text failed under a forced reading when it reads the other way; None if not."""

    def message(text: str) -> str | None:
        classified = classify(text)
        if type(classified) is Only and classified.reading is not reading:
            return f"Can only be read {names[classified.reading]} ({_shown(classified.value)}), but {setting}."
        return None

    return message


def decision_message(classify: Classifier, decision: ColumnDecision) -> Callable[[str], str | None]:
    """Why a (transformed) text of an `auto` column failed because of the column's decision; None if not."""
    return lambda text: decision.failure_message(classify(text))
