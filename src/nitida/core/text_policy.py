"""The one policy for text a person sends: which characters no field may hold.

Applied to every string of every request body (core.schemas.ApiInput) and to
query parameters (core.middleware). Refused, because they are never business
text and can hide or reorder what a reader sees, or break storage:

* C0 controls except tab, line feed and carriage return; DEL; C1 controls;
* bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069),
  e.g. U+202E, which shows "gpj.exe" as "exe.jpg";
* the line and paragraph separators U+2028 and U+2029 (line breaks some
  readers honour and others do not);
* non-characters (U+FDD0-U+FDEF and the last two code points of every plane)
  and lone surrogates (PostgreSQL cannot store them).
"""

from __future__ import annotations

import re

_ALLOWED_CONTROLS = "\t\n\r"
_BIDI_CONTROLS = frozenset(range(0x202A, 0x202F)) | frozenset(range(0x2066, 0x206A))
_SEPARATORS = frozenset({0x2028, 0x2029})

# The same policy as one regular expression, for the hot paths (query strings, long bodies).
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufdd0-\ufdef\ud800-\udfff"
    + "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17))
    + "]"
)


def forbidden_kind(ch: str) -> str | None:
    """Why ``ch`` may not appear in text, or None when it may."""
    code = ord(ch)
    if (code < 0x20 and ch not in _ALLOWED_CONTROLS) or 0x7F <= code <= 0x9F:
        return "control characters"
    if code in _BIDI_CONTROLS:
        return "bidirectional override characters"
    if code in _SEPARATORS:
        return "line or paragraph separators"
    if 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE:
        return "non-characters"
    if 0xD800 <= code <= 0xDFFF:
        return "unpaired surrogates"
    return None


def check_text(value: str) -> str:
    """``value`` unchanged, or ValueError naming the first forbidden character."""
    match = FORBIDDEN.search(value)
    if match is None:
        return value
    ch = match.group()
    raise ValueError(f"must not contain {forbidden_kind(ch)} (U+{ord(ch):04X} at position {match.start() + 1})")
