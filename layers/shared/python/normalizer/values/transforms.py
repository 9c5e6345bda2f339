"""Text transforms (`trim`, `collapseWhitespace`, `lower`, `upper`, `title`, `digitsOnly`, `personName`), composed once.

Decisions where the spec is silent:
- `collapseWhitespace` turns every run of whitespace into one space but does not trim (that is `trim`).
- `title` is Python's `str.title` ("mary-jane o'neil" → "Mary-Jane O'Neil").
- `digitsOnly` keeps the ASCII digits 0-9 only (not other Unicode digits).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from normalizer.values.names import person_name

TextTransform = Callable[[str], str]

_WHITESPACE_RUN = re.compile(r"\s+")
_NON_DIGITS = re.compile(r"[^0-9]+")


def _collapse_whitespace(text: str) -> str:
    # printable text has no whitespace but the plain space, so without "  " there is nothing to do
    if text.isprintable() and "  " not in text:
        return text
    return _WHITESPACE_RUN.sub(" ", text)


def _trim_and_collapse(text: str) -> str:
    return " ".join(text.split())


def _digits_only(text: str) -> str:
    return _NON_DIGITS.sub("", text)


TRANSFORMS: dict[str, TextTransform] = {
    "trim": str.strip,
    "collapseWhitespace": _collapse_whitespace,
    "lower": str.lower,
    "upper": str.upper,
    "title": str.title,
    "digitsOnly": _digits_only,
    "personName": person_name,
    "trimAndCollapse": _trim_and_collapse,  # internal: what an adjacent trim + collapseWhitespace do
}


def transform_steps(names: Sequence[str]) -> tuple[TextTransform, ...]:
    """The callables applying the named transforms, in order (an adjacent trim and collapseWhitespace
    fused into one). Every one of them keeps "" empty.

    Raises KeyError for an unknown name (the configuration model already rejects those).
    """
    return tuple(TRANSFORMS[name] for name in _merge_trim_and_collapse(names))


def compose_transforms(names: Sequence[str]) -> TextTransform | None:
    """One callable applying the named transforms in order; None when there are none.

    Raises KeyError for an unknown name (the configuration model already rejects those).
    """
    return compose_steps(transform_steps(names))


def compose_steps(steps: Sequence[TextTransform]) -> TextTransform | None:
    """One callable applying `steps` in order; None when there are none."""
    if not steps:
        return None
    if len(steps) == 1:
        return steps[0]
    if len(steps) == 2:
        first, second = steps
        return lambda text: second(first(text))
    chain = tuple(steps)

    def apply_all(text: str) -> str:
        for step in chain:
            text = step(text)
        return text

    return apply_all


def _merge_trim_and_collapse(names: Sequence[str]) -> list[str]:
    """The names with each adjacent trim/collapseWhitespace pair fused into one step (same result,
    one pass)."""
    merged: list[str] = []
    for name in names:
        if merged and {merged[-1], name} == {"trim", "collapseWhitespace"}:
            merged[-1] = "trimAndCollapse"
        else:
            merged.append(name)
    return merged


def may_leave_blank_text(names: Sequence[str]) -> bool:
    """False when the transforms can never leave a whitespace-only string (they trim or keep digits)."""
    return not {"trim", "digitsOnly", "personName"} & set(names)
