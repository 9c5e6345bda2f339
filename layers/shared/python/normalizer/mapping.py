"""Map a table's columns to the configuration's fields, with a score in [0, 1] per (column, field).

A score combines two kinds of evidence:

- header evidence: the header text against each field's name, label and synonyms. A match after
  normalization (case, punctuation, spacing: "E-mail Address" == "email address" == "EmailAddress")
  scores 1.0; a header that contains every word of a term scores 0.70 to 0.95 (more when the term explains
  more of the header, words weighted by how few fields use them); a partial word overlap scores less;
  a typo ("Emial") scores 0.85 times its similarity when that is at least 0.8.
- value evidence: the share of a sample of the column's non-empty values that parse as the field's
  type or match its `valuePattern` (`normalizer.values.value_evidence`). Only fields whose type has a
  parser (or that have a `valuePattern`) have value evidence.

Combination: with no value evidence the score is the header score. Values alone score up to a cap set
by how telling the type is (an e-mail or enum column is unmistakable, a column of numbers or dates is
not). Values that agree with a header (≥ 50 % parse) lift it toward 1; values that disagree pull it
down, hard for a fuzzy header ("Email consent" full of yes/no) and gently for an exact one.

Assignment is one-to-one per table: pairs at or above the threshold are taken greedily by score, ties
to the leftmost column, then to the field listed first.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from rapidfuzz import fuzz

from normalizer.config import FieldSpec
from normalizer.report import MappingMethod, UnmappedReason
from normalizer.values import CellValue

SAMPLE_SIZE = 100
"""How many non-empty values per column feed value evidence."""

MIN_SAMPLE_FOR_VALUES = 3
"""Below this many non-empty sample values, values are no evidence either way."""

FUZZY_MIN_SIMILARITY = 0.8
FUZZY_WEIGHT = 0.85
FUZZY_MIN_LENGTH = 4
CANDIDATE_COUNT = 3

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
"""The most a column can score for a field on its values alone, by how telling the type is."""

PATTERN_VALUE_ONLY_CAP = 0.85
AGREEMENT_LIFT = 0.6
EXACT_DISAGREEMENT_PENALTY = 0.35
FUZZY_DISAGREEMENT_PENALTY = 0.75

_STOPWORDS = frozenset({"of", "the", "a", "an", "and", "in", "for", "to", "at", "by", "per"})
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z])")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_JOINING_PUNCTUATION = re.compile(r"(?<=[0-9a-z])['\u2019.](?=[0-9a-z])")

ValueEvidence = Callable[[FieldSpec, Sequence[CellValue]], float]


def _fold(text: str) -> str:
    """Lower-case ASCII-ish form: accents dropped, camelCase split, apostrophes inside words removed."""
    text = _CAMEL_BOUNDARY.sub(" ", unicodedata.normalize("NFKD", text))
    text = "".join(character for character in text if not unicodedata.combining(character)).lower()
    return _JOINING_PUNCTUATION.sub("", text)


def header_tokens(text: str) -> tuple[str, ...]:
    """A header's words, lower-cased, no punctuation or stop words ("E-mail Address" → e, mail, address)."""
    return tuple(token for token in _NON_ALNUM.split(_fold(text)) if token and token not in _STOPWORDS)


def compact_header(text: str) -> str:
    """A header with everything but letters and digits removed: the form exact matches compare."""
    return _NON_ALNUM.sub("", _fold(text))


def normalize_header(text: str | None) -> str | None:
    """The report's `headerNormalized`: lower-case words joined by `_` ("E-mail Address" → e_mail_address)."""
    if text is None:
        return None
    words = [token for token in _NON_ALNUM.split(_fold(text)) if token]
    return "_".join(words) or None


@dataclass(frozen=True, slots=True)
class _Term:
    field_position: int
    compact: str
    tokens: frozenset[str]


@dataclass(frozen=True, slots=True)
class HeaderMatch:
    """How well a header matches one field: the score and whether it was an exact (normalized) match."""

    score: float
    exact: bool


