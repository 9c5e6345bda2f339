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

import posixpath
import re
import shutil
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import PurePosixPath
from typing import BinaryIO, Literal
from urllib.parse import unquote
from xml.etree import ElementTree

from normalizer.errors import EngineFailure
from normalizer.xlsb import read_binary_workbook

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


PackageKind = Literal["xlsx", "xlsb", "ods"]


@dataclass(frozen=True)
class PackageSheet:
    """A sheet as the package's workbook part lists it."""

    name: str
    visible: bool
    part: str | None
    """Zip entry holding the sheet (None when its relationship points nowhere)."""
    is_worksheet: bool
    """False for chart, dialog and macro sheets, which hold no cells to read."""


@dataclass(frozen=True)
class WorkbookPackage:
    """What the readers need to know about an inspected zip package (xlsx, xlsm, xlsb or ods)."""

    kind: PackageKind
    path: str
    """The file to read: the input, or a rewritten copy (see `sanitized_copy`)."""
    sheets: list[PackageSheet]
    """Sheets in workbook order (empty for ods, whose one content part calamine lists)."""
    active_tab: int
    date_1904: bool
    shared_strings_part: str | None
    styles_part: str | None
    sanitized_copy: str | None
    """Temporary directory holding a rewritten package; the caller deletes it."""
    content_part: str | None = None
    """The ods content part (all its sheets' cells)."""

    @property
    def sheet_parts(self) -> list[str | None]:
        return [sheet.part for sheet in self.sheets]


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

_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_WORKBOOK_FALLBACKS = ("xl/workbook.xml", "xl/workbook.bin")
_SHEET_KINDS = {"worksheet": "worksheets", "chartsheet": "chartsheets", "dialogsheet": "dialogsheets"}


def _package_name(name: str) -> str:
    """A zip entry's name as a package part name: backslashes as slashes, no leading slash."""
    return name.replace("\\", "/").lstrip("/")


class _PackageEntries:
    """A zip's entries looked up the way Excel and calamine look them up: ignoring case, with
    backslashes read as slashes."""

    def __init__(self, file: BinaryIO, archive: zipfile.ZipFile, limits: ReadLimits) -> None:
        self.file = file
        self.limits = limits
        self.by_name: dict[str, list[zipfile.ZipInfo]] = {}
        for info in archive.infolist():
            self.by_name.setdefault(_package_name(info.filename).lower(), []).append(info)

    def find(self, name: str | None) -> zipfile.ZipInfo | None:
        # Two candidates would leave calamine free to pick another one than the scan read.
        candidates = self.by_name.get(name.lower(), []) if name else []
        if len(candidates) > 1:
            raise unreadable(f"The workbook holds the part {name} more than once.")
        return candidates[0] if candidates else None

    def read(self, info: zipfile.ZipInfo) -> bytes:
        return read_part(self.file, info, self.limits.max_metadata_part_bytes)

    def relationships(self, source_part: str) -> dict[str, _Relationship]:
        """The relationships of `source_part` ("" for the package), by Id; {} when it has none."""
        folder, _, file_name = source_part.rpartition("/")
        info = self.find(f"{folder}/_rels/{file_name}.rels" if folder else f"_rels/{file_name}.rels")
        if info is None:
            return {}
        root = parse_metadata_xml(self.read(info), info.filename)
        found: dict[str, _Relationship] = {}
        for element in root.iter():
            if _local_name(element.tag) != "Relationship":
                continue
            target = element.get("Target", "")
            external = element.get("TargetMode", "Internal") == "External"
            found[element.get("Id", "")] = _Relationship(
                kind=element.get("Type", "").rpartition("/")[2],
                target=None if external else self._resolve(source_part, target),
                raw_target=target,
            )
        return found

    def _resolve(self, source_part: str, target: str) -> str | None:
        """The entry a relationship target names: resolved as a URI relative to its source part (Excel),
        else with calamine's simpler rule ("xl/" prefixed); None when neither names an entry."""
        for candidate in (_resolve_target(source_part, target), _calamine_sheet_path(target)):
            info = self.find(candidate)
            if info is not None:
                return info.filename
        return None


