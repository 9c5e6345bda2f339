"""Queries of the results endpoints; the results themselves are the engine's report models (DESIGN §8)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from runs.models.base import RequestModel

MAX_COLUMNS_PER_PAGE = 20_000


class ColumnListQuery(RequestModel):
    """`/columns` filters (combined with AND) and paging; camelCase or the original snake_case names."""

    sheet_name: Annotated[str, Field(max_length=200, description="Exact name (trimmed; empty: any)")] | None = None
    sheet_index: Annotated[int, Field(ge=0)] | None = None
    table_index: Annotated[int, Field(ge=0)] | None = None
    mapped_field: Annotated[str, Field(max_length=200, description="Exact name (trimmed; empty: any)")] | None = None
    mapping_status: Literal["mapped", "unmapped"] | None = None
    limit: (
        Annotated[
            int,
            Field(
                ge=1,
                le=MAX_COLUMNS_PER_PAGE,
                description="At most this many columns (default: all that fit one response; see the Link header)",
            ),
        ]
        | None
    ) = None
    cursor: Annotated[str, Field(max_length=2048, description="From the previous page's `rel=next` Link")] | None = None

    @field_validator("sheet_name", "mapped_field")
    @classmethod
    def _trimmed(cls, value: str | None) -> str | None:
        return (value or "").strip() or None

    def filters(self) -> dict[str, str | int]:
        """The filters that are set, by their camelCase names (what a cursor is bound to)."""
        return self.model_dump(by_alias=True, exclude_none=True, exclude={"limit", "cursor"})
