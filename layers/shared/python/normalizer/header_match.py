"""Header evidence: how well a column's header text names each configured field.

Headers and the fields' terms (name, label, synonyms) are read into words the same way:

- case, accents, punctuation and spacing do not matter; camelCase, letter-digit runs ("Phone2") and
  French elisions ("d'adhérent") are split; an apostrophe or dot inside a word is dropped ("D.O.B.");
- a short form counts as its long form (`SHORT_FORMS`, the one table of special words: `No.`, `#`,
  `N°`, `Nr`, `Num`, `Nbr` → number; `Qty`, `Amt`, `Tel`, `Addr`, `DOB`, ...);
- a word glued from known words is split ("MEMBERNO" → member number) and a stray letter is glued
  to the known word it completes ("E Mail" → email);
- plural and verb endings (and "-ion") are dropped before words are compared ("Emails" ~ email,
  "Registered" ~ register, "Terminated" ~ termination);
- words in brackets that no term uses are hints, not names ("(required)", "(USD)", "(dd/mm/yyyy)");
- stop words ("of", "de", "der", ...) are ignored except to find a header's head word, the word the
  others qualify: the last word, the last before "of" ("Date of Birth" → date), or a leading "number".

A header's score for a field is the best over the field's terms (`HeaderMatch.kind` in brackets):

- 1.0 (exact): the header is a term once read ("E-mail Address", "DOB", "Member #").
- 0.95 (strong): a term is complete and every other word belongs to the same field ("Mobile #", "Emails").
- 0.70-0.90 (strong): a term is complete and foreign words qualify it ("Primary Email"), more the
  more of the header the field explains.
- 0.70 (partial): the header is part of the field's terms and one of its words names no other field
  and is no generic word ("Birth" for date_of_birth, "Family" for last_name).
- 0.40 (attribute): a term is complete but the head word is foreign: the header names something about
  the field's thing ("Mobile Number", "Email consent", "Customer ID"); values decide.
- 0.40 (vague): the header is part of the field's terms but only says what kind of thing it is (a
  generic word: "Date", "Address") or names several fields ("Member"); values decide.
- up to 0.30 (weak): words in common, but a foreign word qualifies a generic term ("Company Name",
  "Order ID"), or the header holds part of a term next to foreign words ("Start Date").

A word is generic when the terms qualify it (the head of a written multi-word term: "name" in "Full
Name") or another field's word ends with it ("name" in "Vorname", "Surname"). A header that names one
part of a person's name (`NAME_PART_WORDS`: "Given Name", "Name (Last)") is at most weak for a field
none of whose terms names a part, so it is never full_name.

A misspelt or cut-short word is read as the one known word it stands for (the word it begins, or the
closest within one edit, two for long words, keeping the first letter or swapping it with the second),
and the header then scores 0.9 times what the corrected header scores; a typo is thus matched to the
field it is closest to, never to a looser one ("Lsat Name" is last_name). A correction that changed a
letter (which can turn one real word into another: "Employer" → employee) counts only if it completes
a term; one that swapped, dropped or doubled letters may also make a partial match ("Brith").

A header that says nothing ("Column 7", "Misc", "Data", "Unnamed: 3", the generated "Column A", a
lone symbol) is silent: unless a term names it outright, mapping decides its column on values alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rapidfuzz import process
from rapidfuzz.distance import OSA

from normalizer.config import FieldSpec

HeaderKind = Literal["exact", "strong", "partial", "attribute", "vague", "weak", "none"]
Correction = Literal["none", "slip", "change"]
"""How a header's words were corrected: not at all, by a slip (letters swapped, dropped, doubled or the
word cut short), or by a changed letter (which may turn one real word into another: employer → employee)."""

SHORT_FORMS: dict[str, tuple[str, ...]] = {
    "no": ("number",),
    "nr": ("number",),
    "nbr": ("number",),
    "num": ("number",),
    "numero": ("number",),
    "nummer": ("number",),
    "qty": ("quantity",),
    "amt": ("amount",),
    "tel": ("telephone",),
    "mob": ("mobile",),
    "addr": ("address",),
    "adr": ("address",),
    "dob": ("date", "of", "birth"),
    "emp": ("employee",),
    "dt": ("date",),
    "acct": ("account",),
    "dept": ("department",),
    "desc": ("description",),
    "ref": ("reference",),
}
"""Short forms and the long forms they stand for; `#`, `№` and `N°` are read as "number" before this.

