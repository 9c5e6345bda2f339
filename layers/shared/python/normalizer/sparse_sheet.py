"""Stream an xlsx sheet's XML row by row in bounded memory.

Used for sheets python-calamine must not materialize: sparse ones (a cell in A1 and one in
XFD1048576), and ones whose cells the byte-level scan could not bound (no `r` references). Values
follow python-calamine's conventions: numbers are floats, date-formatted numbers become
date/datetime/time/timedelta, booleans are bools, and an empty cell is "".
"""

from __future__ import annotations

import datetime
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from xml.parsers import expat

from normalizer.inspect import (
    ReadLimits,
    WorkbookPackage,
    column_index,
    iter_part_chunks,
    parse_metadata_xml,
    read_part,
    too_large,
    unreadable,
)

CellValue = str | int | float | bool | datetime.date | datetime.datetime | datetime.time | datetime.timedelta | None
_REFERENCE = re.compile(r"([A-Za-z]{1,4})([0-9]{1,8})")
_BUILTIN_DATE_FORMATS = {14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 47}
_BUILTIN_DURATION_FORMATS = {46}
_FORMAT_LITERALS = re.compile(r'"[^"]*"|\\.|_.|\*.')
_FORMAT_BRACKETS = re.compile(r"\[([^\]]*)\]")
_EPOCH_1900 = datetime.datetime(1899, 12, 30)
_EPOCH_1904 = datetime.datetime(1904, 1, 1)


def classify_number_format(code: str) -> str | None:
    """ "date" for a date/time format, "duration" for an elapsed-time one ([h]:mm), else None."""
    without_literals = _FORMAT_LITERALS.sub("", code)
    brackets = _FORMAT_BRACKETS.findall(without_literals)
    if any(re.fullmatch(r"[hHmMsS]+", inner) for inner in brackets):
        return "duration"
    bare = _FORMAT_BRACKETS.sub("", without_literals).split(";")[0].lower()
    return "date" if re.search(r"[dmyhs]", bare) else None


def excel_serial_to_python(serial: float, *, date_1904: bool, duration: bool) -> CellValue:
    """Convert an Excel date serial the way python-calamine does; out-of-range serials stay floats."""
    time_only = 0 <= serial < 1 and not duration
    try:
        if duration:
            return datetime.timedelta(days=serial)
        if not date_1904 and 1 <= serial < 60:
            # Excel counts a 29 February 1900 that never existed; serials before it are one day off.
            serial += 1
        # Excel stores milliseconds at most; rounding there absorbs the float's noise.
        moment = (_EPOCH_1904 if date_1904 else _EPOCH_1900) + datetime.timedelta(
            milliseconds=round(serial * 86_400_000)
        )
    except (OverflowError, ValueError):
        return serial
    if time_only:
        return moment.time()
    if moment.time() == datetime.time(0):
        return moment.date()
    return moment


class _WorkbookStyles:
    """Which cell styles (xf indices) format numbers as dates or durations."""

    def __init__(self, kinds: list[str | None]) -> None:
        self.kinds = kinds

    @classmethod
    def load(cls, file: Any, archive: zipfile.ZipFile, part: str | None, limits: ReadLimits) -> _WorkbookStyles:
        if part is None:
            return cls([])
        root = parse_metadata_xml(read_part(file, archive.getinfo(part), limits.max_metadata_part_bytes), part)
        custom: dict[int, str] = {}
        kinds: list[str | None] = []
        for element in root.iter():
            name = element.tag.rpartition("}")[2]
            if name == "numFmt":
                try:
                    custom[int(element.get("numFmtId", ""))] = element.get("formatCode", "")
                except ValueError:
                    continue
            elif name == "cellXfs":
                for xf in element:
                    kinds.append(cls._kind(xf.get("numFmtId"), custom))
        return cls(kinds)

    @staticmethod
    def _kind(format_id: str | None, custom: dict[int, str]) -> str | None:
        try:
            number = int(format_id or "0")
        except ValueError:
            return None
        if number in custom:
            return classify_number_format(custom[number])
        if number in _BUILTIN_DURATION_FORMATS:
            return "duration"
        return "date" if number in _BUILTIN_DATE_FORMATS else None

    def kind(self, style: str | None) -> str | None:
        if not style:
            return None
        try:
            return self.kinds[int(style)]
        except (ValueError, IndexError):
            return None


