"""Read stage: open an input file and stream its sheets' rows.

xlsx/xlsm/xlsb/ods/xls go through python-calamine after a pre-flight that keeps it within bounds:
zip packages are inspected by `normalizer.inspect` (xlsx sheets calamine must not materialize, or
cannot read, are streamed by `normalizer.sparse_sheet`; xlsb sheets are bounded by `normalizer.xlsb`
and ods tables by `normalizer.ods`), and OLE2 files are checked for encryption by `normalizer.ole2`.
csv goes through the standard library with its encoding and delimiter sniffed. The file type comes
from the content first and the extension second.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import shutil
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import PurePath
from types import TracebackType
from typing import Any, Protocol, cast

from normalizer.errors import EngineFailure
from normalizer.inspect import (
    ReadLimits,
    SheetScan,
    WorkbookPackage,
    inspect_package,
    iter_part_chunks,
    scan_sheet,
    too_large,
    unreadable,
)
from normalizer.ods import OdsLimits, scan_ods_content
from normalizer.ole2 import is_password_protected
from normalizer.sparse_sheet import CellValue, iter_sparse_rows
from normalizer.xlsb import scan_binary_sheet

__all__ = ["CellValue", "ReadLimits", "SheetInfo", "Workbook", "open_workbook", "select_sheets"]

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SNIFF_BYTES = 64 * 1024
_DELIMITERS = (",", ";", "\t", "|")
_SPREADSHEET_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
# Bytes that never appear in text: C0 controls other than tab, newlines and form feed.
_BINARY_BYTES = bytes(set(range(32)) - {9, 10, 12, 13})
DEFAULT_LIMITS = ReadLimits()


@dataclass(frozen=True)
class SheetInfo:
    index: int
    """0-based position in workbook order (hidden sheets included)."""
    name: str
    visible: bool
    """False for hidden and very hidden sheets."""
    is_active: bool
    """The workbook's active tab (a CSV's one sheet is active)."""


class _SheetSource(Protocol):
    def iter_rows(self, sheet_index: int) -> Iterator[list[CellValue]]: ...

    def close(self) -> None: ...


class Workbook:
    """An opened input: its sheets and a way to stream each one's rows. Close it (or use `with`)."""

    def __init__(self, filename: str, sheets: list[SheetInfo], source: _SheetSource) -> None:
        self.filename = filename
        self.sheets = sheets
        self._source = source

    def iter_rows(self, sheet_index: int) -> Iterator[list[CellValue]]:
        """Every row from Excel row 1 in order (row k of the iterator = Excel row k+1).

        Rows may be ragged (a missing cell is empty); an empty cell is ""; trailing empty rows may be
        omitted. Streams: rows are produced as they are read.
        Raises IndexError for an unknown sheet index, and EngineFailure INPUT_UNREADABLE or
        INPUT_TOO_LARGE (stage "read") while iterating a sheet that turns out damaged or too large.
        """
        if not 0 <= sheet_index < len(self.sheets):
            raise IndexError(f"no sheet at index {sheet_index}")
        return self._source.iter_rows(sheet_index)

    def close(self) -> None:
        self._source.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def open_workbook(
    path: str | os.PathLike[str], *, filename: str | None = None, limits: ReadLimits = DEFAULT_LIMITS
) -> Workbook:
    """Open a spreadsheet (xlsx, xlsm, xlsb, ods, xls or csv) for streaming.

    `filename` is the input's display name (defaults to the path's base name); a CSV's sheet is named
    after its stem, and its extension breaks ties when the content says nothing (an empty file).
    Raises EngineFailure (stage "read") with code INPUT_UNREADABLE (missing, damaged or
    password-protected file), INPUT_TOO_LARGE (beyond `limits`, zip bombs) or UNSUPPORTED_FILE_TYPE.
    """
    file_path = os.fspath(path)
    display_name = filename or os.path.basename(file_path)
    try:
        size = os.path.getsize(file_path)
        with open(file_path, "rb") as file:
            head = file.read(_SNIFF_BYTES)
    except OSError as error:
        raise unreadable(f"The input file cannot be opened ({error.strerror}).") from None
    if size > limits.max_input_bytes:
        raise EngineFailure(
            "INPUT_TOO_LARGE",
            f"The input is {size} bytes, more than the {limits.max_input_bytes} allowed.",
            stage="read",
        )
    extension = PurePath(display_name).suffix.lower()
    if head.startswith(_ZIP_MAGIC):
        try:
            package = inspect_package(file_path, size, limits)
            if package.kind == "ods":
                _check_ods_content(package, limits)
        except (EngineFailure, MemoryError):
            raise
        except Exception as error:
            # Whatever a hostile package makes the zip and XML libraries raise, the run reports it plainly.
            raise unreadable(f"The workbook {display_name} cannot be read ({type(error).__name__}).") from None
        return _open_with_calamine(file_path, display_name, package, limits)
    if head.startswith(_OLE2_MAGIC):
        with open(file_path, "rb") as file:
            if is_password_protected(file, size):
                raise _password_protected(display_name)
        return _open_with_calamine(file_path, display_name, None, limits)
    if not head and extension in _SPREADSHEET_EXTENSIONS:
        raise unreadable(f"The input {display_name} is empty.")
    encoding = sniff_text_encoding(head)
    if encoding is None:
        raise EngineFailure(
            "UNSUPPORTED_FILE_TYPE",
            f"The input {display_name} is not a spreadsheet: expected xlsx, xlsm, xlsb, ods, xls or csv.",
            stage="read",
        )
    delimiter = sniff_delimiter(_decode_sample(head, encoding))
    sheet = SheetInfo(index=0, name=PurePath(display_name).stem, visible=True, is_active=True)
    return Workbook(display_name, [sheet], _CsvSource(file_path, encoding, delimiter, limits))