@dataclass(frozen=True)
class _Relationship:
    kind: str
    """The last segment of the relationship type ("worksheet", "sharedStrings", ...)."""
    target: str | None
    """The zip entry it points at, None for an external or dangling target."""
    raw_target: str


def _resolve_target(source_part: str, target: str) -> str:
    """A relationship target as a part name: percent-decoded, backslashes read as slashes, relative to
    the source part's folder unless it starts with "/", with "." and ".." segments resolved."""
    path = unquote(target.replace("\\", "/"))
    folder = "" if path.startswith("/") else posixpath.dirname(source_part)
    return posixpath.normpath(posixpath.join("/", folder, path)).lstrip("/")


def _calamine_sheet_path(target: str) -> str:
    # calamine's rule: "/x" is a package path, "xl/x" too, anything else is relative to xl/.
    if target.startswith("/"):
        return target[1:]
    return target if target.startswith("xl/") else f"xl/{target}"


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


def _not_a_spreadsheet(what: str) -> EngineFailure:
    return EngineFailure(
        "UNSUPPORTED_FILE_TYPE",
        f"The file is {what}, not a spreadsheet (xlsx, xlsm, xlsb, ods, xls or csv).",
        stage="read",
    )


def inspect_package(path: str, file_size: int, limits: ReadLimits) -> WorkbookPackage:
    """Check a zip package (xlsx, xlsm, xlsb or ods) and return where and what its readers should read.

    Refuses zip bombs from declared sizes; finds the workbook part through the package relationships
    and each sheet through the workbook's, as Excel does; rewrites the package into a copy laid out
    the way calamine expects when calamine would resolve its parts otherwise, or when a shared-strings
    header's `uniqueCount` lies. Raises EngineFailure INPUT_UNREADABLE, INPUT_TOO_LARGE or
    UNSUPPORTED_FILE_TYPE (a zip that is not a spreadsheet).
    """
    with open(path, "rb") as file:
        check_zip_directory(file, file_size, limits)
        try:
            archive = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
            raise unreadable(f"The file is not a readable workbook package ({error}).") from None
        with archive:
            check_declared_sizes(archive, limits)
            entries = _PackageEntries(file, archive, limits)
            content = _ods_content_part(entries)
            if content is not None:
                return WorkbookPackage("ods", path, [], 0, False, None, None, None, content_part=content)
            return _inspect_office_package(path, archive, entries)


def _ods_content_part(entries: _PackageEntries) -> str | None:
    mimetype = entries.find("mimetype")
    if mimetype is None or mimetype.file_size > 256:
        return None
    media_type = entries.read(mimetype).strip()
    if not media_type.startswith(_ODS_MIMETYPE):
        if media_type.startswith(b"application/vnd.oasis.opendocument."):
            raise _not_a_spreadsheet("an OpenDocument file of another kind")
        return None
    content = entries.find("content.xml")
    if content is None:
        raise unreadable("The spreadsheet is damaged: it has no content.xml.")
    return content.filename


