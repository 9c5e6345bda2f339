"""Map a table's columns to the configuration's fields, with a score in [0, 1] per (column, field).

Two kinds of evidence meet here:

- header evidence (`normalizer.header_match`): what the header text says about each field, an exact,
  strong, vague or weak match, or nothing; a header with nothing to say ("Column 7", "Misc", empty) is
  silent;
- value evidence: the share of a sample of the column's non-empty values that parse as the field's
  type or match its `valuePattern` (`normalizer.values.value_evidence`). Only fields whose type has a
  parser (or that have a `valuePattern`) have it. When values lead, a phone field counts only
  phone-shaped text (a leading "+", or ten digits or more in separated groups): bare digits and number
  cells could as well be IDs, and "31.12.1980" is a date.

How they combine, by what the header says about the field:

- exact or strong header: values that agree (≥ 50 % parse) lift it toward 1; values that disagree
  pull it down, gently for an exact header and hard for the others ("Email consent" full of yes/no);
- vague header ("Date", "Number") or a silent one: values decide, up to a cap set by how telling the
  type is (`CLEAR_VALUE_CAP`: an e-mail, phone or date column maps, numbers or booleans never do);
- weak or no match under a header that says something else ("Joined", "Start Date"): values decide,
  up to a lower cap (`VALUE_ONLY_CAP`), since the header's own words point elsewhere.

Ambiguity is never guessed: when fields tie for a column's best score, the evidence does not tell them
apart, so every score of that column is divided by the number of tied fields and the column is left
unmapped with them as candidates (`below_threshold`; `duplicate_field` when the divided score still
reaches a low threshold).

Assignment is one-to-one per table: pairs at or above the threshold are taken greedily by score, ties
to the leftmost column, then to the field listed first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from normalizer.config import FieldSpec
from normalizer.header_match import NO_MATCH, HeaderMatch, HeaderVocabulary, compact_header, normalize_header
from normalizer.report import MappingMethod, UnmappedReason
from normalizer.values import CellValue

__all__ = [
    "ColumnMapping",
    "HeaderMatch",
    "HeaderVocabulary",
    "column_samples",
    "compact_header",
    "map_columns",
    "normalize_header",
]

SAMPLE_SIZE = 100
"""How many non-empty values per column feed value evidence."""

MIN_SAMPLE_FOR_VALUES = 3
"""Below this many non-empty sample values, values are no evidence either way."""

CANDIDATE_COUNT = 3
TIE_TOLERANCE = 0.005
"""Scores closer than this are a tie: the evidence does not tell the fields apart."""

VALUE_ONLY_CAP: dict[str, float] = {
    "email": 0.85,
    "enum": 0.85,
    "phone": 0.55,
    "date": 0.5,
    "datetime": 0.5,
    "boolean": 0.5,
    "integer": 0.45,
    "number": 0.45,
}
"""The most values alone can score under a header that names something else."""

CLEAR_VALUE_CAP: dict[str, float] = {
    "email": 0.9,
    "enum": 0.85,
    "phone": 0.8,
    "date": 0.8,
    "datetime": 0.8,
    "boolean": 0.5,
    "integer": 0.45,
    "number": 0.45,
}
"""The most values alone can score under a silent or vague header, by how telling the type is."""

PATTERN_VALUE_CAP = 0.85
AGREEMENT_LIFT = 0.6
EXACT_DISAGREEMENT_PENALTY = 0.35
FUZZY_DISAGREEMENT_PENALTY = 0.75
PHONE_SHAPE_MIN_DIGITS = 10
_PHONE_GROUP_SEPARATORS = frozenset(" -.()")

ValueEvidence = Callable[[FieldSpec, Sequence[CellValue]], float]


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """The mapping decision for one column of a table."""

    column_index: int
    header_raw: str | None
    header_normalized: str | None
    field: str | None
    score: float | None
    method: MappingMethod | None
    unmapped_reason: UnmappedReason | None
    candidates: tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class _Scored:
    score: float
    method: MappingMethod


@dataclass(frozen=True, slots=True)
class _Evidence:
    """A column's value evidence for one field: the share that parses, and the share telling enough to lead."""

    parsed: float
    telling: float


