"""Input files: safe file names, and a content type taken from the bytes and the extension, never the client."""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePath

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSM = "application/vnd.ms-excel.sheet.macroEnabled.12"
XLS = "application/vnd.ms-excel"
XLSB = "application/vnd.ms-excel.sheet.binary.macroEnabled.12"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
CSV = "text/csv"
UNKNOWN = "application/octet-stream"
CONTENT_TYPES = {".xlsx": XLSX, ".xlsm": XLSM, ".xlsb": XLSB, ".xls": XLS, ".ods": ODS, ".csv": CSV}
SUPPORTED_EXTENSIONS = tuple(CONTENT_TYPES)
# Enough of a file to tell its type: the magic numbers, an ODS package's first entry, a sample of text.
SNIFF_BYTES = 8192

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An OpenDocument package stores its `mimetype` entry first and uncompressed (ODF 1.2 §3.3).
_ODS_MARKER = b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Bytes that never appear in text: C0 controls other than tab, newlines and form feed.
_BINARY_BYTES = frozenset(set(range(32)) - {9, 10, 12, 13})
# A whole `${...}`, then any `${` left open.
_TEMPLATE = re.compile(r"\$\{[^}]*\}|\$\{")
_QUOTES = frozenset("\"'`")


def clean_filename(name: str) -> str:
    """The name without control or format characters, quotes and `${...}` templates, trimmed.

    Raises ValueError for a name with folders, nothing left, or an unsupported extension.
    """
    without_templates = _TEMPLATE.sub("", name)
    cleaned = "".join(
        ch for ch in without_templates if ch not in _QUOTES and unicodedata.category(ch) not in ("Cc", "Cf")
    ).strip()
    if any(ch in cleaned for ch in "/\\"):
        raise ValueError("must be a plain file name without folders")
    if not cleaned.rpartition(".")[0].strip(" ."):
        raise ValueError("must be a file name with something before the extension")
    if not cleaned.lower().endswith(SUPPORTED_EXTENSIONS):
        raise ValueError(f"must end with one of {', '.join(SUPPORTED_EXTENSIONS)}")
    return cleaned


def content_type_of_name(filename: str) -> str:
    """The content type a supported extension stands for (before the bytes are seen)."""
    return CONTENT_TYPES.get(PurePath(filename).suffix.lower(), UNKNOWN)


def content_type_of_file(head: bytes, filename: str) -> str:
    """The content type of a file from its first bytes (`SNIFF_BYTES` suffice) and its extension.

    Raises ValueError when the bytes are no supported spreadsheet or not the kind its extension names.
    """
    extension = PurePath(filename).suffix.lower()
    if head.startswith(_ZIP_MAGIC):
        if _ODS_MARKER in head[:128]:
            if extension == ".ods":
                return ODS
            found = "an OpenDocument spreadsheet (.ods)"
        elif extension in (".xlsx", ".xlsm", ".xlsb"):
            return CONTENT_TYPES[extension]
        else:
            found = "an Excel workbook (.xlsx)"
    elif head.startswith(_OLE2_MAGIC):
        if extension == ".xls":
            return XLS
        found = "an Excel 97-2003 workbook (.xls)"
    elif head and (head.startswith(_UTF16_BOMS) or not _BINARY_BYTES.intersection(head)):
        if extension == ".csv":
            return CSV
        found = "text (.csv)"
    else:
        found = "not a spreadsheet"
    raise ValueError(f"the content is {found}, but the file is named {extension or 'without an extension'}")