def select_sheets(workbook: Workbook, *, sheet_names: Sequence[str] | None, active_sheet_only: bool) -> list[SheetInfo]:
    """Choose the sheets to process, in workbook order.

    Named sheets win (exact name first, then ignoring case and surrounding spaces; hidden sheets
    allowed); otherwise the active sheet alone when `active_sheet_only` (the first visible sheet if the
    active one is hidden); otherwise every visible sheet.
    Raises EngineFailure SHEET_NOT_FOUND naming the missing and the available sheets.
    """
    if sheet_names:
        chosen: dict[int, SheetInfo] = {}
        missing: list[str] = []
        for requested in sheet_names:
            sheet = _find_sheet(workbook.sheets, requested)
            if sheet is None:
                missing.append(requested)
            else:
                chosen[sheet.index] = sheet
        if missing:
            available = ", ".join(repr(sheet.name) for sheet in workbook.sheets) or "none"
            raise EngineFailure(
                "SHEET_NOT_FOUND",
                f"Sheet(s) not found: {', '.join(repr(name) for name in missing)}. Available sheets: {available}.",
                stage="read",
            )
        return [chosen[index] for index in sorted(chosen)]
    visible = [sheet for sheet in workbook.sheets if sheet.visible]
    if active_sheet_only:
        active = next((sheet for sheet in visible if sheet.is_active), None)
        return [active] if active else visible[:1]
    return visible


def _find_sheet(sheets: list[SheetInfo], requested: str) -> SheetInfo | None:
    for sheet in sheets:
        if sheet.name == requested:
            return sheet
    folded = requested.strip().casefold()
    return next((sheet for sheet in sheets if sheet.name.strip().casefold() == folded), None)


# ---------------------------------------------------------------------------------------------
# Excel workbooks


def _open_with_calamine(path: str, display_name: str, package: WorkbookPackage | None, limits: ReadLimits) -> Workbook:
    # Imported here so that importing the engine does not load the Rust extension.
    import python_calamine

    try:
        calamine_workbook = python_calamine.CalamineWorkbook.from_path(package.path if package else path)
        metadata = calamine_workbook.sheets_metadata
    except BaseException as error:
        _reraise_if_not_calamine(error)
        if isinstance(error, python_calamine.PasswordError):
            _remove_sanitized_copy(package)
            raise _password_protected(display_name) from None
        if package is not None and package.kind == "xlsx" and package.sheets:
            # The package is sound as far as Excel is concerned: the streaming reader reads its sheets.
            return _streaming_workbook(display_name, package, limits)
        _remove_sanitized_copy(package)
        raise unreadable(f"The workbook {display_name} cannot be read: {_calamine_message(error)}") from None
    if package is not None and package.sheets and len(package.sheets) != len(metadata):
        _remove_sanitized_copy(package)
        raise unreadable(f"The workbook {display_name} lists its sheets inconsistently.")
    visible = [item.visible == python_calamine.SheetVisibleEnum.Visible for item in metadata]
    names = [item.name for item in metadata]
    worksheet_flags = [item.typ == python_calamine.SheetTypeEnum.WorkSheet for item in metadata]
    active_tab = package.active_tab if package is not None and package.kind != "ods" else -1
    source = _CalamineSource(calamine_workbook, package, worksheet_flags, limits, display_name)
    return Workbook(display_name, _sheet_infos(names, visible, active_tab), source)


def _streaming_workbook(display_name: str, package: WorkbookPackage, limits: ReadLimits) -> Workbook:
    names = [sheet.name for sheet in package.sheets]
    visible = [sheet.visible for sheet in package.sheets]
    worksheet_flags = [sheet.is_worksheet for sheet in package.sheets]
    source = _CalamineSource(None, package, worksheet_flags, limits, display_name)
    return Workbook(display_name, _sheet_infos(names, visible, package.active_tab), source)