def has_value_evidence(field: FieldSpec) -> bool:
    """Whether a field's values can be told apart from others (a parsing type or a `valuePattern`)."""
    return field.type != "string" or field.value_pattern is not None


def _cap(field: FieldSpec, caps: dict[str, float]) -> float:
    if field.value_pattern is not None:
        return PATTERN_VALUE_CAP
    return caps.get(field.type, 0.0)


def _phone_shaped(value: CellValue) -> bool:
    """Text written the way phone numbers are: "+" first, or ten digits or more in separated groups."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    if text.startswith("+"):
        return True
    digits = sum(character.isdigit() for character in text)
    return digits >= PHONE_SHAPE_MIN_DIGITS and any(character in _PHONE_GROUP_SEPARATORS for character in text)


def _value_evidence(field: FieldSpec, sample: Sequence[CellValue], value_evidence: ValueEvidence) -> _Evidence:
    parsed = value_evidence(field, sample)
    if field.type != "phone" or field.value_pattern is not None or parsed == 0.0:
        return _Evidence(parsed, parsed)
    shaped = [value for value in sample if _phone_shaped(value)]
    telling = value_evidence(field, shaped) * len(shaped) / len(sample) if shaped else 0.0
    return _Evidence(parsed, telling)


def combine_evidence(
    header: HeaderMatch, values: _Evidence | None, field: FieldSpec, *, silent: bool
) -> _Scored | None:
    """One column's score for one field from its header match and value evidence (see the module docstring).

    Returns None when there is no evidence at all.
    """
    if values is None:
        if header.score <= 0.0:
            return None
        return _Scored(header.score, "header_exact" if header.exact else "header_fuzzy")
    if header.kind in ("exact", "strong", "partial"):
        if values.parsed >= 0.5:
            lifted = header.score + (1.0 - header.score) * AGREEMENT_LIFT * values.parsed
            score = max(lifted, _cap(field, CLEAR_VALUE_CAP) * values.telling)
            return _Scored(round(min(score, 1.0), 4), "header_exact" if header.exact else "combined")
        penalty = EXACT_DISAGREEMENT_PENALTY if header.exact else FUZZY_DISAGREEMENT_PENALTY
        return _Scored(round(header.score * (1.0 - penalty * (1.0 - values.parsed / 0.5)), 4), "combined")
    if header.score > 0.0 and values.parsed < 0.5:
        return _Scored(
            round(header.score * (1.0 - FUZZY_DISAGREEMENT_PENALTY * (1.0 - values.parsed / 0.5)), 4), "combined"
        )
    caps = CLEAR_VALUE_CAP if silent or header.kind in ("attribute", "vague") else VALUE_ONLY_CAP
    # A header naming the field's own term ("Cell #") makes any phone-parsing value count.
    telling = values.parsed if header.kind == "attribute" else values.telling
    value_score = _cap(field, caps) * telling
    if header.score <= 0.0:
        return _Scored(round(value_score, 4), "values") if value_score > 0.0 else None
    return _Scored(round(max(header.score, value_score), 4), "combined")


def column_samples(rows: Sequence[Sequence[CellValue]], width: int, limit: int = SAMPLE_SIZE) -> list[list[CellValue]]:
    """The first `limit` non-empty values of each of `width` columns, from rows of a table."""
    samples: list[list[CellValue]] = [[] for _ in range(width)]
    open_columns = set(range(width))
    for row in rows:
        for index in list(open_columns):
            if index < len(row):
                value = row[index]
                if value is not None and value != "":
                    sample = samples[index]
                    sample.append(value)
                    if len(sample) >= limit:
                        open_columns.discard(index)
        if not open_columns:
            break
    return samples


def _score_column(
    header: str | None,
    sample: Sequence[CellValue],
    vocabulary: HeaderVocabulary,
    value_evidence: ValueEvidence,
) -> tuple[list[_Scored | None], bool]:
    """Every field's score for one column, and whether the column is ambiguous (a tie at the top)."""
    fields = vocabulary.fields
    matches = vocabulary.matches(header) if header else tuple(NO_MATCH for _ in fields)
    silent = vocabulary.says_nothing(header or None)
    usable_sample = len(sample) >= MIN_SAMPLE_FOR_VALUES
    row: list[_Scored | None] = []
    for field, match in zip(fields, matches, strict=True):
        values = _value_evidence(field, sample, value_evidence) if usable_sample and has_value_evidence(field) else None
        row.append(combine_evidence(match, values, field, silent=silent))
    scores = [result.score for result in row if result is not None and result.score > 0.0]
    if not scores:
        return row, False
    top = max(scores)
    tied = sum(1 for score in scores if top - score <= TIE_TOLERANCE)
    if tied < 2:
        return row, False
    divided = [None if result is None else _Scored(round(result.score / tied, 4), result.method) for result in row]
    return divided, True


