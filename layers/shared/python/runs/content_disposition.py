"""`Content-Disposition: attachment` values that no file name can break (RFC 6266, RFC 8187).

The value travels to S3 inside a presigned URL (`response-content-disposition`) and comes back as a
response header, so it must be printable ASCII whatever the stored name holds: quotes, semicolons,
backslashes, line breaks, control or bidirectional-override characters, or any non-ASCII text.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

MAX_FILENAME_CHARACTERS = 255
# RFC 8187 attr-char beyond letters and digits (quote() always keeps "_.-~").
_ATTR_CHARS = "!#$&+^`|"
# Characters a quoted `filename=` must not carry: the quote and escape characters, parameter and
# path separators, and `%` (some browsers percent-decode the plain parameter).
_UNSAFE_IN_FALLBACK = frozenset('"\\;:%/')
# Control, format (bidi overrides that disguise an extension), surrogate, line and paragraph separators.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def clean_filename(name: str, default: str) -> str:
    """`name` without characters that never belong in a file name, trimmed and capped; `default` if empty."""
    kept = "".join(ch for ch in name if unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    kept = kept.strip()[:MAX_FILENAME_CHARACTERS].strip()
    return kept or default


def attachment(filename: str, *, default: str = "download") -> str:
    """`attachment; filename="<ASCII fallback>"`, plus `filename*=UTF-8''<name>` when the name is not plain ASCII."""
    name = clean_filename(filename, default)
    fallback = "".join(ch if " " <= ch <= "~" and ch not in _UNSAFE_IN_FALLBACK else "_" for ch in name)
    value = f'attachment; filename="{fallback}"'
    if fallback != name:
        value += "; filename*=UTF-8''" + quote(name, safe=_ATTR_CHARS)
    return value