def _inspect_office_package(path: str, archive: zipfile.ZipFile, entries: _PackageEntries) -> WorkbookPackage:
    package_relationships = entries.relationships("")
    documents = [
        relationship.target
        for relationship in package_relationships.values()
        if relationship.kind == "officeDocument" and relationship.target
    ]
    candidates = [*documents, *_WORKBOOK_FALLBACKS]
    workbook_info = next((info for info in map(entries.find, candidates) if info is not None), None)
    if workbook_info is None:
        if any(name.startswith("xl/") for name in entries.by_name):
            raise unreadable("The workbook is damaged: it has no workbook part.")
        if documents:
            raise _not_a_spreadsheet("an Office document of another kind")
        raise _not_a_spreadsheet("a zip archive")
    workbook_part = _package_name(workbook_info.filename)
    relationships = entries.relationships(workbook_part)
    shared_strings = _related_part(entries, relationships, workbook_part, "sharedStrings")
    styles = _related_part(entries, relationships, workbook_part, "styles")
    if workbook_part.lower().endswith(".bin"):
        listed, active_tab, date_1904 = read_binary_workbook(entries.read(workbook_info))
        sheets = [
            _package_sheet(entry.name, entry.visible, relationships.get(entry.relationship_id)) for entry in listed
        ]
        return WorkbookPackage("xlsb", path, sheets, active_tab, date_1904, shared_strings, styles, None)
    workbook = parse_metadata_xml(entries.read(workbook_info), workbook_info.filename)
    if _local_name(workbook.tag) != "workbook":
        raise _not_a_spreadsheet("an Office document of another kind")
    sheets, active_tab, date_1904 = _read_workbook_structure(workbook, relationships)
    layout = _CanonicalLayout.of(entries, workbook_info.filename, relationships, sheets, shared_strings, styles)
    shared_strings_info = entries.find(shared_strings)
    lying_strings = shared_strings_info is not None and _shared_strings_header_lies(entries.file, shared_strings_info)
    if not layout.renames and not lying_strings:
        return WorkbookPackage("xlsx", path, sheets, active_tab, date_1904, shared_strings, styles, None)
    directory = tempfile.mkdtemp(prefix="normalizer-read-")
    try:
        copy_path = _write_package_copy(
            entries.file, archive, layout, directory, strip_counts_of=shared_strings if lying_strings else None
        )
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return WorkbookPackage(
        "xlsx",
        copy_path,
        layout.sheets,
        active_tab,
        date_1904,
        layout.new_name(shared_strings),
        layout.new_name(styles),
        directory,
    )


def _related_part(
    entries: _PackageEntries, relationships: dict[str, _Relationship], workbook_part: str, kind: str
) -> str | None:
    # Excel finds the part through its relationship; calamine by its usual name next to the workbook.
    related = next((r.target for r in relationships.values() if r.kind == kind and r.target), None)
    if related is not None:
        return related
    folder = posixpath.dirname(workbook_part)
    extension = posixpath.splitext(workbook_part)[1]
    usual = entries.find(posixpath.join(folder, f"{kind}{extension}"))
    return usual.filename if usual else None


def _read_workbook_structure(
    workbook: ElementTree.Element, relationships: dict[str, _Relationship]
) -> tuple[list[PackageSheet], int, bool]:
    sheets: list[PackageSheet] = []
    active_tab = 0
    date_1904 = False
    seen_view = False
    for element in workbook.iter():
        name = _local_name(element.tag)
        if name == "sheet":
            relationship_id = next((element.get(key) for key in _RELATIONSHIP_ID_KEYS if element.get(key)), None)
            visible = element.get("state", "visible") == "visible"
            sheets.append(_package_sheet(element.get("name", ""), visible, relationships.get(relationship_id or "")))
        elif name == "workbookView" and not seen_view:
            seen_view = True
            try:
                active_tab = max(int(element.get("activeTab", "0")), 0)
            except ValueError:
                active_tab = 0
        elif name == "workbookPr":
            date_1904 = element.get("date1904", "").lower() in ("1", "true")
    return sheets, active_tab, date_1904


def _package_sheet(name: str, visible: bool, relationship: _Relationship | None) -> PackageSheet:
    return PackageSheet(
        name=name,
        visible=visible,
        part=relationship.target if relationship else None,
        is_worksheet=relationship is None or relationship.kind == "worksheet",
    )


