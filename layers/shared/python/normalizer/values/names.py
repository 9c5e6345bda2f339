"""The `personName` transform: `Last, First` → `First Last`, whitespace collapsed, natural case.

Decisions where the spec is silent:
- Only a name written entirely in capitals or entirely in lower case is re-cased; a mixed-case name
  (`DeShawn`, `McNeil`) is the writer's own spelling and is kept.
- `Last, First[, Suffix]` becomes `First Last Suffix`; text with more commas is left in its order.
- Particles (`van`, `der`, `de`, `la`, `von`, ...) before another word are lower case, as the spec
  writes `van der Berg`.
- `Mc` takes a capital after it (`MCNEIL` → `McNeil`); `Mac` does not (`MACK` → `Mack`), since it is
  just as often a plain syllable.
- Each part after an apostrophe or a hyphen is capitalised (`O'Connor`, `St-Pierre`); a one-letter
  part after an apostrophe that ends the word is not (`JAMES'` stays `James'`).
"""

from __future__ import annotations

import re

PARTICLES = frozenset({"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le", "ter", "ten"})
SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
_PART_SEPARATOR = re.compile(r"([-'\u2019])")


def person_name(text: str) -> str:
    """The name in `First Last` order with collapsed whitespace and natural case (see the module doc)."""
    words = " ".join(text.split())
    if not words:
        return words
    parts = [part.strip() for part in words.split(",")]
    named = [part for part in parts if part]
    if len(parts) == 2 and len(named) == 2:
        words = f"{parts[1]} {parts[0]}"
    elif len(parts) == 3 and len(named) == 3 and parts[2].lower() in SUFFIXES:
        words = f"{parts[1]} {parts[0]} {parts[2]}"
    elif len(named) == 1:  # "Smith," or ", Smith": a single token, kept without the stray comma
        words = named[0]
    tokens = words.split(" ")
    if not _single_case([ch for ch in words if ch.isalpha()]):
        return words
    last = len(tokens) - 1
    return " ".join(_natural_case_token(token, last=index == last) for index, token in enumerate(tokens))


def _single_case(letters: list[str]) -> bool:
    joined = "".join(letters)
    return bool(joined) and (joined.isupper() or joined.islower())


def _natural_case_token(token: str, *, last: bool) -> str:
    lowered = token.lower()
    if not last and lowered in PARTICLES:
        return lowered
    if lowered in SUFFIXES and lowered.startswith(("i", "v")):
        return token.upper()
    return _natural_case_word(token)


def _natural_case_word(word: str) -> str:
    pieces = _PART_SEPARATOR.split(word.lower())
    cased: list[str] = []
    for index, piece in enumerate(pieces):
        if index % 2 == 1:  # a separator
            cased.append(piece)
            continue
        after_apostrophe = index > 0 and pieces[index - 1] in ("'", "\u2019")
        if after_apostrophe and len(piece) <= 1 and index == len(pieces) - 1:
            cased.append(piece)  # a possessive or elided ending: "JAMES'" -> "James'"
        else:
            cased.append(_capitalise(piece))
    return "".join(cased)


def _capitalise(piece: str) -> str:
    if not piece:
        return piece
    if piece.startswith("mc") and len(piece) > 2:
        return "Mc" + piece[2].upper() + piece[3:]
    return piece[0].upper() + piece[1:]
