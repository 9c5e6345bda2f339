"""Sheets and previews of an xlsx output, reading only the parts and the rows they need.

The file is any seekable binary file; on Lambda it fetches byte ranges of the S3 object on demand
(`runs.storage.open_ranged`). `zipfile` reads the central directory at the end of the package, then
inflates the workbook's small parts and the selected sheet as a stream that expat parses until the
window is full: the first 100 rows of a million-row sheet cost a few hundred kilobytes of reading.
The sheet's size comes from its `<dimension>` element when it has one.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, time
from typing import IO, Any, BinaryIO, Literal
from xml.etree.ElementTree import Element
from xml.parsers import expat

from normalizer.errors import EngineFailure
from normalizer.inspect import ReadLimits, check_zip_directory, column_index, parse_metadata_xml
from normalizer.sparse_sheet import excel_serial_to_python
from runs.errors import PreviewFailed
from runs.models.outputs import OutputSheet, PreviewQuery, SheetPreview
from runs.preview.selection import select_sheet
from runs.preview.styles import Styles, local_name
from runs.preview.window import SheetRow, Window, cell_text

LIMITS = ReadLimits()
CHUNK_BYTES = 64 * 1024
# Inflated XML a preview parses at most: a sheet whose window needs more (thousands of columns per
# row) answers the rows read so far; shared strings past this fail the preview.
MAX_SHEET_XML_BYTES = 32 * 1024 * 1024
MAX_SHARED_STRINGS_XML_BYTES = 64 * 1024 * 1024
_RELATIONSHIP_TYPE = "/relationships/"
_REFERENCE = re.compile(r"([A-Za-z]{1,3})([0-9]{1,7})")
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, ValueError)


@contextmanager
def _readable(what: str) -> Iterator[None]:
    """Turns any failure to read the package into PreviewFailed (422) with a message safe to show."""
    try:
        yield
    except EngineFailure as failure:
        raise PreviewFailed(f"The output cannot be read: {failure.message}") from None
    except _READ_ERRORS as error:
        raise PreviewFailed(f"The output cannot be read ({what}: {type(error).__name__}).") from None


@dataclass(frozen=True)
class _Tab:
    index: int
    name: str
    kind: Literal["worksheet", "chartsheet"]
    visible: bool
    part: str | None


class XlsxWorkbook:
    """An opened xlsx package: its tabs, styles and parts. Raises PreviewFailed when it cannot be read."""

    def __init__(self, file: BinaryIO) -> None:
        with _readable("package"):
            size = file.seek(0, 2)
            check_zip_directory(file, size, LIMITS)
            self._archive = zipfile.ZipFile(file)
            self._entries = {info.filename.lower(): info for info in self._archive.infolist()}
            workbook_part = self._office_document()
            workbook = self._xml(workbook_part)
            if workbook is None:
                raise PreviewFailed("The output is not an xlsx workbook (it has no workbook part).")
            relationships = self._relationships(workbook_part)
            self.tabs = _tabs(workbook, relationships)
            self.active_tab = _active_tab(workbook)
            self.date_1904 = any(
                local_name(element.tag) == "workbookPr" and element.get("date1904", "0").lower() in ("1", "true")
                for element in workbook
            )
            self._shared_strings_part = _part_of_type(relationships, "sharedStrings")
            self._styles_part = _part_of_type(relationships, "styles")
            self._theme_part = _part_of_type(relationships, "theme")

    def sheets(self) -> list[OutputSheet]:
        return [
            OutputSheet(
                name=tab.name,
                index=tab.index,
                kind=tab.kind,
                visible=tab.visible,
                is_active=tab.index == self.active_tab,
            )
            for tab in self.tabs
        ]

    def preview(self, query: PreviewQuery) -> SheetPreview:
        """The window of the selected sheet. Raises SheetNotFound, PreviewFailed."""
        tab = select_sheet(self.tabs, query)
        if tab.kind == "chartsheet":
            raise PreviewFailed(f"Sheet {tab.name!r} is a chart sheet; it has no cells to preview.")
        info = self._entry(tab.part)
        if info is None:
            raise PreviewFailed(f"The output's sheet {tab.name!r} is missing from the package.")
        with _readable("styles"):
            styles = Styles.parse(self._xml(self._styles_part), self._xml(self._theme_part))
        with _readable(f"sheet {tab.name}"):
            strings = _SharedStrings(self._open(self._shared_strings_part))
            window = Window(query)
            parser = _SheetParser(window, styles, strings, self.date_1904)
            with self._archive.open(info) as stream:
                parser.read(stream)
        return parser.shape(tab.name, tab.index)

    def _entry(self, part: str | None) -> zipfile.ZipInfo | None:
        return self._entries.get(part.lower()) if part else None

    def _open(self, part: str | None) -> IO[bytes] | None:
        info = self._entry(part)
        return self._archive.open(info) if info is not None else None

    def _xml(self, part: str | None) -> Element | None:
        """A small part, parsed; None when absent. Parts past the engine's metadata bound are refused."""
        info = self._entry(part)
        if info is None or part is None:
            return None
        if info.file_size > LIMITS.max_metadata_part_bytes:
            raise PreviewFailed(f"The output's part {part} is too large ({info.file_size} bytes).")
        with self._archive.open(info) as stream:
            return parse_metadata_xml(stream.read(), part)  # zipfile stops at the declared size

    def _office_document(self) -> str:
        package = self._xml("_rels/.rels")
        for relationship in [] if package is None else list(package):
            if relationship.get("Type", "").endswith("/officeDocument"):
                return _resolve("", relationship.get("Target", ""))
        return "xl/workbook.xml"

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationship id → (type suffix such as "worksheet", target part) of `part`."""
        folder, name = posixpath.split(part)
        root = self._xml(posixpath.join(folder, "_rels", name + ".rels"))
        found: dict[str, tuple[str, str]] = {}
        for relationship in [] if root is None else list(root):
            kind = relationship.get("Type", "").rpartition(_RELATIONSHIP_TYPE)[2]
            if relationship.get("TargetMode") != "External":
                found[relationship.get("Id", "")] = (kind, _resolve(folder, relationship.get("Target", "")))
        return found


def _resolve(folder: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(folder, target))


def _part_of_type(relationships: dict[str, tuple[str, str]], kind: str) -> str | None:
    return next((part for found, part in relationships.values() if found == kind), None)


def _tabs(workbook: Element, relationships: dict[str, tuple[str, str]]) -> list[_Tab]:
    sheets = next((element for element in workbook if local_name(element.tag) == "sheets"), None)
    tabs: list[_Tab] = []
    for element in [] if sheets is None else [e for e in sheets if local_name(e.tag) == "sheet"]:
        relationship_id = next((value for key, value in element.attrib.items() if key.endswith("}id")), "")
        kind, part = relationships.get(relationship_id, ("", None))
        tabs.append(
            _Tab(
                index=len(tabs),
                name=element.get("name", ""),
                kind="chartsheet" if kind == "chartsheet" else "worksheet",
                visible=element.get("state", "visible") == "visible",
                part=part,
            )
        )
    return tabs


def _active_tab(workbook: Element) -> int:
    for element in workbook.iter():
        if local_name(element.tag) == "workbookView":
            try:
                return int(element.get("activeTab", "0"))
            except ValueError:
                return 0
    return 0


class _Stop(Exception):
    """Raised from a parser callback: the window is full (or its budget spent)."""


def _new_parser(start: Callable[[str, dict[str, str]], None], end: Callable[[str], None]) -> Any:
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end

    def refuse_doctype(*_arguments: object) -> None:
        raise PreviewFailed("The output declares a DTD, which spreadsheets never need.")

    parser.StartDoctypeDeclHandler = refuse_doctype
    return parser


class _SharedStrings:
    """The shared-strings table, parsed only as far as the highest index asked for."""

    def __init__(self, stream: IO[bytes] | None) -> None:
        self._stream = stream
        self._strings: list[str] = []
        self._pieces: list[str] | None = None
        self._in_text = False
        self._phonetic = 0
        self._read = 0
        self._parser = _new_parser(self._start, self._end)
        self._parser.CharacterDataHandler = self._text

    def get(self, index: int) -> str:
        while index >= len(self._strings) and self._stream is not None:
            chunk = self._stream.read(CHUNK_BYTES)
            self._read += len(chunk)
            if self._read > MAX_SHARED_STRINGS_XML_BYTES:
                raise PreviewFailed("The output's shared strings are too large to preview.")
            try:
                self._parser.Parse(chunk, not chunk)
            except expat.ExpatError as error:
                raise PreviewFailed(
                    f"The output's shared strings are not valid XML ({expat.ErrorString(error.code)})."
                ) from None
            if not chunk:
                self._stream.close()
                self._stream = None
        return self._strings[index] if index < len(self._strings) else ""

    def _start(self, name: str, _attributes: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if local == "si":
            self._pieces = []
        elif local == "rPh":
            self._phonetic += 1
        elif local == "t" and not self._phonetic:
            self._in_text = True

    def _end(self, name: str) -> None:
        local = name.rpartition(":")[2]
        if local == "si" and self._pieces is not None:
            self._strings.append("".join(self._pieces))
            self._pieces = None
        elif local == "rPh":
            self._phonetic -= 1
        elif local == "t":
            self._in_text = False

    def _text(self, data: str) -> None:
        if self._in_text and self._pieces is not None:
            self._pieces.append(data)


class _SheetParser:
    """expat callbacks that fill the window from a sheet's XML and stop once it is full."""

    def __init__(self, window: Window, styles: Styles, strings: _SharedStrings, date_1904: bool) -> None:
        self.window = window
        self.styles = styles
        self.strings = strings
        self.date_1904 = date_1904
        self.max_rows = window.query.max_rows
        self.max_columns = window.query.max_columns
        self.declared: tuple[int, int] | None = None
        self.hidden_columns: set[int] = set()
        self.finished = False
        # The sheet's used range as seen: cells with a value or visible formatting (Excel's idea of it).
        self.last_row = -1
        self.widest = 0
        self.row: SheetRow | None = None
        self.next_row = 0
        self.next_column = 0
        self.cell: tuple[int, str | None, int] | None = None  # column, type, style of the open cell
        self.has_value = False
        self.value: list[str] | None = None
        self.inline: list[str] | None = None
        self.collecting: list[str] | None = None
        self.phonetic = 0

    def read(self, stream: IO[bytes]) -> None:
        parser = _new_parser(self.start, self.end)
        parser.CharacterDataHandler = self.text
        parsed = 0
        try:
            while parsed <= MAX_SHEET_XML_BYTES:
                chunk = stream.read(CHUNK_BYTES)
                parsed += len(chunk)
                parser.Parse(chunk, not chunk)
                if not chunk:
                    self.finished = True
                    return
            self.window.budget_spent = True
        except _Stop:
            return
        except expat.ExpatError as error:
            raise PreviewFailed(f"The output's sheet is not valid XML ({expat.ErrorString(error.code)}).") from None

    def shape(self, name: str, index: int) -> SheetPreview:
        seen_rows = self.last_row + 1
        if self.finished:
            height, total_rows, total_columns = min(seen_rows, self.max_rows), seen_rows, self.widest
        else:
            if self.window.budget_spent:
                height = self.window.rows[-1].index + 1 if self.window.rows else 0
            else:
                height = self.max_rows
            total_rows, total_columns = None, None
            if self.declared is not None:
                total_rows, total_columns = max(self.declared[0], seen_rows), max(self.declared[1], self.widest)
        return self.window.shape(
            name=name,
            index=index,
            height=height,
            total_rows=total_rows,
            total_columns=total_columns,
            widest_row=self.widest,
            hidden_columns=self.hidden_columns,
        )

    def start(self, name: str, attributes: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if self.cell is not None:
            if local in ("v", "is"):
                self.has_value = True
                if self.cell[0] >= self.max_columns:
                    return  # outside the window: only its presence counts
            if local == "v":
                self.collecting = self.value = []
            elif local == "is":
                self.inline = []
            elif local == "rPh":
                self.phonetic += 1
            elif local == "t" and self.inline is not None and not self.phonetic:
                self.collecting = []
        elif local == "c" and self.row is not None:
            self._start_cell(attributes)
        elif local == "row":
            self._start_row(attributes)
        elif local == "dimension":
            self.declared = _dimension(attributes.get("ref", ""))
        elif local == "col" and attributes.get("hidden", "0").lower() in ("1", "true"):
            first, last = _number(attributes.get("min")), _number(attributes.get("max"))
            self.hidden_columns.update(range(max(first - 1, 0), min(last, self.max_columns)))

    def end(self, name: str) -> None:
        local = name.rpartition(":")[2]
        if local == "c" and self.cell is not None:
            self._end_cell()
        elif local == "row" and self.row is not None:
            if not self.window.add(self.row):
                raise _Stop
            self.next_row = self.row.index + 1
            self.row = None
        elif local == "t" and self.inline is not None and self.collecting is not None:
            self.inline.append("".join(self.collecting))
            self.collecting = None
        elif local == "v":
            self.collecting = None
        elif local == "rPh":
            self.phonetic -= 1

    def text(self, data: str) -> None:
        if self.collecting is not None:
            self.collecting.append(data)

    def _start_row(self, attributes: dict[str, str]) -> None:
        index = _number(attributes.get("r"), default=self.next_row + 1) - 1
        if index >= self.max_rows:
            raise _Stop
        self.row = SheetRow(index, hidden=attributes.get("hidden", "0").lower() in ("1", "true"))
        self.next_column = 0

    def _start_cell(self, attributes: dict[str, str]) -> None:
        match = _REFERENCE.fullmatch(attributes.get("r", ""))
        column = column_index(match.group(1).upper()) - 1 if match else self.next_column
        self.next_column = column + 1
        self.cell = (column, attributes.get("t"), _number(attributes.get("s")))
        self.has_value = False
        self.value = self.inline = self.collecting = None

    def _end_cell(self) -> None:
        assert self.cell is not None and self.row is not None
        column, kind, style = self.cell
        self.cell = None
        look = self.styles.look(style)
        if column < self.max_columns:
            text = self._cell_value(kind, style, "".join(self.value) if self.value is not None else None)
            self.has_value = bool(text)
            if text:
                self.row.texts[column] = cell_text(text)
            if look is not None:
                self.row.looks[column] = look
        if self.has_value or look is not None:
            self.widest = max(self.widest, column + 1)
            self.last_row = max(self.last_row, self.row.index)

    def _cell_value(self, kind: str | None, style: int, value: str | None) -> str:
        if self.inline is not None and kind in (None, "inlineStr"):
            return "".join(self.inline)
        if value is None or value == "":
            return ""
        if kind == "s":
            return self.strings.get(_number(value, default=-1)) if value.strip().isdigit() else ""
        if kind == "b":
            return "true" if value.strip() in ("1", "true") else "false"
        if kind in ("str", "e", "d", "inlineStr"):
            return value
        try:
            number = float(value)
        except ValueError:
            return value
        if self.styles.is_date(style):
            moment = excel_serial_to_python(number, date_1904=self.date_1904, duration=False)
            if isinstance(moment, date | time):
                return moment.isoformat()
        # As Excel's General format shows it, near enough: whole numbers without a fraction.
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)


def _number(text: str | None, default: int = 0) -> int:
    try:
        return int(text) if text else default
    except ValueError:
        return default


def _dimension(reference: str) -> tuple[int, int] | None:
    """(last row, last column) of a `<dimension ref="A1:G3">`; None when it does not parse."""
    match = _REFERENCE.fullmatch(reference.rpartition(":")[2].replace("$", ""))
    if match is None:
        return None
    return int(match.group(2)), column_index(match.group(1).upper())