French "numéro" and German "Nummer" are here too: they are the words the short forms `N°` and `Nr`
abbreviate, so a configuration that spells one out matches a header that abbreviates it.
"""

STOP_WORDS = frozenset(
    {
        *("a", "an", "and", "at", "by", "for", "in", "on", "or", "per", "the", "to"),
        *("au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les"),
        *("das", "dem", "der", "die", "und", "von", "vom"),
        *("del", "di", "el", "y"),
    }
)
"""Words that carry no meaning in a header (English, French, German, Spanish/Italian)."""

NAME_PART_WORDS = frozenset({"first", "given", "middle", "last", "family", "maiden", "nick"})
"""Words that make "name" one part of a person's name ("Given Name", "Name (Last)"), like the single
words in `NAME_PART_NAMES`: such a header never matches a field none of whose terms names a part."""
NAME_PART_NAMES = frozenset({"surname", "forename", "nickname", "firstname", "lastname", "middlename"})

_OF_WORDS = frozenset({"of", "de", "d", "des", "du", "del", "di", "der", "von"})
"""Words after which a header qualifies its head: "Date of Birth", "Numéro de téléphone"."""

PLACEHOLDER_WORDS = frozenset(
    {
        "blank", "col", "column", "data", "extra", "field", "info", "information", "misc",
        "miscellaneous", "na", "other", "unknown", "unnamed", "untitled", "value",
    }
)  # fmt: skip
"""Words a header that says nothing is made of (with digits and single letters): "Column 7", "Misc"."""

EXACT_SCORE = 1.0
SAME_FIELD_SCORE = 0.95
QUALIFIED_BASE, QUALIFIED_SPAN = 0.70, 0.20
DISTINCT_PART_SCORE = 0.70
VAGUE_SCORE = 0.40
WEAK_SCORE = 0.30
CORRECTION_FACTOR = 0.9
BREAK_MAX_LENGTH = 24

_SYMBOL_NUMBER = re.compile(r"[#№]|(?<![0-9A-Za-z])[Nn]\s?°")
_LOWER_UPPER = re.compile(r"(?<=[a-z])(?=[A-Z])")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_DIGIT_BOUNDARY = re.compile(r"(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")
_ELISION = re.compile(r"\b(qu|[cdjlmnst])['\u2019](?=[a-z])")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_JOINING_PUNCTUATION = re.compile(r"(?<=[0-9a-z])['\u2019.](?=[0-9a-z])")
_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_SEGMENT_BREAK = re.compile(r"\s[-\u2013\u2014]\s|[:/|;,]")
# Plural and verb endings, and "-ion" so that "Terminated" meets "termination".
_INFLECTIONS = (("ies", "y"), ("sses", "ss"), ("ions", ""), ("ion", ""), ("ing", ""), ("ed", ""), ("s", ""))
_KEEP_FINAL_S = ("ss", "us", "is")


def _fold(text: str) -> str:
    """Lower-case ASCII-ish form: accents dropped, camelCase split, apostrophes inside words removed."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(character for character in text if not unicodedata.combining(character))
    return _JOINING_PUNCTUATION.sub("", _LOWER_UPPER.sub(" ", text).lower())


def compact_header(text: str) -> str:
    """A header with everything but letters and digits removed ("E-mail Address" → emailaddress)."""
    return _NON_ALNUM.sub("", _fold(text))


def normalize_header(text: str | None) -> str | None:
    """The report's `headerNormalized`: lower-case words joined by `_` ("E-mail Address" → e_mail_address)."""
    if text is None:
        return None
    words = [token for token in _NON_ALNUM.split(_fold(text)) if token]
    return "_".join(words) or None


