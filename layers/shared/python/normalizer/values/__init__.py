"""Cell values: transforms, type parsing and validation, column-wise and compiled once per field.

Public interface (the pipeline and the mapper use only these):
- `compile_field(field) -> FieldProcessor`; `FieldProcessor.process(values, row_numbers)` returns
  (output values, issues, valid cell count) for one column chunk.
- `value_evidence(field, sample) -> float` for column mapping.
- `write_kind(field)` tells the writer how to write a field's cells.
- `CellValue`, `ValueIssue`, and `cell_text` (the text form of any cell).

The rules and every decision where the spec is silent are in the docstrings of the modules:
`transforms`, `numbers`, `choices` (boolean, enum), `contacts` (email, phone), `dates`,
`validators`, `processor`, `evidence`, `cells`.
"""

from normalizer.values.cells import CellValue, ValueIssue, cell_text
from normalizer.values.evidence import value_evidence
from normalizer.values.processor import FieldProcessor, WriteKind, compile_field, write_kind

__all__ = [
    "CellValue",
    "FieldProcessor",
    "ValueIssue",
    "WriteKind",
    "cell_text",
    "compile_field",
    "value_evidence",
    "write_kind",
]
