"""Text from imports and users made harmless to show: no control characters, no bidi tricks."""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL and the C1 controls; and the bidi marks, embeddings,
# overrides and isolates, which can make a shown name read backwards (U+202E) or hide text.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def harmless(text: str) -> str:
    """Return `text` without control characters and bidirectional formatting characters."""
    return _UNSAFE.sub("", text)
