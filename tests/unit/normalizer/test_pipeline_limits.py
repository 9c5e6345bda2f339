"""Whole runs on sheets at Excel's limits finish fast in bounded memory (each run in a child process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import xlsxwriter

from tests.unit.normalizer.test_inspect import row, write_package

SECONDS_LIMIT = 20
PEAK_MB_LIMIT = 300

_RUN = textwrap.dedent(
    """
    import json, sys
    from normalizer.pipeline import process
    report = process(sys.argv[1], sys.argv[2])
    status = open("/proc/self/status").read()
    peak_kb = int(status.split("VmHWM:")[1].split()[0])
    print(json.dumps({"report": report.to_json_dict(), "peak_kb": peak_kb}))
    """
)


def run_in_child(source: Path, output: Path) -> tuple[dict[str, Any], float, float]:
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-c", _RUN, str(source), str(output)],
        capture_output=True,
        text=True,
        timeout=SECONDS_LIMIT * 3,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        check=True,
    )
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    return result["report"], time.monotonic() - started, result["peak_kb"] / 1024


def test_sheet_16384_columns_wide_is_normalized_with_overflow_columns_dropped(tmp_path: Path) -> None:
    # Given a table as wide as Excel allows: a header naming every column, and two data rows
    source = tmp_path / "wide.xlsx"
    workbook = xlsxwriter.Workbook(str(source), {"constant_memory": True})
    sheet = workbook.add_worksheet("Wide")
    sheet.write_row(0, 0, ["email", *(f"extra {column}" for column in range(1, 16384))])
    for row_index in (1, 2):
        sheet.write_row(row_index, 0, [f"p{row_index}@example.com", *range(1, 16384)])
    workbook.close()

    # When it is processed with the default configuration
    report, seconds, peak_mb = run_in_child(source, tmp_path / "out.xlsx")

    # Then it succeeds fast, the fields come first and what no longer fits is named in a finding
    assert report["status"] == "succeeded", report["failure"]
    assert seconds < SECONDS_LIMIT and peak_mb < PEAK_MB_LIMIT, (seconds, peak_mb)
    assert report["metrics"]["columnCountTotal"] == 16384
    assert [f["code"] for f in report["findings"]].count("columns_dropped") == 1
    email = next(column for column in report["columns"] if column["columnIndex"] == 0)
    assert email["mappedField"] == "email"


def test_sheet_with_a_million_empty_rows_is_normalized_fast(tmp_path: Path) -> None:
    # Given a header, one data row, then a million rows of formatted but empty cells
    def rows() -> Iterator[bytes]:
        yield row(1, b'<c r="A1" t="inlineStr"><is><t>Email</t></is></c>')
        yield row(2, b'<c r="A2" t="inlineStr"><is><t>ann@example.com</t></is></c>')
        for number in range(3, 1_000_003):
            yield f'<row r="{number}"><c r="A{number}" s="1"/></row>'.encode()

    source = write_package(tmp_path / "empty-rows.xlsx", rows())

    # When it is processed
    report, seconds, peak_mb = run_in_child(source, tmp_path / "out.xlsx")

    # Then the one data row comes out, without time or memory growing with the empty rows
    assert report["status"] == "succeeded", report["failure"]
    assert seconds < SECONDS_LIMIT and peak_mb < PEAK_MB_LIMIT, (seconds, peak_mb)
    assert report["output"]["rowCount"] == 1
