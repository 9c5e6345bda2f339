"""Fixtures for the engine tests: real workbooks written with openpyxl/xlsxwriter, read back with openpyxl."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pydantic.alias_generators import to_camel

from normalizer.config import Configuration
from normalizer.pipeline import process
from normalizer.report import ColumnResult, Report

Rows = Sequence[Sequence[Any]]


@pytest.fixture
def make_workbook(tmp_path: Path) -> Callable[..., Path]:
    """Write a real .xlsx: `sheets` maps sheet name → rows (row 1 first); `hidden` names hidden sheets;
    `merged` lists A1 ranges to merge on the first sheet."""

    def make(
        sheets: dict[str, Rows],
        *,
        name: str = "input.xlsx",
        hidden: Iterable[str] = (),
        merged: Iterable[str] = (),
    ) -> Path:
        workbook = openpyxl.Workbook()
        workbook.remove(workbook.active)
        for sheet_name, rows in sheets.items():
            sheet = workbook.create_sheet(sheet_name)
            for row in rows:
                sheet.append(list(row))
                for cell in sheet[sheet.max_row]:
                    if isinstance(cell.value, str) and cell.value.startswith("="):
                        cell.data_type = "s"  # text that looks like a formula stays text
            if sheet_name in set(hidden):
                sheet.sheet_state = "hidden"
        first = workbook.worksheets[0]
        for cell_range in merged:
            first.merge_cells(cell_range)
        path = tmp_path / name
        workbook.save(path)
        return path

    return make


def _read_back(path: Path, sheet: str | None = None) -> list[list[Any]]:
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
        return [list(row) for row in worksheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _configuration(*fields: dict[str, Any], **settings: Any) -> Configuration:
    return Configuration.model_validate(
        {
            "schemaVersion": 1,
            "name": "test",
            "fields": list(fields),
            "settings": {to_camel(key): value for key, value in settings.items()},
        }
    )


def _validate(path: Path, config: Configuration | None = None, **options: Any) -> Report:
    return process(path, None, config, write_output=False, **options)


def _column(report: Report, header: str, table_index: int = 0) -> ColumnResult:
    matches = [c for c in report.columns if c.header_raw == header and c.table_index == table_index]
    assert len(matches) == 1, [c.header_raw for c in report.columns]
    return matches[0]


@pytest.fixture
def read_back() -> Callable[..., list[list[Any]]]:
    """`read_back(path, sheet=None)`: every row of an output sheet as values (openpyxl)."""
    return _read_back


@pytest.fixture
def configuration() -> Callable[..., Configuration]:
    """`configuration(*field_dicts, **snake_case_settings)`: a configuration for a test."""
    return _configuration


@pytest.fixture
def validate() -> Callable[..., Report]:
    """`validate(path, config=None, **options)`: the report of a validate-mode run (nothing written)."""
    return _validate


@pytest.fixture
def column() -> Callable[..., ColumnResult]:
    """`column(report, header, table_index=0)`: the report's entry for the column with that raw header."""
    return _column