def load_shared_strings(file: Any, archive: zipfile.ZipFile, part: str | None) -> list[str]:
    """Every shared string in order (rich-text runs joined, phonetic hints left out).

    Raises EngineFailure INPUT_UNREADABLE or INPUT_TOO_LARGE.
    """
    if part is None:
        return []
    strings: list[str] = []
    pieces: list[str] = []
    state = {"in_text": False, "phonetic": 0}

    def start(name: str, _attributes: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if local == "si":
            pieces.clear()
        elif local == "rPh":
            state["phonetic"] += 1
        elif local == "t" and not state["phonetic"]:
            state["in_text"] = True

    def end(name: str) -> None:
        local = name.rpartition(":")[2]
        if local == "si":
            strings.append("".join(pieces))
        elif local == "rPh":
            state["phonetic"] -= 1
        elif local == "t":
            state["in_text"] = False

    def text(data: str) -> None:
        if state["in_text"]:
            pieces.append(data)

    parser = _new_parser(start, end, text)
    _feed_all(parser, iter_part_chunks(file, archive.getinfo(part)), part)
    return strings


def _new_parser(
    start: Callable[[str, dict[str, str]], None], end: Callable[[str], None], text: Callable[[str], None]
) -> Any:
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text

    def refuse_doctype(*_arguments: object) -> None:
        raise unreadable("The workbook declares a DTD, which spreadsheets never need.")

    parser.StartDoctypeDeclHandler = refuse_doctype
    return parser


def _feed_all(parser: Any, chunks: Iterator[bytes], part: str) -> None:
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise unreadable(f"The workbook part {part} is not valid XML ({error}).") from None


class _CellCollector:
    """expat handlers that turn sheet XML into (row, column, value) triples, 0-based."""

    def __init__(self, values: _ValueReader, limits: ReadLimits) -> None:
        self.values = values
        self.limits = limits
        self.cells: list[tuple[int, int, CellValue]] = []
        self.cell_count = 0
        self.row_index = 0
        self.column_index = 0
        self.in_cell = False
        self.position = (0, 0)
        self.cell_type: str | None = None
        self.cell_style: str | None = None
        self.value_text: str | None = None
        self.inline_text: list[str] | None = None
        self.collecting: list[str] | None = None
        self.phonetic = 0

    def start(self, name: str, attributes: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if local == "c":
            self._start_cell(attributes)
        elif not self.in_cell:
            if local == "row" and "r" in attributes:
                self.row_index = self._row_number(attributes["r"]) - 1
        elif local == "v":
            self.collecting = []
        elif local == "is":
            self.inline_text = []
        elif local == "rPh":
            self.phonetic += 1
        elif local == "t" and self.inline_text is not None and not self.phonetic:
            self.collecting = []

    def end(self, name: str) -> None:
        local = name.rpartition(":")[2]
        if local == "c" and self.in_cell:
            self._end_cell()
        elif local == "row" and not self.in_cell:
            self.row_index += 1
            self.column_index = 0
        elif local == "v" and self.collecting is not None:
            self.value_text = "".join(self.collecting)
            self.collecting = None
        elif local == "t" and self.collecting is not None and self.inline_text is not None:
            self.inline_text.append("".join(self.collecting))
            self.collecting = None
        elif local == "rPh":
            self.phonetic -= 1

    def text(self, data: str) -> None:
        if self.collecting is not None:
            self.collecting.append(data)

    def _row_number(self, text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            raise unreadable(f"A sheet row has an invalid number {text[:20]!r}.") from None
        if not 1 <= number <= self.limits.max_rows:
            raise too_large(f"A sheet row number {number} is outside the {self.limits.max_rows} rows allowed.")
        return number

    def _start_cell(self, attributes: dict[str, str]) -> None:
        self.cell_count += 1
        if self.cell_count > self.limits.max_cells:
            raise too_large(f"A sheet holds more than {self.limits.max_cells} cells.")
        reference = attributes.get("r")
        if reference is not None:
            match = _REFERENCE.fullmatch(reference)
            if match is None:
                raise unreadable(f"A sheet cell has an invalid reference {reference[:20]!r}.")
            self.position = (self._row_number(match.group(2)) - 1, column_index(match.group(1).upper()) - 1)
            self.column_index = self.position[1]
        else:
            self.position = (self.row_index, self.column_index)
        if self.position[1] >= self.limits.max_columns:
            raise too_large(f"A sheet cell lies beyond the {self.limits.max_columns} columns allowed.")
        self.column_index += 1
        self.in_cell = True
        self.cell_type = attributes.get("t")
        self.cell_style = attributes.get("s")
        self.value_text = None
        self.inline_text = None
        self.collecting = None

    def _end_cell(self) -> None:
        self.in_cell = False
        value = self.values.convert(self.cell_type, self.cell_style, self.value_text, self.inline_text)
        if value != "":
            self.cells.append((self.position[0], self.position[1], value))


class _ValueReader:
    """Turns a cell's type, style and text into a Python value, loading shared strings on first use."""

    def __init__(self, shared_strings: Callable[[], list[str]], styles: _WorkbookStyles, date_1904: bool) -> None:
        self._load_shared_strings = shared_strings
        self._shared_strings: list[str] | None = None
        self.styles = styles
        self.date_1904 = date_1904

    def convert(
        self, cell_type: str | None, style: str | None, value: str | None, inline: list[str] | None
    ) -> CellValue:
        if inline is not None and cell_type in (None, "inlineStr", "is"):
            return "".join(inline)
        if not value:
            return ""
        if cell_type == "s":
            if self._shared_strings is None:
                self._shared_strings = self._load_shared_strings()
            try:
                return self._shared_strings[int(value)]
            except (ValueError, IndexError):
                return ""
        if cell_type == "b":
            return value.strip() in ("1", "true")
        if cell_type in ("str", "e", "inlineStr", "is"):
            return value
        if cell_type == "d":
            try:
                return datetime.datetime.fromisoformat(value)
            except ValueError:
                return value
        try:
            number = float(value)
        except ValueError:
            return value
        kind = self.styles.kind(style)
        if kind is None:
            return number
        return excel_serial_to_python(number, date_1904=self.date_1904, duration=kind == "duration")


def iter_sparse_rows(package: WorkbookPackage, part_name: str, limits: ReadLimits) -> Iterator[list[CellValue]]:
    """Yield the sheet's rows from Excel row 1 in order, holding only the row being built.

    Cells that come after a later row (out of order) are dropped, as Excel never writes them.
    Raises EngineFailure INPUT_UNREADABLE or INPUT_TOO_LARGE while iterating.
    """
    with open(package.path, "rb") as file:
        try:
            archive = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise unreadable(f"The workbook cannot be read ({error}).") from None
        with archive:
            styles = _WorkbookStyles.load(file, archive, package.styles_part, limits)

            def shared_strings() -> list[str]:
                return load_shared_strings(file, archive, package.shared_strings_part)

            values = _ValueReader(shared_strings, styles, package.date_1904)
            yield from iter_sheet_xml_rows(
                iter_part_chunks(file, archive.getinfo(part_name)), limits, part_name, values
            )


def iter_sheet_xml_rows(
    blocks: Iterable[bytes], limits: ReadLimits, part_name: str, values: _ValueReader | None = None
) -> Iterator[list[CellValue]]:
    """Yield the rows of sheet XML that arrives in `blocks` (cut anywhere), as `iter_sparse_rows` does.

    Without `values`, there are no shared strings or styles (numbers stay numbers).
    Raises EngineFailure INPUT_UNREADABLE (expat's verdict on the XML) or INPUT_TOO_LARGE while iterating.
    """
    collector = _CellCollector(values or _ValueReader(list, _WorkbookStyles([]), False), limits)
    parser = _new_parser(collector.start, collector.end, collector.text)
    next_row = 0
    building: dict[int, CellValue] = {}
    building_row = -1
    try:
        for chunk in _then_end(blocks):
            parser.Parse(chunk or b"", chunk is None)
            for row, column, value in collector.cells:
                if row == building_row:
                    building[column] = value
                    continue
                if row < building_row:
                    continue
                if building:
                    yield _as_row(building)
                    next_row = building_row + 1
                while next_row < row:
                    yield []
                    next_row += 1
                building = {column: value}
                building_row = row
            collector.cells.clear()
    except expat.ExpatError as error:
        raise unreadable(f"The workbook sheet {part_name} is not valid XML ({error}).") from None
    if building:
        yield _as_row(building)


def _then_end(chunks: Iterable[bytes]) -> Iterator[bytes | None]:
    yield from chunks
    yield None


def _as_row(cells: dict[int, CellValue]) -> list[CellValue]:
    row: list[CellValue] = [""] * (max(cells) + 1)
    for column, value in cells.items():
        row[column] = value
    return row
