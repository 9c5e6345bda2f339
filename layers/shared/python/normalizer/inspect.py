"""Inspect an xlsx package before python-calamine sees it.

python-calamine materializes a sheet as a dense grid spanning its used cells, sizes its shared-strings
table from the file's own `uniqueCount`, and inflates whatever the zip holds. A few kilobytes can
therefore make it allocate gigabytes or abort the process. This module decides, from the package's
declared sizes and a cheap byte-level scan of each sheet's XML, whether calamine may read a sheet.

The sheet scan works on a translated copy of each segment (whitespace deleted, digits -> "0", quotes
-> "q", column letters -> "A"/"B") so that a few `bytes.count`/`bytes.find` calls and one regular
expression search can prove that every cell carries one explicit reference and bound its row and
column; a segment that fails the proof is scanned exactly with a regular expression. Anything still
unproven (missing references, odd attribute order, lower-case references, a megabyte without a tag)
is left to the streaming reader.

The scan never judges XML malformed: that verdict is expat's alone (the streaming reader). Segments
are cut just before a "<", which in well-formed XML always starts markup; the scan checks, cheaply,
that each cut fell after a closed tag and that the sheet keeps to the markup the scan and calamine
read alike (UTF-8, no CDATA, comments, DTD, processing instructions or control characters, one root
closed at the end). A sheet that does not is left unproven, so calamine never reads a sheet whose
cells the scan may have miscounted.
"""

from __future__ import annotations

import re
import shutil
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import PurePosixPath
from typing import BinaryIO
from xml.etree import ElementTree

from normalizer.errors import EngineFailure

CHUNK_BYTES = 1 << 20
# The sheet scan works in smaller segments: they stay in the CPU caches and the allocator's free lists.
SEGMENT_BYTES = 256 << 10
_LOCAL_HEADER = struct.Struct("<4s22xHH")
_END_OF_CENTRAL_DIRECTORY = struct.Struct("<4s4H2LH")
_ZIP64_END_OF_CENTRAL_DIRECTORY = struct.Struct("<4sQ2H2L4Q")
_RELATIONSHIP_ID_KEYS = (
    "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id",
    "{http://purl.oclc.org/ooxml/officeDocument/relationships}id",
)
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384


@dataclass(frozen=True)
class ReadLimits:
    """Bounds on what a run may read; exceeding one fails the run with INPUT_TOO_LARGE."""

    max_input_bytes: int = 256 * 1024 * 1024
    max_zip_entries: int = 10_000
    # Sum of the declared uncompressed sizes of every entry in an xlsx package.
    max_uncompressed_bytes: int = 1024 * 1024 * 1024
    # Ratio checks apply only to entries at least this large: small parts compress absurdly well.
    compression_ratio_floor_bytes: int = 32 * 1024 * 1024
    max_compression_ratio: float = 250.0
    # workbook.xml, its relationships and styles.xml are read whole, so they get a tighter bound.
    max_metadata_part_bytes: int = 32 * 1024 * 1024
    # Cells written in one sheet (empty styled cells included).
    max_cells: int = 30_000_000
    # Largest grid python-calamine may materialize for one sheet (about 32 bytes per cell).
    max_dense_cells: int = 20_000_000
    # A grid this small is always left to python-calamine, however sparse.
    dense_cells_floor: int = 2_000_000
    # Above the floor, a grid more than this many times the cell count is read by the streaming reader.
    max_sparsity: int = 50
    max_columns: int = EXCEL_MAX_COLUMNS
    max_rows: int = EXCEL_MAX_ROWS


@dataclass(frozen=True)
class WorkbookPackage:
    """What calamine needs to know about an inspected xlsx package."""

    path: str
    """The file calamine should open: the input, or a sanitized copy (see `sanitized_copy`)."""
    sheet_parts: list[str | None]
    """Zip entry of each sheet in workbook order (None when the relationship points nowhere)."""
    active_tab: int
    date_1904: bool
    shared_strings_part: str | None
    styles_part: str | None
    sanitized_copy: str | None
    """Temporary directory holding a rewritten package; the caller deletes it."""


