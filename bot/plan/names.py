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


# 市住建局、市自然资源规划局等市级有关部门: the named units, then the group they stand for.
# The named part must end as a body's name does (高等教育管理部门 is no list).
_GROUP = re.compile(
    r"^(?P<named>.+?[局委办府会司院所队部厅处室心团行站])等"
    r"(?P<group>[^等]{2,}(?:部门|单位|机构|企业|乡镇|街道))$"
)


def _parts(text: str) -> list[str]:
    """Split at the separators outside brackets: 各区(县、市)政府 stays one name.

    A bracket never closed protects nothing: `市水务局(、市农业局` splits as if it were not there.
    """
    if _unbalanced(text):
        return _UNIT_SEPARATORS.split(text)
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char in "(（[【":
            depth += 1
        elif char in ")）]】":
            depth = max(0, depth - 1)
        if depth == 0 and _UNIT_SEPARATORS.fullmatch(char):
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _unbalanced(text: str) -> bool:
    depth = 0
    for char in text:
        if char in "(（[【":
            depth += 1
        elif char in ")）]】":
            depth -= 1
            if depth < 0:
                return True
    return depth != 0


def split_units(cell: str) -> tuple[str, ...]:
    """Split a 责任单位 cell into unit names, lead unit first, each once.

    Separators inside brackets do not split (各区(县、市)政府 is one body), and `X等Y部门`
    is X and then Y (市自然资源规划局等市级有关部门 → 市自然资源规划局, 市级有关部门).
    """
    units: dict[str, None] = {}
    for part in _parts(unicodedata.normalize("NFKC", cell)):
        name = normalise_name(part)
        if not name:
            continue
        group = _GROUP.match(name)
        for piece in (group.group("named"), group.group("group")) if group else (name,):
            units.setdefault(piece, None)
    return tuple(units)
