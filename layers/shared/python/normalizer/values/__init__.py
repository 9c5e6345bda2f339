"""Cell values: transforms, type parsing and validation, column-wise and compiled once per field.

Public interface (the pipeline and the mapper use only these):
- `compile_field(field, settings=None) -> FieldProcessor`, one per field per output table: it reads
  values as the configuration's settings say (`dateOrder`, `decimalSeparator`, `defaultRegion`) and
  keeps per-column state across chunks (`auto` readings, `unique`). `FieldProcessor.process(values,
  row_numbers)` returns (output values, issues, valid cell count) for one column chunk, in row order.
- `value_evidence(field, sample, settings=None) -> float` for column mapping (the sample read as one
  column; None: every setting `auto`).
- `write_kind(field)` tells the writer how to write a field's cells.
- `CellValue`, `ValueIssue`, and `cell_text` (the text form of any cell).

The rules and every decision where the spec is silent are in the docstrings of the modules:
`transforms`, `numbers`, `choices` (boolean, enum), `contacts` (email, phone), `phones` (E.164 by
libphonenumber's rules), `dates`, `readings` (how a column decides between day- and month-first dates
and decimal marks, and why it decides as late as it can), `validators`, `processor`, `evidence`, `cells`.
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