@dataclass(frozen=True)
class SheetScan:
    """A sheet's cells as the byte-level scan saw them."""

    cell_count: int
    proven: bool
    """True when every cell has an explicit reference, so the bounds below are upper bounds."""
    row_bound: int
    column_bound: int

    @property
    def dense_cells_bound(self) -> int:
        return self.row_bound * self.column_bound

    def fits_calamine(self, limits: ReadLimits) -> bool:
        """Whether python-calamine may materialize this sheet's grid."""
        if not self.proven or self.row_bound > limits.max_rows or self.column_bound > limits.max_columns:
            return False
        grid = self.dense_cells_bound
        if grid > limits.max_dense_cells:
            return False
        return grid <= limits.dense_cells_floor or grid <= limits.max_sparsity * max(self.cell_count, 1)


def too_large(message: str) -> EngineFailure:
    return EngineFailure("INPUT_TOO_LARGE", message, stage="read")


def unreadable(message: str) -> EngineFailure:
    return EngineFailure("INPUT_UNREADABLE", message, stage="read")


# ---------------------------------------------------------------------------------------------
# The zip container


def check_zip_directory(file: BinaryIO, file_size: int, limits: ReadLimits) -> None:
    """Refuse a zip whose central directory is too big before `zipfile` builds an object per entry.

    Raises EngineFailure INPUT_UNREADABLE (no end-of-directory record) or INPUT_TOO_LARGE.
    """
    tail_size = min(file_size, 65_535 + _END_OF_CENTRAL_DIRECTORY.size)
    file.seek(file_size - tail_size)
    tail = file.read(tail_size)
    position = tail.rfind(b"PK\x05\x06")
    if position < 0 or position + _END_OF_CENTRAL_DIRECTORY.size > len(tail):
        raise unreadable("The file is not a readable xlsx workbook: its zip directory is missing.")
    fields = _END_OF_CENTRAL_DIRECTORY.unpack_from(tail, position)
    entries, directory_bytes = fields[4], fields[5]
    if entries == 0xFFFF or directory_bytes == 0xFFFFFFFF:
        # Zip64: the real counts sit in a record just before; a missing one makes zipfile fail later.
        zip64_at = tail.rfind(b"PK\x06\x06", 0, position)
        if zip64_at >= 0 and zip64_at + _ZIP64_END_OF_CENTRAL_DIRECTORY.size <= len(tail):
            zip64 = _ZIP64_END_OF_CENTRAL_DIRECTORY.unpack_from(tail, zip64_at)
            entries, directory_bytes = zip64[6], zip64[7]
    if entries > limits.max_zip_entries or directory_bytes > limits.max_zip_entries * 1024:
        raise too_large(f"The workbook package holds too many parts ({entries}; at most {limits.max_zip_entries}).")


def check_declared_sizes(archive: zipfile.ZipFile, limits: ReadLimits) -> None:
    """Refuse a package whose parts declare more data than allowed, before inflating any of it.

    Raises EngineFailure INPUT_TOO_LARGE.
    """
    infos = archive.infolist()
    if len(infos) > limits.max_zip_entries:
        raise too_large(f"The workbook package holds too many parts ({len(infos)}).")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size >= limits.compression_ratio_floor_bytes:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_compression_ratio:
                raise too_large(
                    f"The workbook part {info.filename} expands {ratio:.0f} times "
                    f"(to {info.file_size} bytes); this looks like a zip bomb."
                )
    if total > limits.max_uncompressed_bytes:
        raise too_large(
            f"The workbook expands to {total} bytes, more than the {limits.max_uncompressed_bytes} allowed."
        )


