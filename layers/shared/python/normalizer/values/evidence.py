"""Value evidence for the mapper: how much a column's sample looks like a field's values.

Decisions where the spec is silent:
- Emptiness is judged on the raw cell (None or blank text); a value the transforms empty counts as
  not matching.
- For date/datetime fields, bare numbers (number cells, which would all "parse" as serials) are no
  evidence; only date cells and date text count.
- Only parsing and the valuePattern count; the field's other validators play no part.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from normalizer.config import FieldSpec, Settings
from normalizer.values.cells import CellValue, cell_text
from normalizer.values.processor import build_column_parser


def _is_empty(value: CellValue) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def value_evidence(field: FieldSpec, sample: Sequence[CellValue], settings: Settings | None = None) -> float:
    """Share (0..1) of the non-empty sample values that parse as the field's type and, when the field
    has a valuePattern, whose parsed text matches it. A string field without a valuePattern has no
    value evidence: 0.0. An all-empty sample gives 0.0. Never raises on any cell value.

    The sample is read as one column under `settings` (None: every setting `auto`, so German dates
    and amounts count as dates and numbers; in a sample whose dates conflict, the ambiguous ones do
    not count). Phones are checked by libphonenumber's rules when they have a "+" (or the settings a
    `defaultRegion`). Raises EngineFailure(CONFIGURATION_INVALID) for an unknown `defaultRegion`.
    """
    if field.type == "string" and field.value_pattern is None:
        return 0.0
    non_empty = [value for value in sample if not _is_empty(value)]
    if field.type in ("date", "datetime"):
        candidates = [value for value in non_empty if type(value) is not float and type(value) is not int]
    else:
        candidates = non_empty
    if not non_empty:
        return 0.0
    output, failed = build_column_parser(field, settings)(candidates)
    failed_indices = frozenset(failed)
    search = re.compile(field.value_pattern).search if field.value_pattern is not None else None
    matches = 0
    for index, value in enumerate(output):
        if value is None or index in failed_indices:
            continue
        if search is None or search(cell_text(value)) is not None:
            matches += 1
    return matches / len(non_empty)
