"""Normalise the names of leaders and units so that one person or body is stored once."""

from __future__ import annotations

import re
import unicodedata

# Units in one cell are separated by spaces (the source tables), or by the ideographic comma
# (\u3001), commas, semicolons and slashes.
_UNIT_SEPARATORS = re.compile(r"[\s\u3001，,；;/／]+")


def normalise_name(name: str) -> str:
    """Return a leader's or unit's name in one form: NFKC, no spaces (`曹 临` → `曹临`)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))


def split_units(cell: str) -> tuple[str, ...]:
    """Split a 责任单位 cell into unit names, lead unit first, each once."""
    units: dict[str, None] = {}
    for part in _UNIT_SEPARATORS.split(unicodedata.normalize("NFKC", cell)):
        if part:
            units.setdefault(normalise_name(part), None)
    return tuple(units)
