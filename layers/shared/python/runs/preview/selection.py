"""Which sheet a preview asks for: `sheetName` (exact) or `sheetIndex`, else the first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from runs.errors import FieldError, SheetNotFound
from runs.models.outputs import PreviewQuery


class NamedSheet(Protocol):
    @property
    def index(self) -> int: ...

    @property
    def name(self) -> str: ...


SheetT = TypeVar("SheetT", bound=NamedSheet)


def select_sheet(sheets: Sequence[SheetT], query: PreviewQuery) -> SheetT:
    """Raises SheetNotFound (422) naming the selector that matched nothing."""
    if query.sheet_name is not None:
        found = next((sheet for sheet in sheets if sheet.name == query.sheet_name), None)
        path, message = "sheetName", f"the output has no sheet named {query.sheet_name!r}"
    else:
        wanted = query.sheet_index or 0
        found = next((sheet for sheet in sheets if sheet.index == wanted), None)
        path, message = "sheetIndex", f"the output has no sheet at index {wanted} (it has {len(sheets)})"
    if found is None:
        raise SheetNotFound(message[0].upper() + message[1:] + ".", errors=[FieldError(path, message, "not_found")])
    return found