@lru_cache(maxsize=65536)
def _raw_words(text: str) -> tuple[str, ...]:
    """A text's lower-case words, symbols for "number" spelt out, elisions and digit runs split."""
    # Each pass runs only when its characters are there: vocabularies read tens of thousands of terms.
    if not text.isascii():
        text = _SYMBOL_NUMBER.sub(" number ", text)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(character for character in text if not unicodedata.combining(character))
    elif "#" in text:
        text = text.replace("#", " number ")
    if not text.isalpha():
        text = _DIGIT_BOUNDARY.sub(" ", text)
    text = text.lower() if text.islower() or text.isupper() else _CAMEL_BOUNDARY.sub(" ", text).lower()
    if "'" in text or "\u2019" in text or "." in text:
        text = _JOINING_PUNCTUATION.sub("", _ELISION.sub(r"\1 ", text))
    return tuple(word for word in _NON_ALNUM.split(text) if word)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A word without its plural or verb ending, and without a final "e" (dates, dated → dat)."""
    if len(word) > 3 and word.isalpha():
        for suffix, replacement in _INFLECTIONS:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                if suffix == "s" and word.endswith(_KEEP_FINAL_S):
                    break
                word = word[: -len(suffix)] + replacement
                break
        if word.endswith("e") and len(word) > 3:
            word = word[:-1]
    return word


_PLACEHOLDER_STEMS = frozenset(map(stem, PLACEHOLDER_WORDS))


def _is_noise(word: str) -> bool:
    """Digits and single letters: they number or letter a column but do not name it."""
    return len(word) < 2 or word.isdigit()


@dataclass(frozen=True, slots=True)
class _Reading:
    """A text read into words: what the matching compares."""

    words: frozenset[str]
    """Stems of the meaningful words (no stop words, digits or single letters)."""
    key: str
    """The long forms of all its words, glued: equal keys are an exact match."""
    heads: frozenset[str]
    """The head word (stem) of each segment outside brackets ("Email - Work" → email, work)."""
    correction: Correction
    """Whether (and how) a misspelt word was read as a known one."""
    placeholder: bool
    """Whether the text is made only of placeholder words, digits and single letters."""
    names_part: bool
    """Whether the text names one part of a person's name (brackets included)."""


@dataclass(frozen=True, slots=True)
class _Term:
    field_position: int
    compact: str
    key: str
    words: frozenset[str]


@dataclass(frozen=True, slots=True)
class HeaderMatch:
    """How well a header names one field: the score in [0, 1] and what kind of match it is."""

    score: float
    kind: HeaderKind

    @property
    def exact(self) -> bool:
        return self.kind == "exact"


NO_MATCH = HeaderMatch(0.0, "none")