@dataclass
class _CanonicalLayout:
    """Where the parts calamine needs go in a copy laid out the way calamine resolves it; `renames` is
    empty when the package is laid out so already."""

    renames: dict[str, str]
    """Original entry name -> entry name in the copy."""
    generated: dict[str, bytes]
    """Entries written anew: the package and workbook relationships."""
    sheets: list[PackageSheet]

    def new_name(self, part: str | None) -> str | None:
        return self.renames.get(part, part) if part else None

    @classmethod
    def of(
        cls,
        entries: _PackageEntries,
        workbook_entry: str,
        relationships: dict[str, _Relationship],
        sheets: list[PackageSheet],
        shared_strings: str | None,
        styles: str | None,
    ) -> _CanonicalLayout:
        """The layout of a copy calamine reads as Excel would read the original (no copy when it does)."""
        calamine_agrees = (
            _package_name(workbook_entry).lower() == "xl/workbook.xml"
            and all(_calamine_finds(entries, r) for r in relationships.values() if r.target and r.kind in _SHEET_KINDS)
            and (shared_strings is None or _package_name(shared_strings).lower() == "xl/sharedstrings.xml")
            and (styles is None or _package_name(styles).lower() == "xl/styles.xml")
        )
        if calamine_agrees:
            return cls({}, {}, sheets)
        renames = {workbook_entry: "xl/workbook.xml"}
        targets: list[tuple[str, str, str]] = []
        for relationship_id, relationship in relationships.items():
            if relationship.target is None:
                continue
            folder = _SHEET_KINDS.get(relationship.kind)
            if folder is not None:
                new = renames.setdefault(relationship.target, f"xl/{folder}/sheet{len(targets) + 1}.xml")
            elif relationship.kind in ("sharedStrings", "styles") and relationship.target in (shared_strings, styles):
                new = renames.setdefault(relationship.target, f"xl/{relationship.kind}.xml")
            else:
                continue
            targets.append((relationship_id, relationship.kind, new[len("xl/") :]))
        for part, usual in ((shared_strings, "xl/sharedStrings.xml"), (styles, "xl/styles.xml")):
            if part is not None:
                renames.setdefault(part, usual)
        generated = {
            "_rels/.rels": _relationships_xml([("rId1", "officeDocument", "xl/workbook.xml")]),
            "xl/_rels/workbook.xml.rels": _relationships_xml(targets),
        }
        copied = [replace(sheet, part=renames.get(sheet.part, sheet.part) if sheet.part else None) for sheet in sheets]
        return cls(renames, generated, copied)


def _calamine_finds(entries: _PackageEntries, relationship: _Relationship) -> bool:
    """Whether calamine, which takes a sheet's target as a plain path, reaches the part Excel does."""
    path = _calamine_sheet_path(relationship.raw_target)
    return "\\" not in path and entries.find(path) is entries.find(relationship.target)


_RELATIONSHIP_TYPE_PREFIX = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def _attribute(value: str) -> str:
    # xml.sax.saxutils would do, but it imports urllib.request and http.client (7 MB, 0.1 s).
    return value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


def _relationships_xml(targets: list[tuple[str, str, str]]) -> bytes:
    items = "".join(
        f'<Relationship Id="{_attribute(rid)}" Type="{_RELATIONSHIP_TYPE_PREFIX}{kind}" Target="{_attribute(target)}"/>'
        for rid, kind, target in targets
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{items}</Relationships>'
    ).encode()


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


def _write_package_copy(
    file: BinaryIO, archive: zipfile.ZipFile, layout: _CanonicalLayout, directory: str, strip_counts_of: str | None
) -> str:
    """Copy the package into `directory`: under the layout's names (only the parts calamine needs) or,
    with no renames, whole; a shared-strings header named by `strip_counts_of` loses its counts."""
    copy_path = str(PurePosixPath(directory) / "sanitized.xlsx")
    with zipfile.ZipFile(copy_path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as copy:
        for name, data in layout.generated.items():
            copy.writestr(name, data)
        for info in archive.infolist():
            copied_name = layout.renames.get(info.filename, None if layout.renames else info.filename)
            if copied_name is None:
                continue
            target = zipfile.ZipInfo(copied_name, date_time=info.date_time)
            target.compress_type = zipfile.ZIP_DEFLATED
            with copy.open(target, "w", force_zip64=True) as output:
                chunks = iter_part_chunks(file, info)
                if info.filename == strip_counts_of:
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
    (all "A" without a bound), the control characters XML forbids -> NUL, and "!", "?" and "]" (which
    CDATA, comments, declarations and processing instructions need) -> 0x01.
    """
    table = bytearray(range(256))
    for byte in _FORBIDDEN_CONTROLS:
        table[byte] = 0
    for byte in b"!?]":
        table[byte] = 1
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
        if translated.find(b"\0") >= 0:
            return False
        # One search for a rare byte runs at memory speed; searches for pairs starting with "<" do not.
        return translated.find(b"\1") < 0 or not (
            raw.find(b"]]>") >= 0 or raw.find(b"<!") >= 0 or raw.find(b"<?", markup_from) >= 0
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
