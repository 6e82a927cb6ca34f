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
    return _split_outside_brackets(text, _UNIT_SEPARATORS)


def _split_outside_brackets(text: str, marks: re.Pattern[str]) -> list[str]:
    """Split `text` at the characters `marks` matches, except inside balanced brackets."""
    if _unbalanced(text):
        return marks.split(text)
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char in "(（[【":
            depth += 1
        elif char in ")）]】":
            depth = max(0, depth - 1)
        if depth == 0 and marks.fullmatch(char):
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


# X等部门, X等相关部门: the group says only "and others", so X alone is meant. A group that
# says whom (市级有关部门, 相关单位 as the tables write it) is kept as a name of its own.
_VAGUE_GROUPS = frozenset({"部门", "单位", "相关部门", "有关部门", "其他部门", "其他单位"})
_VAGUE_TAIL = re.compile(
    r"^(?P<named>.+?[局委办府会司院所队部厅处室心团行站])等(?:(?:相关|有关|其他)?部门|(?:其他)?单位)$"
)

# A labelled cell: 牵头单位：市住建局；配合单位：市自然资源局、市生态环境局.
_LEAD_LABELS = (
    "牵头单位",
    "牵头部门",
    "牵头责任单位",
    "主办单位",
    "主责单位",
    "责任单位",
    "牵头",
    "主办",
)
_ASSIST_LABELS = (
    "配合单位",
    "配合部门",
    "协办单位",
    "协同单位",
    "协助单位",
    "参与单位",
    "配合",
    "协办",
    "协同",
)
_LABEL = re.compile(
    "(?P<label>"
    + "|".join(sorted((*_LEAD_LABELS, *_ASSIST_LABELS), key=len, reverse=True))
    + r")\s*[:：]"
)
# A clause marked by its verb: 市税务局牵头, 各有关单位配合 (由市税务局牵头 too).
_MARKED = re.compile(
    r"^(?:由)?(?P<units>.+?)(?P<mark>牵头负责|牵头|主办|负责|配合|协办|协同|协助|参与)"
    r"(?:实施|落实|推进)?$"
)
_ASSIST_MARKS = ("配合", "协办", "协同", "协助", "参与")
# 市住建局(牵头): a unit marked in brackets (NFKC has made （） plain).
_BRACKET_MARK = re.compile(
    r"^(?P<name>.+?)\((?P<mark>牵头(?:单位)?|主办|负责|配合(?:单位)?|协办|协同|协助|参与)\)$"
)
_LEAD_MARKS = ("牵头", "牵头单位", "主办", "负责")
_CLAUSES = re.compile(r"[；;，,。]+")


def _names(text: str) -> list[str]:
    """Split one run of units (no 牵头/配合 in it) into names."""
    names: list[str] = []
    for part in _parts(text):
        name = normalise_name(part)
        if not name or not any(c.isalnum() for c in name):
            continue  # brackets and separators alone ([,]) name nothing
        if vague := _VAGUE_TAIL.match(name):
            names.append(vague.group("named"))
            continue
        group = _GROUP.match(name)
        if group and group.group("group") in _VAGUE_GROUPS:
            names.append(group.group("named"))
        elif group:
            names.extend((group.group("named"), group.group("group")))
        else:
            names.append(name)
    return names


def _clauses(text: str) -> list[str]:
    """Split at the clause marks outside brackets (各区(县，市)政府 stays whole)."""
    return _split_outside_brackets(text, _CLAUSES)


def split_lead_and_assisting(cell: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split a units cell into (lead units, assisting units), each name once, in table order.

    `市税务局牵头，各有关单位配合` → (市税务局,), (各有关单位,);
    `牵头单位：市住建局；配合单位：市自然资源局、市生态环境局` → (市住建局,), (the other two);
    a cell saying neither is all lead units, as split_units reads them. Units after a
    牵头 clause and not marked themselves are assisting (`市税务局牵头，市财政局`).
    No name keeps 牵头, 配合 or a label.
    """
    text = unicodedata.normalize("NFKC", cell)
    lead: list[str] = []
    assisting: list[str] = []
    labels = list(_LABEL.finditer(text))
    if labels:
        before = text[: labels[0].start()]
        lead.extend(_names(before.strip("；;，,。 ")))
        for index, label in enumerate(labels):
            end = labels[index + 1].start() if index + 1 < len(labels) else len(text)
            chunk = text[label.end() : end].strip("；;，,。 ")
            target = assisting if label.group("label") in _ASSIST_LABELS else lead
            target.extend(_marked_or_plain(chunk))
    else:
        pending: list[str] = []
        lead_seen = False
        for clause in _clauses(text):
            clause = clause.strip()
            if not clause:
                continue
            marked = _MARKED.match(clause)
            if marked is None:
                if lead_seen:
                    assisting.extend(_names(clause))
                else:
                    pending.extend(_names(clause))
                continue
            names = [*pending, *_names(marked.group("units"))]
            pending = []
            if marked.group("mark") in _ASSIST_MARKS:
                assisting.extend(names)
            else:
                lead.extend(names)
                lead_seen = True
        lead.extend(pending)
    lead, assisting = _bracket_marks(lead, assisting)
    leads = tuple(dict.fromkeys(lead))
    return leads, tuple(n for n in dict.fromkeys(assisting) if n not in leads)


def _bracket_marks(lead: list[str], assisting: list[str]) -> tuple[list[str], list[str]]:
    """Read 市住建局(牵头)、市财政局: the marked unit leads, the others beside it assist."""
    marks = [_BRACKET_MARK.match(name) for name in lead]
    if not any(marks) and not any(_BRACKET_MARK.match(name) for name in assisting):
        return lead, assisting
    marked_lead = any(m and m.group("mark") in _LEAD_MARKS for m in marks)
    new_lead: list[str] = []
    new_assisting: list[str] = []
    for name, m in zip(lead, marks, strict=True):
        if m is None:
            (new_assisting if marked_lead else new_lead).append(name)
        else:
            (new_lead if m.group("mark") in _LEAD_MARKS else new_assisting).append(m.group("name"))
    for name in assisting:
        m = _BRACKET_MARK.match(name)
        new_assisting.append(m.group("name") if m else name)
    return new_lead, new_assisting


def _marked_or_plain(chunk: str) -> list[str]:
    """Read a labelled chunk's names, a 牵头/配合 verb at its end dropped."""
    marked = _MARKED.match(chunk.strip())
    return _names(marked.group("units") if marked else chunk)


def split_units(cell: str) -> tuple[str, ...]:
    """Split a 责任单位 cell into unit names, lead unit first, each once.

    Separators inside brackets do not split (各区(县、市)政府 is one body), `X等Y部门`
    is X and then Y (市自然资源规划局等市级有关部门 → 市自然资源规划局, 市级有关部门), and
    `X等部门`/`X等相关部门` is X. A cell naming lead and assisting units
    (`市税务局牵头，各有关单位配合`) gives the lead units, then the assisting ones, without the
    words 牵头/配合: split_lead_and_assisting tells them apart.
    """
    lead, assisting = split_lead_and_assisting(cell)
    return tuple(dict.fromkeys((*lead, *assisting)))
