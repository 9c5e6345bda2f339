"""Preview of a CSV output: its one sheet, named after the file's stem, read only as far as the window.

Encoding and delimiter are sniffed the way the engine reads CSV input (`normalizer.read`).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from itertools import chain
from pathlib import PurePosixPath
from typing import Any

from normalizer.read import sniff_delimiter, sniff_text_encoding
from runs.errors import PreviewFailed
from runs.models.outputs import OutputSheet, PreviewQuery, SheetPreview
from runs.preview.selection import select_sheet
from runs.preview.window import SheetRow, Window, cell_text

SNIFF_BYTES = 64 * 1024
# Text a preview reads at most: a window that needs more answers the rows read so far.
MAX_TEXT_BYTES = 32 * 1024 * 1024


def csv_sheets(filename: str) -> list[OutputSheet]:
    """The one sheet of a CSV file, named after its stem (as the engine names it); the file is not read."""
    return [OutputSheet(name=PurePosixPath(filename).stem, index=0, kind="file", visible=True, is_active=True)]


def preview_csv(chunks: Iterator[bytes], filename: str, query: PreviewQuery) -> SheetPreview:
    """The window of a CSV read from `chunks`. Raises SheetNotFound, PreviewFailed (not text, bad CSV)."""
    sheet = select_sheet(csv_sheets(filename), query)
    sample = b""
    for chunk in chunks:
        sample += chunk
        if len(sample) >= SNIFF_BYTES:
            break
    encoding = sniff_text_encoding(sample[:SNIFF_BYTES])
    if encoding is None:
        raise PreviewFailed("The output is not a text file, so it cannot be read as CSV.")
    source = _BoundedStream(chain([sample], chunks))
    text = io.TextIOWrapper(io.BufferedReader(source), encoding=encoding, errors="replace", newline="")
    window = Window(query)
    widest, seen_rows, finished = 0, 0, False
    try:
        for index, fields in enumerate(csv.reader(text, delimiter=sniff_delimiter(_whole_lines(sample, encoding)))):
            seen_rows = index + 1
            widest = max(widest, len(fields))
            if index >= query.max_rows:
                break
            row = SheetRow(index, {c: cell_text(v) for c, v in enumerate(fields[: query.max_columns]) if v})
            if not window.add(row):
                break
        else:
            finished = not source.exhausted
    except csv.Error as error:
        raise PreviewFailed(f"The output cannot be read as CSV ({error}).") from None
    if finished:
        height, total_rows, total_columns = seen_rows, seen_rows, widest
    else:
        height = len(window.rows) if window.budget_spent or source.exhausted else query.max_rows
        total_rows, total_columns = None, None
    return window.shape(
        name=sheet.name,
        index=sheet.index,
        height=height,
        total_rows=total_rows,
        total_columns=total_columns,
        widest_row=widest,
        hidden_columns=set(),
    )


def _whole_lines(sample: bytes, encoding: str) -> str:
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample[:SNIFF_BYTES], final=False)
    last_newline = text.rfind("\n")
    return text[: last_newline + 1] if last_newline > 0 else text


class _BoundedStream(io.RawIOBase):
    """Raw bytes from chunks, ending early (with `exhausted` set) after MAX_TEXT_BYTES."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        super().__init__()
        self._chunks = chunks
        self._pending = b""
        self._read = 0
        self.exhausted = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            if self._read >= MAX_TEXT_BYTES:
                self.exhausted = True
                return 0
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk[: MAX_TEXT_BYTES - self._read]
            self._read += len(self._pending)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size