class HeaderVocabulary:
    """The header terms of a configuration's fields (name, label, synonyms), ready for matching.

    Words are weighted by rarity across fields: "name" (used by several name fields) counts less than
    "first" or "email" when deciding how much of a header a term explains.
    """

    def __init__(self, fields: Sequence[FieldSpec]) -> None:
        self.fields = tuple(fields)
        self._terms: list[_Term] = []
        self._exact: dict[str, int] = {}
        fields_by_token: dict[str, set[int]] = {}
        for position, field in enumerate(self.fields):
            texts = [field.name, field.display_label, *field.synonyms]
            for text in texts:
                compact = compact_header(text)
                tokens = frozenset(header_tokens(text))
                if not compact:
                    continue
                self._terms.append(_Term(position, compact, tokens))
                self._exact.setdefault(compact, position)
                for token in tokens:
                    fields_by_token.setdefault(token, set()).add(position)
        field_count = max(len(self.fields), 1)
        self._unknown_weight = math.log1p(field_count)
        self._weights = {
            token: math.log1p(field_count / len(positions)) for token, positions in fields_by_token.items()
        }
        self._token_terms: dict[str, list[_Term]] = {}
        for term in self._terms:
            for token in term.tokens:
                self._token_terms.setdefault(token, []).append(term)
        self._matches = lru_cache(maxsize=4096)(self._compute_matches)
        self._known = lru_cache(maxsize=4096)(self._compute_known)

    def weight(self, token: str) -> float:
        """How telling a word is (rarer across fields → heavier)."""
        return self._weights.get(token, self._unknown_weight)

    def matches(self, header: str) -> tuple[HeaderMatch, ...]:
        """Header evidence for every field, in configuration order (score 0 when nothing matches)."""
        return self._matches(header)

    def is_known_term(self, header: str) -> bool:
        """Whether a header names some field outright or contains all the words of one of its terms.

        Cheap (no fuzzy matching, cached): used by table detection on many candidate cells.
        """
        return self._known(header)

    def _compute_known(self, header: str) -> bool:
        if compact_header(header) in self._exact:
            return True
        tokens = set(_tokens_with_joined_pairs(header_tokens(header)))
        return any(term.tokens <= tokens for token in tokens for term in self._token_terms.get(token, ()))

    def _compute_matches(self, header: str) -> tuple[HeaderMatch, ...]:
        best = [0.0] * len(self.fields)
        exact = [False] * len(self.fields)
        compact = compact_header(header)
        if not compact:
            return tuple(HeaderMatch(0.0, False) for _ in self.fields)
        tokens = header_tokens(header)
        token_weight = sum(self.weight(token) for token in set(tokens)) or 1.0
        pieces = _joined_pairs(tokens)
        available = set(tokens) | set(pieces)
        for term in self._terms:
            position = term.field_position
            if term.compact == compact:
                best[position] = 1.0
                exact[position] = True
                continue
            if best[position] >= 1.0:
                continue
            score = self._token_score(term, tokens, pieces, available, token_weight)
            if len(compact) >= FUZZY_MIN_LENGTH and len(term.compact) >= FUZZY_MIN_LENGTH:
                similarity = fuzz.ratio(compact, term.compact) / 100.0
                if similarity >= FUZZY_MIN_SIMILARITY:
                    score = max(score, FUZZY_WEIGHT * similarity)
            best[position] = max(best[position], score)
        return tuple(HeaderMatch(round(score, 4), flag) for score, flag in zip(best, exact, strict=True))

    def _token_score(
        self,
        term: _Term,
        tokens: tuple[str, ...],
        pieces: dict[str, tuple[str, str]],
        available: set[str],
        header_weight: float,
    ) -> float:
        shared = term.tokens & available
        if not shared:
            return 0.0
        covered: set[str] = set()
        for token in shared:
            if token in pieces and token not in tokens:
                covered.update(pieces[token])
            else:
                covered.add(token)
        term_coverage = sum(self.weight(token) for token in shared) / (
            sum(self.weight(token) for token in term.tokens) or 1.0
        )
        header_coverage = min(sum(self.weight(token) for token in covered) / header_weight, 1.0)
        if term_coverage >= 1.0:
            return 0.70 + 0.25 * header_coverage
        return 0.6 * term_coverage * header_coverage


def _joined_pairs(tokens: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """Adjacent words glued together ("e", "mail" → "email"), so split spellings still match."""
    return {first + second: (first, second) for first, second in pairwise(tokens)}


def _tokens_with_joined_pairs(tokens: tuple[str, ...]) -> list[str]:
    return [*tokens, *_joined_pairs(tokens)]


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


def has_value_evidence(field: FieldSpec) -> bool:
    """Whether a field's values can be told apart from others (a parsing type or a `valuePattern`)."""
    return field.type != "string" or field.value_pattern is not None


def _value_only_cap(field: FieldSpec) -> float:
    if field.value_pattern is not None:
        return PATTERN_VALUE_ONLY_CAP
    return VALUE_ONLY_CAP.get(field.type, 0.0)


def combine_evidence(header: HeaderMatch, values: float | None, field: FieldSpec) -> _Scored | None:
    """One column's score for one field from its header match and its value evidence (None: no evidence).

    Returns None when there is no evidence at all.
    """
    if values is None:
        if header.score <= 0.0:
            return None
        return _Scored(header.score, "header_exact" if header.exact else "header_fuzzy")
    if header.score <= 0.0:
        score = _value_only_cap(field) * values
        return _Scored(round(score, 4), "values") if score > 0.0 else None
    if values >= 0.5:
        lifted = header.score + (1.0 - header.score) * AGREEMENT_LIFT * values
        score = max(lifted, _value_only_cap(field) * values)
        method: MappingMethod = "header_exact" if header.exact else "combined"
        return _Scored(round(min(score, 1.0), 4), method)
    penalty = EXACT_DISAGREEMENT_PENALTY if header.exact else FUZZY_DISAGREEMENT_PENALTY
    score = header.score * (1.0 - penalty * (1.0 - values / 0.5))
    return _Scored(round(score, 4), "combined")


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
    value_fields = [has_value_evidence(field) for field in fields]
    scored: list[list[_Scored | None]] = []
    for header, sample in zip(headers, samples, strict=True):
        matches = vocabulary.matches(header) if header else tuple(HeaderMatch(0.0, False) for _ in fields)
        usable_sample = len(sample) >= MIN_SAMPLE_FOR_VALUES
        row: list[_Scored | None] = []
        for position, field in enumerate(fields):
            values = value_evidence(field, sample) if usable_sample and value_fields[position] else None
            row.append(combine_evidence(matches[position], values, field))
        scored.append(row)

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
        if column in field_of_column or position in taken_fields:
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
