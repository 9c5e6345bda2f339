"""Downloads, output sheets and the sheet preview (DESIGN §4, §6)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from runs.models.base import RequestModel, ResponseModel, Timestamp

MAX_PREVIEW_ROWS = 1000
MAX_PREVIEW_COLUMNS = 200
# What an output file's extension says it is (the stored type never comes from the client).
CONTENT_TYPES_BY_EXTENSION = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    ".xls": "application/vnd.ms-excel",
    ".csv": "text/csv",
}
PREVIEWABLE_EXTENSIONS = (".xlsx", ".csv")


class DownloadQuery(RequestModel):
    redirect: Annotated[
        bool, Field(description="false: answer 200 with {url, expiresAt} instead of a 302 to the URL")
    ] = True


class DownloadLink(ResponseModel):
    """A short-lived presigned URL; its response names the file in `Content-Disposition`."""

    url: str
    expires_at: Timestamp


class OutputSheet(ResponseModel):
    """One sheet of the output: a workbook tab, or the one sheet of a CSV (named after the file's stem)."""

    name: str
    index: int
    kind: Literal["worksheet", "chartsheet", "file"]
    visible: bool
    is_active: bool


class PreviewQuery(RequestModel):
    sheet_name: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    sheet_index: Annotated[int, Field(ge=0, description="Default 0 when neither selector is given")] | None = None
    max_rows: Annotated[int, Field(ge=1, le=MAX_PREVIEW_ROWS)] = 100
    max_columns: Annotated[int, Field(ge=1, le=MAX_PREVIEW_COLUMNS)] = 50
    trim_empty_rows: Annotated[bool, Field(description="Drop rows of the window that are blank in every cell")] = False
    trim_empty_columns: Annotated[bool, Field(description="Drop columns of the window that are blank in every row")] = (
        False
    )

    @model_validator(mode="after")
    def _one_selector(self) -> PreviewQuery:
        if self.sheet_name is not None and self.sheet_index is not None:
            raise ValueError("sheetName and sheetIndex are mutually exclusive")
        return self


class CellFormat(ResponseModel):
    """The visible formatting of one cell; `row` and `column` index the preview's `rows`."""

    row: int
    column: int
    bg_color: Annotated[str, Field(pattern=r"^#[0-9A-F]{6}$")] | None
    text_color: Annotated[str, Field(pattern=r"^#[0-9A-F]{6}$")] | None
    bold: bool
    italic: bool
    horizontal_align: str | None
    wrap_text: bool


class SheetPreview(ResponseModel):
    """The top-left window of one sheet, as text. Indices are positions in `rows` (0-based)."""

    name: str
    index: int
    rows: list[list[str]] = Field(description="Cell text, header row included, padded to a rectangle")
    total_rows: int | None = Field(
        description="The sheet's last row number; null when the sheet does not declare it and was not read to its end"
    )
    total_columns: int | None = Field(description="The sheet's last column number; null as for totalRows")
    truncated_rows: bool = Field(description="The sheet has rows beyond those returned")
    truncated_columns: bool = Field(description="The sheet has columns beyond those returned")
    hidden_rows: list[int]
    hidden_columns: list[int]
    cell_formats: list[CellFormat] = Field(description="Cells with visible formatting (xlsx only)")
