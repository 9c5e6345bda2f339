"""Column mapping measured on a generated messy set: recall of at least 0.97 and no false mapping."""

from __future__ import annotations

from collections import Counter

import pytest

from normalizer.mapping import HeaderVocabulary, column_samples, map_columns
from normalizer.values import value_evidence
from tests.unit.normalizer.messy_tables import SETTINGS, MessyColumn, messy_tables

TABLE_COUNT = 600
MIN_RECALL = 0.97


def _mapped_fields(table) -> list[str | None]:
    vocabulary = HeaderVocabulary(table.setting.configuration.fields)
    headers = [column.header for column in table.columns]
    rows = list(zip(*(column.values for column in table.columns), strict=True))
    samples = column_samples(rows, len(headers))
    threshold = table.setting.configuration.settings.mapping_threshold
    return [mapping.field for mapping in map_columns(headers, samples, vocabulary, threshold, value_evidence)]


def _describe(column: MessyColumn, got: str | None, setting: str) -> str:
    return f"{setting}: {column.header!r} ({column.kind}) expected {column.expected}, got {got}"


@pytest.fixture(scope="module")
def outcomes() -> list[tuple[str, MessyColumn, str | None]]:
    results = []
    for table in messy_tables(TABLE_COUNT):
        for column, got in zip(table.columns, _mapped_fields(table), strict=True):
            results.append((table.setting.name, column, got))
    return results


def test_the_set_is_varied(outcomes):
    # Given the generated set
    kinds = Counter(column.kind for _, column, _ in outcomes)
    settings = {name for name, _, _ in outcomes}
    headers = {column.header for _, column, _ in outcomes if column.kind == "named"}
    # Then it covers every configuration, every kind of column and hundreds of distinct headers
    assert settings == {setting.name for setting in SETTINGS}
    assert min(kinds.values()) >= 30 and set(kinds) == {"named", "noise", "silent", "ambiguous"}
    assert len(headers) >= 500


def test_recall_is_at_least_097_with_no_false_mapping(outcomes, capsys):
    # Given every column of the set that should map, and every column that should not
    expected = [(name, column, got) for name, column, got in outcomes if column.expected is not None]
    # When the engine's mappings are compared with the expected fields
    hits = sum(1 for _, column, got in expected if got == column.expected)
    false = [
        _describe(column, got, name) for name, column, got in outcomes if got is not None and got != column.expected
    ]
    misses = [_describe(column, got, name) for name, column, got in expected if got is None]
    recall = hits / len(expected)
    with capsys.disabled():
        print(
            f"\nmapping on the messy set: {len(outcomes)} columns, {len(expected)} to map, "
            f"recall {recall:.4f}, false mappings {len(false)}"
        )
    # Then recall is at least 0.97 and nothing maps to a field it is not
    assert false == []
    assert recall >= MIN_RECALL, "\n".join(misses)
