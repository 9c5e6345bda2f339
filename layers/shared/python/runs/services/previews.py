"""Sheets and previews of a run's output (.xlsx and .csv), read from S3 only as far as they need.

Kept apart from `runs.services.outputs` so that the metadata and download handlers do not import
the readers.
"""

from __future__ import annotations

from runs import storage
from runs.errors import OutputNotFound, UnsupportedMediaType
from runs.models.outputs import PREVIEWABLE_EXTENSIONS, OutputSheet, PreviewQuery, SheetPreview
from runs.preview.delimited import csv_sheets, preview_csv
from runs.preview.workbook import XlsxWorkbook
from runs.services.outputs import extension, ready_output
from runs.services.runs import get_run_record


def list_output_sheets(workspace_id: str, run_id: str) -> list[OutputSheet]:
    """The output's sheets in workbook order. Raises RunNotFound, OutputNotReady, OutputNotFound,
    UnsupportedMediaType (not xlsx or csv), PreviewFailed (unreadable)."""
    filename, key = _previewable_output(workspace_id, run_id)
    if extension(filename) == ".csv":
        return csv_sheets(filename)
    return _workbook(run_id, key).sheets()


def preview_output(workspace_id: str, run_id: str, query: PreviewQuery) -> SheetPreview:
    """The top-left window of one output sheet, reading only as many rows as it returns.

    Raises RunNotFound, OutputNotReady, OutputNotFound, UnsupportedMediaType, SheetNotFound, PreviewFailed.
    """
    filename, key = _previewable_output(workspace_id, run_id)
    if extension(filename) == ".csv":
        chunks = storage.stream_object(key)
        if chunks is None:
            raise OutputNotFound(f"Run {run_id}'s output file is missing.")
        return preview_csv(chunks, filename, query)
    return _workbook(run_id, key).preview(query)


def _previewable_output(workspace_id: str, run_id: str) -> tuple[str, str]:
    output, key = ready_output(get_run_record(workspace_id, run_id))
    filename = output.filename or key.rpartition("/")[2]
    if extension(filename) not in PREVIEWABLE_EXTENSIONS:
        kind = extension(filename) or "without an extension"
        raise UnsupportedMediaType(f"Sheets and previews exist for .xlsx and .csv outputs; this output is {kind}.")
    return filename, key


def _workbook(run_id: str, key: str) -> XlsxWorkbook:
    file = storage.open_ranged(key)
    if file is None:
        raise OutputNotFound(f"Run {run_id}'s output file is missing.")
    return XlsxWorkbook(file)
