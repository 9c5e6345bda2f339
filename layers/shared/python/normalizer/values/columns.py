"""The two column loops every type's parser is built from.

A column parser takes one column chunk (a list of cells) and returns the output values in the same
order plus the indices of the cells that failed to parse. Text-based types work column-wise: the
chunk's text forms, each transform and the type's parse are mapped over the whole chunk (`map` over
C functions, no Python frame per cell where it can be avoided). Value types loop per cell, with at
most one call into the type's own text or cell parser.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Sequence
from typing import Any, cast

from normalizer.values.cells import CellValue, cell_text, column_texts
from normalizer.values.transforms import TextTransform


class Invalid(enum.Enum):
    """Marker a type parser returns for a value it cannot accept (None means "empty" elsewhere)."""

    INVALID = 0


INVALID = Invalid.INVALID

Parsed = CellValue | Invalid
TextParser = Callable[[str], Parsed]
TextsParser = Callable[[list[str]], list[Parsed]]
"""A TextParser over a column of texts: the same as `[parse_text(text) for text in texts]`."""
CellParser = Callable[[CellValue], Parsed]
ColumnParser = Callable[[list[CellValue]], tuple[list[CellValue], list[int]]]


def text_column_parser(
    steps: Sequence[TextTransform],
    parse_text: TextParser | None,
    check_blank: bool,
    parse_texts: TextsParser | None = None,
) -> ColumnParser:
    """Parser for text-based types (string, email, phone, enum): every non-empty cell becomes its text
    form, goes through the transform `steps` in order, then is parsed by `parse_text` (None: the text
    itself is the value). `parse_texts`, when given, must be `parse_text`'s column form.

    Empty cells (None, "", whitespace-only after transforms) become None. Failed cells keep their
    original text form. Never raises as long as `parse_text` does not.
    """
    parse_all = _column_form(parse_text, parse_texts)

    def parse_column(values: list[CellValue]) -> tuple[list[CellValue], list[int]]:
        # cell_text gives "" for None and every transform keeps "" empty, so None needs no case of its own
        texts = column_texts(values)
        for step in steps:
            texts = list(map(step, texts))
        if check_blank and any(map(str.isspace, texts)):
            texts = ["" if text.isspace() else text for text in texts]
        parsed = parse_all(texts)
        # Empty cells become None, whatever their text parsed to (the parsers take "" in stride).
        for index in indices_of(texts, ""):
            parsed[index] = None
        return _with_failures(values, parsed)

    return parse_column


def indices_of(items: list[Any], value: object) -> Iterator[int]:
    """The indices of `value` in `items`, found by C-speed searches: cheap when it is rare."""
    index = -1
    for _ in range(items.count(value)):
        index = items.index(value, index + 1)
        yield index


def _column_form(parse_text: TextParser | None, parse_texts: TextsParser | None) -> TextsParser:
    if parse_texts is not None:
        return parse_texts
    if parse_text is None:
        return list
    parse = parse_text
    return lambda texts: list(map(parse, texts))


def _with_failures(values: list[CellValue], parsed: list[Parsed]) -> tuple[list[CellValue], list[int]]:
    """The output column and failed indices: a cell parsed as INVALID keeps its original text form."""
    failed = list(indices_of(parsed, INVALID))
    for index in failed:
        parsed[index] = cell_text(values[index])
    return cast(list[CellValue], parsed), failed


def typed_column_parser(
    transform: TextTransform | None, parse_texts: TextsParser, parse_cell: CellParser, check_blank: bool
) -> ColumnParser:
    """Parser for value types (integer, number, boolean, date, datetime): the chunk's text cells are
    transformed and parsed together by `parse_texts` (so a column can decide how its texts read);
    typed cells (numbers, dates, booleans) go to `parse_cell` untransformed.

    Empty cells become None; failed cells keep their original text form.
    """

    def parse_column(values: list[CellValue]) -> tuple[list[CellValue], list[int]]:
        output: list[CellValue] = []
        append = output.append
        failed: list[int] = []
        texts: list[str] = []
        text_positions: list[int] = []
        for index, value in enumerate(values):
            if type(value) is str:
                text = value if transform is None else transform(value)
            elif value is None:
                append(None)
                continue
            else:
                parsed = parse_cell(value)
                if parsed is INVALID:
                    failed.append(index)
                    append(cell_text(value))
                else:
                    append(parsed)
                continue
            append(None)
            if text and not (check_blank and text.isspace()):
                texts.append(text)
                text_positions.append(index)
        if texts:
            text_failed = False
            for index, parsed in zip(text_positions, parse_texts(texts), strict=True):
                if parsed is INVALID:
                    failed.append(index)
                    text_failed = True
                    output[index] = cell_text(values[index])
                else:
                    output[index] = parsed
            if text_failed and len(texts) < len(values):
                failed.sort()
        return output, failed

    return parse_column
