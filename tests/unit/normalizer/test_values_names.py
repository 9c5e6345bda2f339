"""The `personName` transform (spec: configuration.md, transforms)."""

from __future__ import annotations

import pytest

from normalizer.values.transforms import compose_transforms


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Lovelace, Ada", "Ada Lovelace"),
        ("  LOVELACE ,   ADA  ", "Ada Lovelace"),
        ("o'connor, mary", "Mary O'Connor"),
        ("ST-PIERRE, JEAN-LUC", "Jean-Luc St-Pierre"),
        ("MCNEIL, ANGUS", "Angus McNeil"),
        ("VAN DER BERG, JAN", "Jan van der Berg"),
        ("jan van der berg", "Jan van der Berg"),
        ("SMITH, JOHN, JR", "John Smith Jr"),
        ("smith, john, iii", "John Smith III"),
    ],
)
def test_person_name_reorders_and_gives_natural_case(raw: str, expected: str) -> None:
    transform = compose_transforms(["personName"])
    assert transform is not None
    assert transform(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("DeShawn   McKay", "DeShawn McKay"),  # mixed case is the writer's spelling: only whitespace changes
        ("Madonna", "Madonna"),
        ("MADONNA", "Madonna"),
        ("Smith,", "Smith"),
        ("MACK", "Mack"),  # Mac is a plain syllable as often as a prefix
        ("", ""),
    ],
)
def test_person_name_keeps_single_tokens_and_mixed_case(raw: str, expected: str) -> None:
    transform = compose_transforms(["personName"])
    assert transform is not None
    assert transform(raw) == expected