def iter_part_chunks(file: BinaryIO, info: zipfile.ZipInfo, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Inflate one zip entry in chunks, never past the size its header declares.

    The entry is inflated from its raw bytes (not through `zipfile`) so that a stream that would
    inflate beyond its declared size is noticed instead of silently cut at it.
    Raises EngineFailure INPUT_UNREADABLE (encrypted, unsupported compression, truncated, corrupt)
    or INPUT_TOO_LARGE (the data goes on past the declared size).
    """
    if info.flag_bits & 0x1:
        raise unreadable("The workbook is encrypted.")
    file.seek(info.header_offset)
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(file.read(_LOCAL_HEADER.size))
    if signature != b"PK\x03\x04":
        raise unreadable(f"The workbook part {info.filename} is damaged.")
    file.seek(info.header_offset + _LOCAL_HEADER.size + name_length + extra_length)
    compressed_left = info.compress_size
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != info.file_size:
            raise unreadable(f"The workbook part {info.filename} is damaged.")
        while compressed_left:
            chunk = file.read(min(compressed_left, chunk_bytes))
            if not chunk:
                raise unreadable(f"The workbook part {info.filename} is truncated.")
            compressed_left -= len(chunk)
            yield chunk
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise unreadable(f"The workbook part {info.filename} uses an unsupported compression method.")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    produced = 0
    try:
        while not inflater.eof:
            pending = inflater.unconsumed_tail
            if not pending:
                if not compressed_left:
                    break
                pending = file.read(min(compressed_left, chunk_bytes))
                if not pending:
                    break
                compressed_left -= len(pending)
            chunk = inflater.decompress(pending, chunk_bytes)
            produced += len(chunk)
            if produced > info.file_size:
                raise too_large(
                    f"The workbook part {info.filename} inflates beyond the {info.file_size} bytes it declares."
                )
            if chunk:
                yield chunk
    except zlib.error as error:
        raise unreadable(f"The workbook part {info.filename} is corrupt ({error}).") from None
    if not inflater.eof or produced != info.file_size:
        raise unreadable(f"The workbook part {info.filename} is truncated or corrupt.")


def read_part(file: BinaryIO, info: zipfile.ZipInfo, max_bytes: int) -> bytes:
    """Inflate a whole (metadata) part. Raises EngineFailure INPUT_TOO_LARGE or INPUT_UNREADABLE."""
    if info.file_size > max_bytes:
        raise too_large(f"The workbook part {info.filename} is too large ({info.file_size} bytes).")
    return b"".join(iter_part_chunks(file, info))


# ---------------------------------------------------------------------------------------------
# The package's structure


def _find_entry(entries_by_folded_name: dict[str, list[zipfile.ZipInfo]], name: str) -> zipfile.ZipInfo | None:
    # calamine looks parts up ignoring case; two candidates would leave it free to pick another one.
    candidates = entries_by_folded_name.get(name.lower(), [])
    if len(candidates) > 1:
        raise unreadable(f"The workbook holds the part {name} more than once.")
    return candidates[0] if candidates else None


def parse_metadata_xml(data: bytes, part: str) -> ElementTree.Element:
    """Parse a small package part. Raises EngineFailure INPUT_UNREADABLE (invalid XML, any DTD)."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise unreadable(f"The workbook part {part} declares a DTD, which spreadsheets never need.")
    try:
        # Safe without defusedxml: entity declarations, the only attack surface left, are refused above.
        return ElementTree.fromstring(data)  # noqa: S314
    except ElementTree.ParseError as error:
        raise unreadable(f"The workbook part {part} is not valid XML ({error}).") from None


def _local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def _sheet_part_name(target: str) -> str:
    # Mirrors calamine: "/xl/x" and "xl/x" are package paths, anything else is relative to xl/.
    if target.startswith("/xl/"):
        return target[1:]
    if target.startswith("xl/"):
        return target
    return str(PurePosixPath("xl") / target)


def inspect_xlsx_package(path: str, file_size: int, limits: ReadLimits) -> WorkbookPackage:
    """Check an xlsx/xlsm package and return where calamine should read it from.

    Refuses zip bombs from declared sizes, resolves sheet parts, reads the active tab, and rewrites
    a shared-strings header whose `uniqueCount` lies into a sanitized temporary copy.
    Raises EngineFailure INPUT_UNREADABLE, INPUT_TOO_LARGE or UNSUPPORTED_FILE_TYPE.
    """
    with open(path, "rb") as file:
        check_zip_directory(file, file_size, limits)
        try:
            archive = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
            raise unreadable(f"The file is not a readable xlsx workbook ({error}).") from None
        with archive:
            check_declared_sizes(archive, limits)
            entries: dict[str, list[zipfile.ZipInfo]] = {}
            for info in archive.infolist():
                entries.setdefault(info.filename.lower(), []).append(info)
            workbook_info = _find_entry(entries, "xl/workbook.xml")
            if workbook_info is None:
                if not any(name.startswith("xl/") for name in entries):
                    raise EngineFailure(
                        "UNSUPPORTED_FILE_TYPE",
                        "The file is a zip archive but not an Excel workbook (xlsx, xlsm).",
                        stage="read",
                    )
                raise unreadable("The workbook is damaged: it has no xl/workbook.xml.")
            workbook = parse_metadata_xml(
                read_part(file, workbook_info, limits.max_metadata_part_bytes), "xl/workbook.xml"
            )
            relationships = _read_relationships(file, entries, limits)
            sheet_parts, active_tab, date_1904 = _read_workbook_structure(workbook, relationships, entries)
            shared_strings = _find_entry(entries, "xl/sharedStrings.xml")
            styles = _find_entry(entries, "xl/styles.xml")
            sanitized_dir: str | None = None
            package_path = path
            if shared_strings is not None and _shared_strings_header_lies(file, shared_strings):
                sanitized_dir = tempfile.mkdtemp(prefix="normalizer-read-")
                try:
                    package_path = _write_sanitized_copy(file, archive, shared_strings, sanitized_dir)
                except BaseException:
                    shutil.rmtree(sanitized_dir, ignore_errors=True)
                    raise
    return WorkbookPackage(
        path=package_path,
        sheet_parts=sheet_parts,
        active_tab=active_tab,
        date_1904=date_1904,
        shared_strings_part=shared_strings.filename if shared_strings else None,
        styles_part=styles.filename if styles else None,
        sanitized_copy=sanitized_dir,
    )


def _read_relationships(
    file: BinaryIO, entries: dict[str, list[zipfile.ZipInfo]], limits: ReadLimits
) -> dict[str, str]:
    info = _find_entry(entries, "xl/_rels/workbook.xml.rels")
    if info is None:
        return {}
    root = parse_metadata_xml(read_part(file, info, limits.max_metadata_part_bytes), info.filename)
    return {
        element.get("Id", ""): element.get("Target", "")
        for element in root.iter()
        if _local_name(element.tag) == "Relationship"
    }


def _read_workbook_structure(
    workbook: ElementTree.Element, relationships: dict[str, str], entries: dict[str, list[zipfile.ZipInfo]]
) -> tuple[list[str | None], int, bool]:
    sheet_parts: list[str | None] = []
    active_tab = 0
    date_1904 = False
    for element in workbook.iter():
        name = _local_name(element.tag)
        if name == "sheet":
            relationship_id = next((element.get(key) for key in _RELATIONSHIP_ID_KEYS if element.get(key)), None)
            target = relationships.get(relationship_id or "")
            info = _find_entry(entries, _sheet_part_name(target)) if target else None
            sheet_parts.append(info.filename if info else None)
        elif name == "workbookView" and active_tab == 0:
            try:
                active_tab = max(int(element.get("activeTab", "0")), 0)
            except ValueError:
                active_tab = 0
        elif name == "workbookPr":
            date_1904 = element.get("date1904", "").lower() in ("1", "true")
    return sheet_parts, active_tab, date_1904


_RESERVED_BYTES_PER_STRING = 64
_SHARED_STRINGS_HEADER = re.compile(rb"<(?:[\w.-]+:)?sst\b[^>]*>")
_UNIQUE_COUNT = re.compile(rb"""\suniqueCount\s*=\s*["']\s*(\d*)\s*["']""")


def _shared_strings_header_lies(file: BinaryIO, info: zipfile.ZipInfo) -> bool:
    """Whether the shared-strings `uniqueCount` claims more strings than the part holds."""
    head = b""
    declared: int | None = None
    items = 0
    carry = b""
    for chunk in iter_part_chunks(file, info):
        if declared is None:
            head += chunk
            header = _SHARED_STRINGS_HEADER.search(head)
            if header is None:
                if len(head) > 64 * 1024:
                    return False
                continue
            match = _UNIQUE_COUNT.search(header.group(0))
            if match is None or not match.group(1):
                return False
            declared = int(match.group(1))
            # A reservation no bigger than a few times the part itself costs less than the strings will.
            if declared * _RESERVED_BYTES_PER_STRING <= max(4 * info.file_size, 64 * 1024 * 1024):
                return False
            chunk = head
        # A string item starts with "<si" or "<x:si"; ":si" also catches the prefixed form.
        text = carry + chunk
        cut = max(len(text) - 3, 0)
        items += text.count(b"<si", 0, cut + 2) + text.count(b":si", 0, cut + 2)
        carry = text[cut + 2 :] if len(text) >= 3 else text
        if declared <= items:
            return False
    return declared is not None and declared > items + 16


def _write_sanitized_copy(
    file: BinaryIO, archive: zipfile.ZipFile, shared_strings: zipfile.ZipInfo, directory: str
) -> str:
    """Copy the package with the shared-strings header's count attributes removed."""
    copy_path = str(PurePosixPath(directory) / "sanitized.xlsx")
    with zipfile.ZipFile(copy_path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as copy:
        for info in archive.infolist():
            target = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            target.compress_type = zipfile.ZIP_DEFLATED
            with copy.open(target, "w", force_zip64=True) as output:
                chunks = iter_part_chunks(file, info)
                if info is shared_strings:
                    first = b"".join(_take_head(chunks, 64 * 1024))
                    output.write(_strip_counts(first))
                for chunk in chunks:
                    output.write(chunk)
    return copy_path


def _take_head(chunks: Iterator[bytes], size: int) -> Iterator[bytes]:
    taken = 0
    for chunk in chunks:
        yield chunk
        taken += len(chunk)
        if taken >= size:
            return


def _strip_counts(head: bytes) -> bytes:
    header = _SHARED_STRINGS_HEADER.search(head)
    if header is None:
        return head
    cleaned = re.sub(rb"""\s(?:uniqueCount|count)\s*=\s*["'][^"']*["']""", b"", header.group(0))
    return head[: header.start()] + cleaned + head[header.end() :]


# ---------------------------------------------------------------------------------------------
# A sheet's extent


_WHITESPACE = b" \t\r\n"
# C0 controls other than tab, newline and carriage return are not XML characters.
_FORBIDDEN_CONTROLS = bytes(set(range(32)) - {9, 10, 13})


def _translation(last_narrow_letter: str | None) -> bytes:
    """Byte map for the scan (whitespace is deleted alongside, so `r = "A1"` reads `r=qA0q`).

    ":" -> "<" (a prefixed "<x:c" then contains "<c"), quotes -> "q", digits -> "0", lower-case letters
    other than "c" and "r" -> "x", upper-case letters -> "A" up to the narrow bound and "B" past it
    (all "A" without a bound), and the control characters XML forbids -> NUL.
    """
    table = bytearray(range(256))
    for byte in _FORBIDDEN_CONTROLS:
        table[byte] = 0
    table[ord(":")] = ord("<")
    table[ord('"')] = table[ord("'")] = ord("q")
    for byte in range(ord("0"), ord("9") + 1):
        table[byte] = ord("0")
    for byte in range(ord("a"), ord("z") + 1):
        table[byte] = byte if byte in b"cr" else ord("x")
    for byte in range(ord("A"), ord("Z") + 1):
        in_bound = last_narrow_letter is None or byte <= ord(last_narrow_letter)
        table[byte] = ord("A") if in_bound else ord("B")
    return bytes(table)


# Counts every cell start tag, plus the odd "<col"/"<cfRule" (then the exact scan sorts them out).
_CELL_OPENING = b"<c"
_NARROW_CELL = b"<cr=qA0"
# A narrow cell whose row has exactly `index` digits, closing quote included (index 0 unused).
_NARROW_CELL_BY_ROW_DIGITS = tuple(_NARROW_CELL[:-1] + b"0" * digits + b"q" for digits in range(7))
# The first cell start that is not a narrow cell with a row of (shortest, longest) digits.
_NOT_NARROW_CELL = {
    (shortest, longest): re.compile(rb"<c(?!r=qA0{%d,%d}q)" % (shortest, longest))
    for shortest in range(1, 7)
    for longest in (shortest, shortest + 1)
    if longest <= 6
}
_ROW_DIGITS = re.compile(rb"0+")
# An `r` right after another attribute's value: calamine takes the last `r` of a cell, so only a lone,
# leading one can be trusted.
_LATER_REFERENCE = b"qr="
_CELL_TAG = re.compile(rb"<(?:[\w.-]+:)?c[\s>/]")
# Cells whose reference is canonical: r first, upper-case column, digits; any prefix and separator.
_CELL_REFERENCE = re.compile(rb"""<(?:[\w.-]+:)?c\s+r\s*=\s*["']([A-Z]{1,3})([1-9][0-9]*)["'\s]""")


def column_index(letters: bytes | str) -> int:
    """1-based column number of column letters ("A" -> 1, "XFD" -> 16384)."""
    index = 0
    for letter in letters.encode() if isinstance(letters, str) else letters:
        index = index * 26 + (letter - 64)
    return index


# The XML declaration, with its encoding if it names one (after an optional UTF-8 byte order mark).
_XML_DECLARATION = re.compile(rb"""(?:\xef\xbb\xbf)?<\?xml(?:\s[^<>]*?\bencoding\s*=\s*["']([^"'<>]*)["'])?[^<>]*\?>""")
_ROOT_ELEMENT = re.compile(rb"<([^\s/<>!?][^\s/<>]*)")
# A tag whose quoted attribute values hold no "<", closed, then text up to the next tag.
_CLOSED_TAG_THEN_TEXT = re.compile(
    rb"""<[^<>"'!?][^<>"']*(?:(?:"[^"<]*"|'[^'<]*')[^<>"']*)*>[^<]*|<\?xml[^<>]*\?>[^<]*"""
)


def _contains(raw: bytes, needle: bytes, rare_byte: bytes, start: int) -> bool:
    # A search for one rare byte runs at memory speed; a search for a pair starting with "<" does not.
    return raw.find(rare_byte, start) >= 0 and raw.find(needle, start) >= 0


def _ends_with_root(tail: bytes, root: bytes) -> bool:
    return re.fullmatch(rb"</" + re.escape(root) + rb"[ \t\r\n]*>[ \t\r\n]*", tail) is not None


class _SheetScanner:
    """Accumulates a sheet's bounds over segments; see the module docstring for the approach."""

    def __init__(self, limits: ReadLimits) -> None:
        self.limits = limits
        self.cell_count = 0
        self.proven = True
        self.narrow_letter: str | None = "A"
        self.table = _translation("A")
        self.row_digits = 1
        self.exact_row = 0
        self.exact_column = 0
        self.unscanned_row_bound = 0
        self.root: bytes | None = None
        # The previous segment from its last "<": the markup a cut would have split, if any.
        self.tail: bytes | None = None

    def feed(self, raw: bytes) -> None:
        """Account for one segment of sheet XML that ends just before a "<" (or at the part's end)."""
        translated = self._translate(raw)
        if self.proven and not self._plain_markup(raw, translated):
            self.proven = False
        self._feed(raw, translated, may_split=True)

    def _translate(self, raw: bytes) -> bytes:
        if self.narrow_letter == "A" and not self.cell_count:
            self._guess_narrow_letter(raw)
        return raw.translate(self.table, _WHITESPACE)

    def _plain_markup(self, raw: bytes, translated: bytes) -> bool:
        """Whether this segment, and the cut before it, keep to the markup that the scan and calamine read
        alike: UTF-8, no control characters, no CDATA, comments, DTD or processing instructions after the
        XML declaration, and every cut falling between a closed tag and the next one.

        A cut inside a tag (a "<" in an attribute value, which only malformed XML has) could hide a
        second reference from the scan while calamine reads it, so such a sheet is left unproven.
        """
        markup_from = 0
        if self.tail is None:
            declaration = _XML_DECLARATION.match(raw)
            if declaration is not None:
                if declaration.group(1) and declaration.group(1).lower() not in (b"utf-8", b"utf8"):
                    return False
                markup_from = declaration.end()
            elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
                return False
            elif raw.startswith(b"\xef\xbb\xbf"):
                markup_from = 3
        elif not _CLOSED_TAG_THEN_TEXT.fullmatch(self.tail):
            return False
        if self.root is None:
            # Only whitespace may come between the declaration and the root element.
            root = _ROOT_ELEMENT.search(raw, markup_from)
            if raw[markup_from : root.start() if root else len(raw)].strip(_WHITESPACE):
                return False
            self.root = root.group(1) if root else None
        last_markup = raw.rfind(b"<")
        self.tail = raw[last_markup:] if last_markup >= 0 else (self.tail or b"") + raw
        return not (
            translated.find(b"\0") >= 0
            or _contains(raw, b"]]>", b"]", 0)
            or _contains(raw, b"<!", b"!", 0)
            or _contains(raw, b"<?", b"?", markup_from)
        )

    def _feed(self, raw: bytes, translated: bytes, *, may_split: bool) -> None:
        later_reference = self.proven and translated.find(_LATER_REFERENCE) >= 0
        narrow = self.proven and self.narrow_letter is not None and not later_reference
        cells = self._cells_by_row_length(translated) if narrow else None
        if cells is None:
            openings = translated.count(_CELL_OPENING)
            if not openings:
                return
            if narrow and translated.count(_NARROW_CELL) == openings and self._bound_row_digits(translated):
                cells = openings
        if cells is not None:
            self._count_cells(cells)
            self.unscanned_row_bound = max(self.unscanned_row_bound, 10**self.row_digits - 1)
            return
        parts = _sheet_data_parts(raw) if may_split else [raw]
        if len(parts) > 1:
            # The cells may well be narrow once the columns or conditional formats around them are apart.
            for part in parts:
                self._feed(part, self._translate(part), may_split=False)
            return
        cells = len(_CELL_TAG.findall(raw))
        self._count_cells(cells)
        if cells and self.proven:
            self._scan_exactly(raw, cells, second_reference=later_reference)

    def _guess_narrow_letter(self, raw: bytes) -> None:
        # The first cells usually show the sheet's width; guessing it spares an exact scan of chunk one.
        letters = [letters for letters, _ in _CELL_REFERENCE.findall(raw, 0, 64 * 1024)]
        if letters and max(len(letter) for letter in letters) == 1:
            self.narrow_letter = max(letters).decode()
            self.table = _translation(self.narrow_letter)

    def _cells_by_row_length(self, translated: bytes) -> int | None:
        """The number of cells in a segment whose cells are all narrow with rows of one length, or of
        two adjacent lengths, of at most 6 digits (`row_digits` then covers them); None if not so.

        Rows ascend, so the first and the last cell usually show every row length in the segment.
        """
        span = _row_digits_span(translated)
        not_narrow = _NOT_NARROW_CELL.get(span) if span else None
        if span is None or not_narrow is None or not_narrow.search(translated):
            return None
        shortest, longest = span
        self.row_digits = max(self.row_digits, longest)
        # Each cell start now matches exactly one of these patterns.
        return sum(translated.count(pattern) for pattern in _NARROW_CELL_BY_ROW_DIGITS[shortest : longest + 1])

    def _bound_row_digits(self, translated: bytes) -> bool:
        """Raise `row_digits` to cover this segment's references; False when some have 7+ digits.

        A reference with more than d digits contains "A" followed by d+1 "0"s.
        """
        while translated.find(_NARROW_CELL[:-1] + b"0" * (self.row_digits + 1)) >= 0:
            if self.row_digits >= 6:
                return False
            self.row_digits += 1
        return True

    def _count_cells(self, cells: int) -> None:
        self.cell_count += cells
        if self.cell_count > self.limits.max_cells:
            raise too_large(f"A sheet holds more than {self.limits.max_cells} cells.")

    def _scan_exactly(self, raw: bytes, cells: int, *, second_reference: bool) -> None:
        references = _CELL_REFERENCE.findall(raw)
        if second_reference or len(references) != cells:
            self.proven = False
            return
        widest = max((letters for letters, _ in references), key=lambda letters: (len(letters), letters))
        longest = max(len(digits) for _, digits in references)
        highest = max(int(digits) for _, digits in references if len(digits) == longest)
        self.exact_row = max(self.exact_row, highest)
        self.exact_column = max(self.exact_column, column_index(widest))
        self.row_digits = max(self.row_digits, min(len(str(highest)), 6))
        if self.narrow_letter is not None:
            if len(widest) == 1 and widest.decode() > self.narrow_letter:
                self.narrow_letter = widest.decode()
                self.table = _translation(self.narrow_letter)
            elif len(widest) > 1:
                # Past column Z the narrow proof cannot hold; every later chunk is scanned exactly.
                self.narrow_letter = None
                self.table = _translation(None)

    def result(self) -> SheetScan:
        """The bounds; a part that does not end with its root element's end tag is left unproven."""
        if self.proven and (self.root is None or self.tail is None or not _ends_with_root(self.tail, self.root)):
            self.proven = False
        narrow_bound = column_index(self.narrow_letter) if self.narrow_letter else 0
        return SheetScan(
            cell_count=self.cell_count,
            proven=self.proven,
            row_bound=max(self.exact_row, self.unscanned_row_bound, 1),
            column_bound=max(self.exact_column, narrow_bound, 1),
        )


def _row_digits_span(translated: bytes) -> tuple[int, int] | None:
    """The row lengths of the first and the last narrow cell in a translated segment (None if none)."""
    first = translated.find(_NARROW_CELL)
    if first < 0:
        return None
    last = translated.rfind(_NARROW_CELL)
    digits_at = len(_NARROW_CELL) - 1
    return (
        _row_digits_length(translated, first + digits_at),
        _row_digits_length(translated, last + digits_at),
    )


def _row_digits_length(translated: bytes, position: int) -> int:
    match = _ROW_DIGITS.match(translated, position)
    return match.end() - position if match else 0


def _sheet_data_parts(raw: bytes) -> list[bytes]:
    """`raw` cut before the first and the last tag naming "sheetData" (cuts before a "<" keep every
    part a valid segment), or `[raw]` when it names none.
    """
    names = {raw.find(b"sheetData"), raw.rfind(b"sheetData")} - {-1}
    cuts = {raw.rfind(b"<", 0, position) for position in names}
    bounds = [0, *sorted(cut for cut in cuts if cut > 0), len(raw)]
    return [raw[start:end] for start, end in pairwise(bounds) if start < end]


def scan_sheet(path: str, part_name: str, limits: ReadLimits) -> SheetScan:
    """Stream one sheet's XML and bound its cells' rows and columns without parsing it.

    Raises EngineFailure INPUT_TOO_LARGE (too many cells, inflates past its size) or INPUT_UNREADABLE.
    """
    # Inflating in the same thread: a prefetching thread is slower, as it waits for the GIL between
    # zlib calls while the scan holds it.
    return scan_sheet_xml(_part_chunks(path, part_name), limits)


def scan_sheet_xml(
    blocks: Iterable[bytes],
    limits: ReadLimits,
    *,
    segment_bytes: int = SEGMENT_BYTES,
    tagless_run_bytes: int = CHUNK_BYTES,
) -> SheetScan:
    """Bound the cells of sheet XML that arrives in `blocks`, however they are cut.

    Never calls the XML malformed: XML the scan cannot vouch for is left unproven, for the streaming
    reader (expat) to read or refuse. Raises EngineFailure INPUT_TOO_LARGE (too many cells).
    """
    scanner = _SheetScanner(limits)
    for segment, cut_before_tag in _segments(blocks, segment_bytes, tagless_run_bytes):
        if not cut_before_tag:
            # No spreadsheet writer goes a megabyte without starting a tag; a cut inside one could
            # hide a second `r` from the scan, so calamine is not trusted with this sheet.
            scanner.proven = False
        scanner.feed(segment)
    return scanner.result()


def _segments(
    blocks: Iterable[bytes], segment_bytes: int = SEGMENT_BYTES, tagless_run_bytes: int = CHUNK_BYTES
) -> Iterator[tuple[bytes, bool]]:
    """Re-cut inflated blocks into segments of about `segment_bytes` that end just before a "<" (every
    pattern starts with its only "<", so such a cut never splits a match), each with True. When no "<"
    comes for `tagless_run_bytes`, the segment is cut at a block's end instead and comes with False.
    """
    pending: list[memoryview] = []  # the start of the next segment, from earlier blocks
    pending_bytes = 0
    for block in blocks:
        view = memoryview(block)
        start = 0
        while True:
            # A segment starts with its "<" (or the part's start): the cut comes after that one.
            target = start + max(segment_bytes - pending_bytes, 0 if pending else 1)
            cut = block.find(b"<", target) if target < len(block) else -1
            if cut < 0:
                break
            yield b"".join([*pending, view[start:cut]]), True
            pending, pending_bytes, start = [], 0, cut
        pending.append(view[start:])
        pending_bytes += len(block) - start
        if pending_bytes > segment_bytes + tagless_run_bytes:
            yield b"".join(pending), False
            pending, pending_bytes = [], 0
    yield b"".join(pending), True


def _part_chunks(path: str, part_name: str) -> Iterator[bytes]:
    with open(path, "rb") as file:
        try:
            with zipfile.ZipFile(file) as archive:
                yield from iter_part_chunks(file, archive.getinfo(part_name))
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as error:
            raise unreadable(f"The workbook part {part_name} cannot be read ({error}).") from None
