"""Recognise password-protected workbooks in OLE2 (Compound File Binary) containers.

An encrypted xlsx, xlsm or xlsb is an OLE2 file holding `EncryptionInfo` and `EncryptedPackage`
streams; an encrypted xls carries a FILEPASS record right after the BOF that opens its workbook
stream. python-calamine reports the first and RC4-encrypted xls as password-protected, but reads an
xls under XOR obfuscation as if it were plain, so both are checked here, reading only the container's
directory and the first records of the workbook stream (never a whole stream).
"""

from __future__ import annotations

import struct
from typing import BinaryIO

_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_UINT32 = struct.Struct("<I")
_LAST_REGULAR_SECTOR = 0xFFFFFFFA
_DIRECTORY_ENTRY_BYTES = 128
_ENCRYPTION_STREAMS = frozenset({"encryptioninfo", "encryptedpackage"})
_WORKBOOK_STREAMS = ("workbook", "book")
_FILEPASS = 0x002F
_END_OF_SUBSTREAM = 0x000A
_HEAD_BYTES = 8192
_MAX_DIRECTORY_ENTRIES = 4096
_MAX_MINI_STREAM_BYTES = 16 << 20


class _Container:
    """Just enough of MS-CFB to follow sector chains, with every loop bounded by the file's size."""

    def __init__(self, file: BinaryIO, file_size: int) -> None:
        self.file = file
        header = self._read_at(0, 512)
        if len(header) < 512 or not header.startswith(_MAGIC):
            raise ValueError("not an OLE2 container")
        sector_shift, mini_shift = struct.unpack_from("<HH", header, 30)
        if sector_shift not in (9, 12) or mini_shift != 6:
            raise ValueError("unusual sector sizes")
        self.sector_bytes = 1 << sector_shift
        self.sector_count = max(file_size // self.sector_bytes, 1)
        fat_sectors, self.directory_start = struct.unpack_from("<II", header, 44)
        self.mini_cutoff, self.mini_fat_start, _, difat_start, difat_sectors = struct.unpack_from("<5I", header, 56)
        locations = [value for (value,) in _UINT32.iter_unpack(header[76:512]) if value < _LAST_REGULAR_SECTOR]
        per_difat_sector = self.sector_bytes // 4 - 1
        for sector in self._bounded(self._difat_chain(difat_start, difat_sectors)):
            values = [value for (value,) in _UINT32.iter_unpack(self._sector(sector))]
            locations.extend(value for value in values[:per_difat_sector] if value < _LAST_REGULAR_SECTOR)
        self.fat = [
            value
            for location in locations[: min(fat_sectors, self.sector_count)]
            for (value,) in _UINT32.iter_unpack(self._sector(location))
        ]

    def _read_at(self, offset: int, size: int) -> bytes:
        self.file.seek(offset)
        return self.file.read(size)

    def _sector(self, sector: int) -> bytes:
        return self._read_at((sector + 1) * self.sector_bytes, self.sector_bytes)

    def _difat_chain(self, start: int, count: int) -> list[int]:
        chain: list[int] = []
        sector = start
        while sector < _LAST_REGULAR_SECTOR and len(chain) < min(count, self.sector_count):
            chain.append(sector)
            data = self._sector(sector)
            sector = (
                _UINT32.unpack_from(data, self.sector_bytes - 4)[0] if len(data) == self.sector_bytes else 0xFFFFFFFE
            )
        return chain

    def _bounded(self, chain: list[int]) -> list[int]:
        return [sector for sector in chain if sector < self.sector_count]

    def chain(self, start: int, limit: int) -> list[int]:
        """Up to `limit` sectors of the chain from `start` (a loop ends it)."""
        sectors: list[int] = []
        seen: set[int] = set()
        sector = start
        while sector < len(self.fat) and sector not in seen and len(sectors) < limit:
            seen.add(sector)
            sectors.append(sector)
            sector = self.fat[sector]
        return sectors

    def stream_head(self, start: int, size: int, mini_stream: tuple[int, int]) -> bytes:
        """The first bytes (up to _HEAD_BYTES) of a stream, from the regular or the mini stream."""
        wanted = min(size, _HEAD_BYTES)
        if size >= self.mini_cutoff:
            sectors = self.chain(start, wanted // self.sector_bytes + 1)
            return b"".join(self._sector(sector) for sector in sectors)[:wanted]
        mini_start, mini_size = mini_stream
        mini_sectors = self.chain(mini_start, min(mini_size, _MAX_MINI_STREAM_BYTES) // self.sector_bytes + 1)
        mini = b"".join(self._sector(sector) for sector in mini_sectors)
        mini_fat_sectors = self.chain(self.mini_fat_start, self.sector_count)
        mini_fat = [value for sector in mini_fat_sectors for (value,) in _UINT32.iter_unpack(self._sector(sector))]
        pieces: list[bytes] = []
        seen: set[int] = set()
        sector = start
        while sector < len(mini_fat) and sector not in seen and 64 * len(pieces) < wanted:
            seen.add(sector)
            pieces.append(mini[64 * sector : 64 * sector + 64])
            sector = mini_fat[sector]
        return b"".join(pieces)[:wanted]

    def entries(self) -> list[tuple[str, int, int]]:
        """(lower-case name, start sector, size) of each directory entry, the root first."""
        limit = _MAX_DIRECTORY_ENTRIES * _DIRECTORY_ENTRY_BYTES // self.sector_bytes
        data = b"".join(self._sector(sector) for sector in self.chain(self.directory_start, limit))
        found = []
        for offset in range(0, len(data) - _DIRECTORY_ENTRY_BYTES + 1, _DIRECTORY_ENTRY_BYTES):
            name_bytes, kind = struct.unpack_from("<HB", data, offset + 64)
            if kind not in (1, 2, 5):
                continue
            name = data[offset : offset + max(min(name_bytes, 64) - 2, 0)].decode("utf-16-le", errors="replace")
            start, size = struct.unpack_from("<IQ", data, offset + 116)
            found.append((name.lower(), start, size & 0xFFFFFFFF if self.sector_bytes == 512 else size))
        return found


def is_password_protected(file: BinaryIO, file_size: int) -> bool:
    """Whether an OLE2 file is an encrypted Office workbook; False for anything it cannot make out."""
    try:
        container = _Container(file, file_size)
        entries = container.entries()
        if not entries:
            return False
        if any(name in _ENCRYPTION_STREAMS for name, _, _ in entries):
            return True
        root = entries[0]
        workbook = next((entry for entry in entries if entry[0] in _WORKBOOK_STREAMS), None)
        if workbook is None:
            return False
        return _has_filepass(container.stream_head(workbook[1], workbook[2], (root[1], root[2])))
    except (ValueError, struct.error, OSError):
        return False


def _has_filepass(head: bytes) -> bool:
    """Whether a FILEPASS record comes in the workbook globals' first records (after the BOF)."""
    position = 0
    for _ in range(64):
        if position + 4 > len(head):
            return False
        record_type, size = struct.unpack_from("<HH", head, position)
        if record_type == _FILEPASS:
            return True
        if record_type == _END_OF_SUBSTREAM:
            return False
        position += 4 + size
    return False