def _sheet_infos(names: list[str], visible: list[bool], active_tab: int) -> list[SheetInfo]:
    if not 0 <= active_tab < len(names):
        # xls and ods do not expose their active tab through calamine: the first visible sheet stands in.
        active_tab = visible.index(True) if True in visible else 0
    return [
        SheetInfo(index=index, name=name, visible=visible[index], is_active=index == active_tab)
        for index, name in enumerate(names)
    ]


def _password_protected(display_name: str) -> EngineFailure:
    return unreadable(
        f"The workbook {display_name} is password-protected (encrypted): "
        "save it without a password and upload it again."
    )


def _check_ods_content(package: WorkbookPackage, limits: ReadLimits) -> None:
    ods_limits = OdsLimits(limits.max_cells, limits.max_dense_cells, limits.max_rows, limits.max_columns)
    with open(package.path, "rb") as file, zipfile.ZipFile(file) as archive:
        scan_ods_content(iter_part_chunks(file, archive.getinfo(package.content_part or "")), ods_limits)


def _reraise_if_not_calamine(error: BaseException) -> None:
    # pyo3 turns Rust panics into PanicException, a BaseException; only those and Exceptions are wrapped.
    if isinstance(error, EngineFailure | KeyboardInterrupt | SystemExit | GeneratorExit):
        raise error