class HeaderVocabulary:
    """The header terms of a configuration's fields (name, label, synonyms), ready for matching.

    `matches`, `says_nothing` and `is_known_term` are cached per header text: table detection asks
    them about many cells.
    """

    def __init__(self, fields: Sequence[FieldSpec]) -> None:
        self.fields = tuple(fields)
        texts = [(position, text) for position, field in enumerate(self.fields) for text in _term_texts(field)]
        words_of = {text: _raw_words(text) for _, text in texts}
        raw = {word for words in words_of.values() for word in words}
        long_forms = {word for forms in SHORT_FORMS.values() for word in forms}
        self._known = frozenset(
            word for word in raw | long_forms | SHORT_FORMS.keys() if len(word) > 1 and word not in STOP_WORDS
        )
        self._known_stems = frozenset(map(stem, self._known))
        # A misspelt word is read as a known word, or a glued one as a term's glued form ("fulkname").
        glued_terms = {compact_header(text) for text, words in words_of.items() if len(words) > 1}
        spellings = {word for word in self._known | glued_terms if len(word) >= 4 and word.isalpha()}
        self._spellings = sorted(spellings)
        self._spelling_stems = [stem(word) for word in self._spellings]
        self._break = lru_cache(maxsize=8192)(self._compute_break)
        self._reading = lru_cache(maxsize=8192)(self._compute_reading)
        self._correct = lru_cache(maxsize=8192)(self._compute_correct)
        self._terms: list[_Term] = []
        self._field_words: list[frozenset[str]] = [frozenset() for _ in self.fields]
        qualified_heads: set[str] = set()
        for position, text in texts:
            compact = compact_header(text)
            reading = self._read(text, correct=False)
            if not compact or not reading.key:
                continue
            self._terms.append(_Term(position, compact, reading.key, reading.words))
            self._field_words[position] |= reading.words
            # Heads come from written words (label, synonyms): a snake_case name's word order proves nothing.
            if len(reading.words) > 1 and text != self.fields[position].name:
                qualified_heads |= reading.heads & reading.words
        self._generic = frozenset(qualified_heads | _word_endings_of_other_fields(texts, words_of))
        self._names_part = [False for _ in self.fields]
        for position, text in texts:
            self._names_part[position] = self._names_part[position] or _names_part(words_of[text])
        fields_using: dict[str, int] = {}
        for words in self._field_words:
            for word in words:
                fields_using[word] = fields_using.get(word, 0) + 1
        self._distinct = frozenset(word for word, count in fields_using.items() if count == 1) - self._generic
        self._exact: dict[str, set[int]] = {}
        self._word_terms: dict[str, list[_Term]] = {}
        for term in self._terms:
            self._exact.setdefault(term.compact, set()).add(term.field_position)
            self._exact.setdefault(term.key, set()).add(term.field_position)
            for word in term.words:
                self._word_terms.setdefault(word, []).append(term)
        self._matches = lru_cache(maxsize=4096)(self._compute_matches)
        self._known_term = lru_cache(maxsize=4096)(self._compute_known)
        self._silent = lru_cache(maxsize=4096)(self._compute_silent)

    def matches(self, header: str) -> tuple[HeaderMatch, ...]:
        """Header evidence for every field, in configuration order (score 0, kind "none" when nothing matches)."""
        return self._matches(header)

    def says_nothing(self, header: str | None) -> bool:
        """Whether a header is empty or only placeholder words ("Column 7", "Misc", "Column A") naming no field."""
        return header is None or self._silent(header)

    def is_known_term(self, header: str) -> bool:
        """Whether a header names some field outright or contains all the words of one of its terms.

        Cheap (no spelling correction, cached): used by table detection on many candidate cells.
        """
        return self._known_term(header)

    def _compute_silent(self, header: str) -> bool:
        if self._exact_fields(header):
            return False
        return self._read(header, correct=False).placeholder

    def _compute_known(self, header: str) -> bool:
        if not any(self._knows(word) for word in _raw_words(header)):
            # Most cells (names, numbers, addresses) hold no word of any term: no need to read them.
            return compact_header(header) in self._exact
        if self._exact_fields(header):
            return True
        words = self._read(header, correct=False).words
        return any(term.words <= words for word in words for term in self._word_terms.get(word, ()))

    def _exact_fields(self, header: str) -> set[int]:
        found = set(self._exact.get(compact_header(header), ()))
        key = self._read(header, correct=False).key
        return found | self._exact.get(key, set()) if key else found

    def _compute_matches(self, header: str) -> tuple[HeaderMatch, ...]:
        reading = self._read(header, correct=False)
        if not reading.key:
            return tuple(NO_MATCH for _ in self.fields)
        best = [self._field_match(position, reading) for position in range(len(self.fields))]
        corrected = self._read(header, correct=True)
        if corrected.correction != "none":
            # A changed letter must complete a term; a slip may also make a distinctive part of one.
            accepted = ("exact", "strong") if corrected.correction == "change" else ("exact", "strong", "partial")
            for position in range(len(self.fields)):
                match = self._field_match(position, corrected)
                score = round(match.score * CORRECTION_FACTOR, 4)
                if match.kind in accepted and score > best[position].score:
                    best[position] = HeaderMatch(score, "strong" if match.kind == "exact" else match.kind)
        for position in self._exact_fields(header):
            best[position] = HeaderMatch(EXACT_SCORE, "exact")
        if reading.names_part:
            for position, names_part in enumerate(self._names_part):
                if not names_part and best[position].score > WEAK_SCORE:
                    best[position] = HeaderMatch(WEAK_SCORE, "weak")
        return tuple(best)

    def _field_match(self, position: int, reading: _Reading) -> HeaderMatch:
        """The header's best match for one field, by the rules in the module docstring."""
        words = reading.words
        if not words:
            return NO_MATCH
        if any(term.key == reading.key for term in self._field_terms(position, words)):
            return HeaderMatch(EXACT_SCORE, "exact")
        field_words = self._field_words[position]
        explained = words & field_words
        if not explained:
            return NO_MATCH
        foreign = words - field_words
        head_in_field = not reading.heads or bool(reading.heads & field_words)
        best = NO_MATCH
        for term in self._field_terms(position, words):
            if not term.words <= words:
                continue
            if not foreign:
                return HeaderMatch(SAME_FIELD_SCORE, "strong")
            if not head_in_field:
                candidate = HeaderMatch(VAGUE_SCORE, "attribute")
            elif len(term.words) == 1 and term.words <= self._generic:
                candidate = HeaderMatch(round(WEAK_SCORE * len(explained) / len(words), 4), "weak")
            else:
                share = len(explained) / len(words)
                candidate = HeaderMatch(round(QUALIFIED_BASE + QUALIFIED_SPAN * share, 4), "strong")
            if candidate.score > best.score:
                best = candidate
        if best.kind != "none":
            return best
        if foreign:
            return HeaderMatch(round(WEAK_SCORE * len(explained) / len(words), 4), "weak")
        if words & self._distinct:
            return HeaderMatch(DISTINCT_PART_SCORE, "partial")
        return HeaderMatch(VAGUE_SCORE, "vague")

    def _field_terms(self, position: int, words: Iterable[str]) -> list[_Term]:
        """The terms of one field that share a word with the header."""
        return [term for word in words for term in self._word_terms.get(word, ()) if term.field_position == position]

    def _read(self, text: str, *, correct: bool) -> _Reading:
        """Read a header or term text into words (see the module docstring); cached."""
        return self._reading(text, correct)

    def _compute_reading(self, text: str, correct: bool) -> _Reading:
        all_words = _raw_words(text)
        outside, raw = text, list(all_words)
        if "(" in text or "[" in text:
            stripped = _BRACKETED.sub(" ", text)
            if stripped.strip():
                # Words in brackets that no term uses are hints ("(required)", "(USD)", "(dd/mm/yyyy)"), not names.
                bracketed = _raw_words(" ".join(_BRACKETED.findall(text)))
                outside, raw = stripped, [*_raw_words(stripped), *(word for word in bracketed if self._knows(word))]
        long_words, correction = self._long_forms(raw, correct=correct)
        segments = [segment for segment in _SEGMENT_BREAK.split(outside) if segment]
        if len(segments) == 1 and outside is text:
            segment_heads = [_head(long_words)]
        else:
            segment_heads = [
                _head(self._long_forms(list(_raw_words(segment)), correct=correct)[0]) for segment in segments
            ]
        heads = frozenset(stem(head) for head in segment_heads if head is not None)
        meaningful = [word for word in long_words if word not in STOP_WORDS and not _is_noise(word)]
        return _Reading(
            words=frozenset(map(stem, meaningful)),
            key="".join(long_words),
            heads=heads,
            correction=correction,
            placeholder=all(stem(word) in _PLACEHOLDER_STEMS for word in meaningful),
            names_part=_names_part(all_words),
        )

    def _knows(self, word: str) -> bool:
        return word in self._known or stem(word) in self._known_stems or self._break(word) is not None

    def _long_forms(self, words: list[str], *, correct: bool) -> tuple[list[str], Correction]:
        """Words with stray letters glued, glued words split, short forms expanded and (optionally) typos fixed."""
        result: list[str] = []
        correction: Correction = "none"
        for word in self._glue(words, correct=correct):
            pieces = self._break(word) if word not in SHORT_FORMS else None
            for piece in pieces or (word,):
                if correct and piece.isalpha() and not self._knows(piece) and piece not in STOP_WORDS:
                    fixed = self._correct(piece)
                    if fixed is not None:
                        if correction != "change":
                            correction = "slip" if _is_slip(piece, fixed) else "change"
                        for part in self._break(fixed) or (fixed,):
                            result.extend(SHORT_FORMS.get(part, (part,)))
                        continue
                result.extend(SHORT_FORMS.get(piece, (piece,)))
        return result, correction

    def _glue(self, words: list[str], *, correct: bool) -> list[str]:
        """Glue a stray letter or unknown word to its neighbour when together they make a known word ("e mail"),
        or, when correcting, a stray letter to a misspelt word ("L Naame" → lnaame → lname)."""
        glued: list[str] = []
        for word in words:
            if glued:
                joined = glued[-1] + word
                if joined in self._known and (glued[-1] not in self._known or word not in self._known):
                    glued[-1] = joined
                    continue
                if correct and len(glued[-1]) == 1 and not self._knows(word) and self._correct(joined) is not None:
                    glued[-1] = joined
                    continue
            glued.append(word)
        return glued

    def _compute_break(self, word: str) -> tuple[str, ...] | None:
        """A word split into two or three known words, a stop word allowed between ("memberno" → member, no;
        "numerodetel" → numero, de, tel), or None."""
        if len(word) < 4 or len(word) > BREAK_MAX_LENGTH or not word.isalpha():
            return None
        known = self._known
        for cut in range(2, len(word) - 1):
            first, rest = word[:cut], word[cut:]
            if first not in known:
                continue
            if rest in known:
                return (first, rest)
            for second_cut in range(2, len(rest) - 1):
                middle, last = rest[:second_cut], rest[second_cut:]
                if (middle in known or middle in STOP_WORDS) and last in known:
                    return (first, middle, last)
        return None

    def _compute_correct(self, word: str) -> str | None:
        """The known word a misspelt or cut-short word stands for, or None (too short, no match, or a tie).

        In order: the one known word it begins ("Geburtsdat." → geburtsdatum); the closest known word within
        one edit, two when both are long ("Lsat" → last); the same between stems ("Atendees" → attendee).
        """
        if len(word) < 4 or word in PLACEHOLDER_WORDS:
            return None
        found = self._one_reading([known for known in self._spellings if known.startswith(word) and known != word])
        if found is not None:
            return found
        for probe, pool in ((word, self._spellings), (stem(word), self._spelling_stems)):
            plausible = [
                (self._spellings[index], distance)
                for _, distance, index in process.extract(probe, pool, scorer=OSA.distance, score_cutoff=2, limit=None)
                if _plausible_typo(word, self._spellings[index], distance)
            ]
            if plausible:
                closest = min(distance for _, distance in plausible)
                return self._one_reading([known for known, distance in plausible if distance == closest])
        return None

    def _one_reading(self, spellings: Sequence[str]) -> str | None:
        """The first of `spellings` when they all read as the same words (e.g. "number" and "nummer"), else None."""
        readings = {
            tuple(
                stem(long) for piece in self._break(known) or (known,) for long in SHORT_FORMS.get(piece, (piece,))
            ): known
            for known in spellings
        }
        return next(iter(readings.values())) if len(readings) == 1 else None