def map_columns(
    headers: Sequence[str | None],
    samples: Sequence[Sequence[CellValue]],
    vocabulary: HeaderVocabulary,
    threshold: float,
    value_evidence: ValueEvidence,
    *,
    first_column: int = 0,
) -> list[ColumnMapping]:
    """Score every (column, field) pair and assign fields to columns one-to-one.

    `headers[i]` and `samples[i]` describe the table's i-th column, which is sheet column
    `first_column + i`. Returns one `ColumnMapping` per column, in column order.
    """
    fields = vocabulary.fields
    scored: list[list[_Scored | None]] = []
    ambiguous: set[int] = set()
    for column, (header, sample) in enumerate(zip(headers, samples, strict=True)):
        row, is_ambiguous = _score_column(header, sample, vocabulary, value_evidence)
        scored.append(row)
        if is_ambiguous:
            ambiguous.add(column)

    pairs = [
        (-result.score, column, position)
        for column, row in enumerate(scored)
        for position, result in enumerate(row)
        if result is not None and result.score > 0.0 and result.score >= threshold
    ]
    pairs.sort()
    field_of_column: dict[int, int] = {}
    taken_fields: set[int] = set()
    for _, column, position in pairs:
        if column in field_of_column or column in ambiguous or position in taken_fields:
            continue
        field_of_column[column] = position
        taken_fields.add(position)
    contenders = {column for _, column, _ in pairs}

    mappings: list[ColumnMapping] = []
    for column, (header, row) in enumerate(zip(headers, scored, strict=True)):
        ranked = sorted(
            ((result.score, position) for position, result in enumerate(row) if result is not None),
            key=lambda item: (-item[0], item[1]),
        )
        candidates = tuple((fields[position].name, score) for score, position in ranked[:CANDIDATE_COUNT])
        header_raw = header if header else None
        assigned = field_of_column.get(column)
        if assigned is not None:
            result = row[assigned]
            assert result is not None
            mappings.append(
                ColumnMapping(
                    first_column + column,
                    header_raw,
                    normalize_header(header_raw),
                    fields[assigned].name,
                    result.score,
                    result.method,
                    None,
                    candidates,
                )
            )
            continue
        reason: UnmappedReason
        if header_raw is None:
            reason = "empty_header"
        elif column in contenders:
            reason = "duplicate_field"
        elif candidates:
            reason = "below_threshold"
        else:
            reason = "no_signal"
        mappings.append(
            ColumnMapping(
                first_column + column,
                header_raw,
                normalize_header(header_raw),
                None,
                None,
                None,
                reason,
                candidates,
            )
        )
    return mappings