def _calamine_message(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text[:300]


def _remove_sanitized_copy(package: WorkbookPackage | None) -> None:
    if package is not None and package.sanitized_copy:
        shutil.rmtree(package.sanitized_copy, ignore_errors=True)


class _CalamineSource:
    """Rows from python-calamine, or from the streaming reader for sheets it must not materialize."""

    def __init__(
        self,
        workbook: Any,
        package: WorkbookPackage | None,
        worksheet_flags: list[bool],
        limits: ReadLimits,
        display_name: str,
    ) -> None:
        self._workbook = workbook
        self._package = package
        self._worksheet_flags = worksheet_flags
        self._limits = limits
        self._display_name = display_name
        self._scans: dict[int, SheetScan] = {}
        self._bounded_binary_sheets: set[int] = set()
        self._closed = False

    def sheet_scan(self, sheet_index: int) -> SheetScan | None:
        """The byte-level scan of an xlsx sheet (None for xls and sheets without a part)."""
        if self._package is None:
            return None
        part = self._package.sheet_parts[sheet_index]
        if part is None:
            return None
        if sheet_index not in self._scans:
            self._scans[sheet_index] = scan_sheet(self._package.path, part, self._limits)
        return self._scans[sheet_index]

    def iter_rows(self, sheet_index: int) -> Iterator[list[CellValue]]:
        if not self._worksheet_flags[sheet_index]:
            return iter(())
        if self._package is None or self._package.kind == "ods":
            return self._iter_calamine_rows(sheet_index)
        if self._package.kind == "xlsb":
            return self._iter_binary_rows(self._package, sheet_index)
        return self._iter_package_rows(self._package, sheet_index)

    def _iter_binary_rows(self, package: WorkbookPackage, sheet_index: int) -> Iterator[list[CellValue]]:
        part = package.sheet_parts[sheet_index]
        if part is not None and sheet_index not in self._bounded_binary_sheets:
            try:
                self._check_binary_sheet(package.path, part)
            except (EngineFailure, MemoryError, GeneratorExit):
                raise
            except Exception as error:
                raise unreadable(
                    f"The workbook {self._display_name} cannot be read ({type(error).__name__})."
                ) from None
            self._bounded_binary_sheets.add(sheet_index)
        yield from self._iter_calamine_rows(sheet_index)

    def _check_binary_sheet(self, path: str, part: str) -> None:
        limits = self._limits
        with open(path, "rb") as file, zipfile.ZipFile(file) as archive:
            bounds = scan_binary_sheet(
                iter_part_chunks(file, archive.getinfo(part)),
                max_cells=limits.max_cells,
                max_rows=limits.max_rows,
                max_columns=limits.max_columns,
            )
        if bounds.dense_cells > limits.max_dense_cells:
            # There is no streaming reader for xlsb: a grid calamine cannot hold is refused.
            raise too_large(
                f"A sheet of {self._display_name} spans {bounds.dense_cells} cells "
                f"({bounds.cell_count} filled), more than the {limits.max_dense_cells} allowed."
            )

    def _iter_package_rows(self, package: WorkbookPackage, sheet_index: int) -> Iterator[list[CellValue]]:
        part = package.sheet_parts[sheet_index]
        if part is None:
            return
        try:
            scan = self.sheet_scan(sheet_index)
            sheet = self._calamine_sheet(sheet_index) if scan is not None and scan.fits_calamine(self._limits) else None
            # What calamine cannot read (odd encodings, markup it rejects) the streaming reader reads or
            # refuses: a sheet is only ever called malformed on expat's word.
            yield from (
                self._calamine_rows(sheet) if sheet is not None else iter_sparse_rows(package, part, self._limits)
            )
        except (EngineFailure, MemoryError, GeneratorExit):
            raise
        except Exception as error:
            raise unreadable(f"The workbook {self._display_name} cannot be read ({type(error).__name__}).") from None

    def _calamine_sheet(self, sheet_index: int) -> Any | None:
        if self._workbook is None:
            return None
        try:
            return self._workbook.get_sheet_by_index(sheet_index)
        except BaseException as error:
            _reraise_if_not_calamine(error)
            return None

    def _iter_calamine_rows(self, sheet_index: int) -> Iterator[list[CellValue]]:
        try:
            sheet = self._workbook.get_sheet_by_index(sheet_index)
        except BaseException as error:
            _reraise_if_not_calamine(error)
            raise unreadable(f"The workbook {self._display_name} cannot be read: {_calamine_message(error)}") from None
        yield from self._calamine_rows(sheet)

    def _calamine_rows(self, sheet: Any) -> Iterator[list[CellValue]]:
        try:
            start = sheet.start
            if start is None:
                return
            # calamine pads the rows above its range but not the columns left of it.
            left_padding: list[CellValue] = [""] * start[1]
            rows = sheet.iter_rows()
            if left_padding:
                for row in rows:
                    yield left_padding + row
            else:
                yield from rows
        except BaseException as error:
            _reraise_if_not_calamine(error)
            raise unreadable(f"The workbook {self._display_name} cannot be read: {_calamine_message(error)}") from None

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if self._workbook is not None:
                self._workbook.close()
            _remove_sanitized_copy(self._package)


# ---------------------------------------------------------------------------------------------
# CSV


def sniff_text_encoding(sample: bytes) -> str | None:
    """The encoding of a text sample, or None when it is not text.

    UTF-8 (with or without BOM), UTF-16 (BOM, or NUL bytes in the high/low halves), else cp1252.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if not sample:
        return "utf-8"
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = max(len(sample) // 2, 1)
    if odd_nuls > 0.3 * half and even_nuls < 0.01 * half:
        return "utf-16-le"
    if even_nuls > 0.3 * half and odd_nuls < 0.01 * half:
        return "utf-16-be"
    if _binary_share(sample) > 0.01:
        return None
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _binary_share(sample: bytes) -> float:
    return (len(sample) - len(sample.translate(None, _BINARY_BYTES))) / len(sample)


def _decode_sample(sample: bytes, encoding: str) -> str:
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=False)
    # Sniff on whole lines only: the sample's last line is usually cut.
    last_newline = text.rfind("\n")
    return text[: last_newline + 1] if last_newline > 0 else text


def sniff_delimiter(sample: str) -> str:
    """The delimiter (`,` `;` tab `|`) that splits the sample's lines most consistently; `,` by default."""
    best, best_score = ",", 0.0
    for delimiter in _DELIMITERS:
        try:
            widths = [len(row) for row in islice(csv.reader(io.StringIO(sample), delimiter=delimiter), 50)]
        except csv.Error:
            continue
        widths = [width for width in widths if width > 0]
        if not widths:
            continue
        width, occurrences = Counter(widths).most_common(1)[0]
        if width < 2:
            continue
        score = occurrences / len(widths) * min(width, 50)
        if score > best_score:
            best, best_score = delimiter, score
    return best


class _CsvSource:
    def __init__(self, path: str, encoding: str, delimiter: str, limits: ReadLimits) -> None:
        self._path = path
        self._encoding = encoding
        self._delimiter = delimiter
        self._limits = limits

    def iter_rows(self, sheet_index: int) -> Iterator[list[CellValue]]:
        try:
            with open(self._path, encoding=self._encoding, errors="replace", newline="") as text:
                for row in csv.reader(text, delimiter=self._delimiter):
                    if len(row) > self._limits.max_columns:
                        raise EngineFailure(
                            "INPUT_TOO_LARGE",
                            f"A CSV line has {len(row)} fields, more than the {self._limits.max_columns} allowed.",
                            stage="read",
                        )
                    yield cast(list[CellValue], row)
        except csv.Error as error:
            raise unreadable(f"The CSV input cannot be parsed ({error}).") from None
        except OSError as error:
            raise unreadable(f"The CSV input cannot be read ({error.strerror}).") from None

    def close(self) -> None:
        return None