def _is_slip(word: str, known: str) -> bool:
    """Whether a correction only swapped, dropped or doubled letters, or completed a word cut short."""
    return (
        known.startswith(word)
        or sorted(word) == sorted(known)
        or OSA.distance(word, known) == abs(len(word) - len(known))
    )


def _plausible_typo(word: str, known: str, distance: int) -> bool:
    """Typos keep the first letter or swap it with the second and make one edit (two when both words are
    long and about as long as each other); a four-letter word is two letters swapped or one dropped from
    a five-letter word."""
    limit = 2 if min(len(word), len(known)) >= 9 else 1
    if distance > limit or abs(len(word) - len(known)) > limit:
        return False
    if not (word[0] == known[0] or word[:2] == known[1::-1]):
        return False
    if len(word) == 4:
        return sorted(word) == sorted(known) or len(known) == 5
    return True


def _head(words: Sequence[str]) -> str | None:
    """The word the others qualify: the last meaningful word, the last one before "of"/"de", or a leading
    "number" ("N° adhérent", "Nr. Mitglied")."""
    if words and words[0] == "number":
        return "number"
    for index, word in enumerate(words):
        if word in _OF_WORDS and index > 0:
            before = [item for item in words[:index] if item not in STOP_WORDS and not _is_noise(item)]
            if before:
                return before[-1]
    meaningful = [word for word in words if word not in STOP_WORDS and not _is_noise(word)]
    return meaningful[-1] if meaningful else None


def _word_endings_of_other_fields(texts: Sequence[tuple[int, str]], words_of: dict[str, tuple[str, ...]]) -> set[str]:
    """Term words (stems) that end a longer word of another field: "name" in "Vorname", "Surname"."""
    owners: dict[str, set[int]] = {}
    for position, text in texts:
        for word in words_of[text]:
            if len(word) >= 3:
                owners.setdefault(word, set()).add(position)
    return {
        stem(word[cut:])
        for word, word_owners in owners.items()
        for cut in range(3, len(word) - 2)
        if len(owners.get(word[cut:], word_owners) | word_owners) > 1
    }


def _names_part(words: Sequence[str]) -> bool:
    """Whether words name one part of a person's name (see `NAME_PART_WORDS`)."""
    unique = set(words)
    return bool(unique & NAME_PART_NAMES or (unique & NAME_PART_WORDS and unique & {"name", "names"}))


def _term_texts(field: FieldSpec) -> list[str]:
    return [field.name, field.display_label, *field.synonyms]
