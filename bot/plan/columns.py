"""Find a table's header row and what each column holds: by name, by position, by content.

The names are data (columns.toml), so that a maintainer can add a government's own header
names and status words without touching this code.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from importlib import resources
from typing import Any, Protocol, runtime_checkable

from bot.i18n import Translator
from bot.plan.tables import Row, Sheet, TableError

# Every role a column can have, in the order messages and previews name them.
ROLES = (
    "number",
    "content",
    "leader",
    "deadline",
    "units",
    "assisting",
    "progress",
    "on_schedule",
    "percent",
    "planned",
    "actual",
    "rate",
)
EXTRA = "extra"
REQUIRED = ("number", "content")
MAX_HEADER_CHARS = 40  # a longer cell is a title or data, never a header
SAMPLE_ROWS = 200  # data rows looked at to tell a column by its content
LOOKAHEAD_ROWS = 2  # rows under a header that may be the fuller header (two-row headers)
CONTENT_SHARE = 0.8  # share of a column's values that must look alike to name it by content

_TAIL = re.compile(r"(?:\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|%)+$")
_PERCENT_VALUE = re.compile(r"\d{1,3}(?:\.\d+)?%")
_MAPPING_PAIRS = re.compile(r"[,，;；\n]+")


@dataclass(frozen=True)
class ColumnUse:
    """What one column of the header is taken as: a role of ROLES, or "extra"."""

    index: int
    header: str
    role: str


@dataclass(frozen=True)
class Header:
    """The header row of a table and the use of each of its columns."""

    index: int  # position of the header row in its sheet's rows
    row: Row
    uses: tuple[ColumnUse, ...]

    @property
    def roles(self) -> dict[str, int]:
        """Map each role the table has (not "extra") to its column index."""
        return {use.role: use.index for use in self.uses if use.role != EXTRA}

    @property
    def extras(self) -> tuple[ColumnUse, ...]:
        """Return the table's own other columns (备注, 项目责任人 …), kept with the targets."""
        return tuple(use for use in self.uses if use.role == EXTRA)

    def header_of(self, role: str) -> str:
        """Return the header text of a role's column, or the usual one when there is none."""
        use = next((u for u in self.uses if u.role == role), None)
        return use.header if use is not None and use.header else vocabulary().headers[role]

    @cached_property
    def _by_text(self) -> dict[str, str]:
        return {normalise(u.header): u.role for u in self.uses if u.header}

    @cached_property
    def _number_names(self) -> frozenset[str]:
        named = {name for name, role in vocabulary().names.items() if role == "number"}
        return frozenset(named | {text for text, role in self._by_text.items() if role == "number"})

    @cached_property
    def _plain_number_name(self) -> bool:
        """Tell whether a 序号 header name is plain digits (else a digits cell is never one)."""
        return any(name.isascii() and name.isdigit() for name in self._number_names)

    def reread(self, row: Row) -> Header | None:
        """Read a row as this header repeated (page breaks), maybe in another column order."""
        numbers, skip = self._number_names, not self._plain_number_name
        for cell in row.cells:  # a loop, not any(…): this runs for every row of a table
            if (
                cell
                and len(cell) <= 20
                and not (skip and cell.isascii() and cell.isdigit())
                and normalise(cell) in numbers
            ):
                break
        else:
            return None  # no 序号 header: a data row (the quick answer for nearly every row)
        by_text = self._by_text
        roles: dict[int, str] = {}
        taken: set[str] = set()
        for index, cell in enumerate(row.cells):
            name = normalise(cell)
            role = by_text.get(name) if name else None
            if role is None and name:
                hit = _recognise(name)
                role = hit[0] if hit else EXTRA
            if role is None:
                continue
            if role != EXTRA and role in taken:
                role = EXTRA
            taken.add(role)
            roles[index] = role
        for use in self.uses:  # a column the first header named by content only, unnamed
            if not use.header and use.index not in roles and use.role not in taken:
                roles[use.index] = use.role
                taken.add(use.role)
        if not set(REQUIRED) <= taken:
            return None
        return Header(self.index, row, _uses(row, roles))


@runtime_checkable
class Localised(Protocol):
    """A message value that is written in the reader's language (role names, lists of them)."""

    def render(self, t: Translator, language: str | None) -> str: ...


@dataclass(frozen=True)
class RoleNames:
    """Roles named in a message: “内容”、“序号” (zh) or “content”, “number” (en)."""

    roles: tuple[str, ...]
    quoted: bool = True

    def render(self, t: Translator, language: str | None) -> str:
        """Return the roles' names in the language."""
        names = [t(f"import.role.{role}", language) for role in self.roles]
        return t.join(
            (t("import.role.quoted", language, name=n) for n in names) if self.quoted else names,
            language,
        )


@dataclass(frozen=True)
class Recognised:
    """The columns recognised in a header: 序号=序号、牵头单位=单位 (header = role)."""

    pairs: tuple[tuple[str, str], ...]

    def render(self, t: Translator, language: str | None) -> str:
        """Return the header = role pairs in the language, or "none"."""
        if not self.pairs:
            return t("import.role.none", language)
        return t.join(
            (
                t("import.role.pair", language, header=h, role=t(f"import.role.{r}", language))
                for h, r in self.pairs
            ),
            language,
        )


# ---------------------------------------------------------------------------- the vocabulary


@dataclass(frozen=True)
class Vocabulary:
    """columns.toml, ready to match: names, patterns, aliases and status words."""

    names: dict[str, str]
    or_planned: frozenset[str]
    lead: frozenset[str]
    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    aliases: dict[str, str]
    headers: dict[str, str]
    status: dict[str, str]
    behind_in_progress: tuple[str, ...]
    negations: tuple[str, ...]


@lru_cache(maxsize=4096)  # every row's short cells are looked at for a repeated header
def normalise(text: str) -> str:
    """Return a header or status cell as compared: NFKC, without spaces and line breaks."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _without_tail(name: str) -> str:
    return _TAIL.sub("", name)


@cache
def vocabulary() -> Vocabulary:
    """Return columns.toml, checked: every role known, no name given to two roles."""
    text = resources.files("bot.plan").joinpath("columns.toml").read_text(encoding="utf-8")
    data: dict[str, Any] = tomllib.loads(text)
    known = (*ROLES, EXTRA)
    roles: dict[str, Any] = data["role"]
    if set(roles) != set(known):
        raise ValueError(f"columns.toml: roles {sorted(roles)} are not {sorted(known)}")
    names: dict[str, str] = {}
    aliases: dict[str, str] = {role: role for role in known}
    for role, entry in roles.items():
        for name in entry["names"]:
            key = normalise(name)
            if names.setdefault(key, role) != role:
                raise ValueError(f"columns.toml: {name} is named for {names[key]} and {role}")
        for alias in entry["aliases"]:
            key = normalise(alias)
            if aliases.setdefault(key, role) != role:
                raise ValueError(f"columns.toml: alias {alias} of {aliases[key]} and {role}")
    patterns = []
    for entry in data["pattern"]:
        if entry["role"] not in ROLES:
            raise ValueError(f"columns.toml: a pattern of unknown role {entry['role']}")
        patterns.append((str(entry["role"]), re.compile(entry["regex"])))
    status: dict[str, str] = {}
    words: dict[str, Any] = data["status"]
    for value in ("on_track", "behind", "completed"):
        for word in words[value]:
            if status.setdefault(normalise(word), value) != value:
                raise ValueError(f"columns.toml: status word {word} is two statuses")
    in_progress = words["in_progress"]
    return Vocabulary(
        names=names,
        or_planned=frozenset(normalise(n) for n in roles["content"].get("or_planned", ())),
        lead=frozenset(normalise(n) for n in roles["units"].get("lead", ())),
        patterns=tuple(patterns),
        aliases=aliases,
        headers={role: str(entry["header"]) for role, entry in roles.items()},
        status=status,
        behind_in_progress=tuple(sorted(in_progress["behind"], key=len, reverse=True)),
        negations=tuple(in_progress["negations"]),
    )


@lru_cache(maxsize=4096)  # every data row is tried as a repeated header: cells recur
def _recognise(name: str) -> tuple[str, bool] | None:
    """Return the role a normalised header names, and whether it is a weak content name."""
    if not name or len(name) > MAX_HEADER_CHARS:
        return None
    words = vocabulary()
    short = _without_tail(name)
    for candidate in dict.fromkeys((name, short)):
        if candidate in words.names:
            return words.names[candidate], False
        if candidate in words.or_planned:
            return "content", True
        for role, pattern in words.patterns:
            if pattern.search(candidate):
                return role, False
    return None


def role_of_header(cell: str) -> str | None:
    """Return the role a header cell names by itself (without its table), if any."""
    hit = _recognise(normalise(cell))
    return hit[0] if hit else None


def _is_lead(name: str) -> bool:
    short = _without_tail(name)
    return name in vocabulary().lead or short in vocabulary().lead or short.startswith("牵头")


# ---------------------------------------------------------------------------- reading a header


def _read_row(row: Row, mapping: Mapping[str, str]) -> dict[int, str]:
    """Give each cell of a row the role its name (or the by-hand mapping) gives it.

    A role goes to one column only. A second 责任单位 beside 牵头单位 holds the assisting units;
    目标任务 is the planned quantity when another column is the content.
    """
    by_hand = {normalise(header): role for role, header in mapping.items()}
    roles: dict[int, str] = {}
    taken: set[str] = set()
    found: list[tuple[int, str, bool, str]] = []
    for index, cell in enumerate(row.cells):
        name = normalise(cell)
        if not name:
            continue
        if name in by_hand:  # a second cell of the same text, or one mapped to "extra"
            role = by_hand[name] if by_hand[name] not in taken else EXTRA
            roles[index] = role
            taken.add(role)
            continue
        hit = _recognise(name)
        if hit is not None:
            found.append((index, hit[0], hit[1], name))
        else:
            roles[index] = EXTRA

    def give(index: int, role: str) -> None:
        if role not in taken:
            roles[index] = role
            taken.add(role)

    for index, role, weak, _ in found:
        if role not in ("units", "content") or (role == "content" and not weak):
            give(index, role)
    units = [(index, name) for index, role, _, name in found if role == "units"]
    leads = [index for index, name in units if _is_lead(name)]
    if units:
        give(leads[0] if leads else units[0][0], "units")
        if leads:
            for index, _ in units:
                if index not in roles and index not in leads:
                    give(index, "assisting")
    for index, role, weak, _ in found:
        if role == "content" and weak:
            give(index, "planned" if "content" in taken else "content")
    for index, *_ in found:
        roles.setdefault(index, EXTRA)
    return dict(sorted(roles.items()))


def _uses(row: Row, roles: Mapping[int, str]) -> tuple[ColumnUse, ...]:
    return tuple(
        ColumnUse(index, re.sub(r"\s+", "", row.cell(index)), role)
        for index, role in sorted(roles.items())
    )


def _is_header(roles: Mapping[int, str]) -> bool:
    return set(REQUIRED) <= set(roles.values())


def _data_values(rows: Sequence[Row], index: int) -> list[str]:
    """Return a column's values in the rows under a header, headings and notes left out."""
    values: list[str] = []
    for row in rows[:SAMPLE_ROWS]:
        filled = {cell for cell in row.cells if cell}
        if len(filled) <= 1:
            continue  # blank, or one text across the row (a heading, a merged note)
        value = normalise(row.cell(index))
        if value:
            values.append(value)
    return values


def _by_content(values: Sequence[str]) -> str | None:
    """Return the role a column's values show: 是/否 (a status) or 28% (a share done)."""
    if not values:
        return None
    needed = CONTENT_SHARE * len(values)
    if sum(1 for v in values if read_status(v) is not None) >= needed:
        return "on_schedule"
    if sum(1 for v in values if _PERCENT_VALUE.fullmatch(v)) >= needed:
        return "percent"
    return None


def find_header(sheet: Sheet, mapping: Mapping[str, str] | None = None) -> Header | None:
    """Return the header of a sheet: the first row naming a number and a content column.

    Of that row and the next LOOKAHEAD_ROWS, the one with the most roles wins (a header over
    two rows, 责任单位 above 牵头单位 and 配合单位). Columns that no name places are placed by
    their values where they can be: 是/否 is the status, 28% the percentage done.
    """
    mapping = mapping or {}
    rows = sheet.rows
    for index, row in enumerate(rows):
        roles = _read_row(row, mapping)
        if not _is_header(roles):
            continue
        best, best_roles = index, roles
        for below in range(index + 1, min(index + 1 + LOOKAHEAD_ROWS, len(rows))):
            candidate = _read_row(rows[below], mapping)
            if _is_header(candidate) and _count(candidate) > _count(best_roles):
                best, best_roles = below, candidate
        return _placed(rows, best, best_roles, {normalise(h) for h in mapping.values()})
    return None


def _count(roles: Mapping[int, str]) -> int:
    return sum(1 for role in roles.values() if role != EXTRA)


def _placed(rows: Sequence[Row], index: int, roles: dict[int, str], by_hand: set[str]) -> Header:
    """Place the columns no name (nor the mapping) placed by their values; return the header."""
    row = rows[index]
    taken = set(roles.values())
    width = max((len(r.cells) for r in rows[index : index + SAMPLE_ROWS]), default=0)
    for column in range(width):
        if roles.get(column, EXTRA) != EXTRA or normalise(row.cell(column)) in by_hand:
            continue
        role = _by_content(_data_values(rows[index + 1 :], column))
        if role is not None and role not in taken:
            roles[column] = role
            taken.add(role)
    return Header(index, row, _uses(row, roles))


# ---------------------------------------------------------------------------- the whole file


def resolve_mapping(mapping: Mapping[str, str] | None, file: str) -> dict[str, str]:
    """Return a by-hand mapping with role keys (内容 → content), or refuse an unknown role."""
    resolved: dict[str, str] = {}
    aliases = vocabulary().aliases
    for given, header in (mapping or {}).items():
        role = aliases.get(normalise(given)) or aliases.get(given.strip().lower())
        if role is None:
            raise TableError(
                "import.error.unknown_role",
                file=file,
                role=given,
                roles=RoleNames((*ROLES, EXTRA), quoted=False),
            )
        if not normalise(header):
            raise TableError("import.error.bad_columns", file=file, value=f"{given}=")
        if role in resolved:
            raise TableError("import.error.role_twice", file=file, role=RoleNames((role,)))
        resolved[role] = header
    headers = [normalise(h) for h in resolved.values()]
    twice = next((h for h in resolved.values() if headers.count(normalise(h)) > 1), None)
    if twice is not None:
        raise TableError("import.error.header_twice", file=file, name=twice)
    return resolved


def place_header(
    sheets: Sequence[Sheet], file: str, mapping: Mapping[str, str] | None = None
) -> tuple[Sheet, Header]:
    """Return the sheet holding the table and its header, or refuse saying what was found.

    `mapping` is role → header text, given by hand (its roles may be written 内容, 单位 …).
    The refusal names the columns recognised (and as what) and the required ones missing.
    """
    resolved = resolve_mapping(mapping, file)
    for header_text in resolved.values():
        if not any(
            normalise(cell) == normalise(header_text)
            for sheet in sheets
            for row in sheet.rows
            for cell in row.cells
        ):
            raise TableError("import.error.column_not_found", file=file, name=header_text)
    for sheet in sheets:
        header = find_header(sheet, resolved)
        if header is None:
            continue
        present = {normalise(c) for c in header.row.cells}
        for header_text in resolved.values():
            if normalise(header_text) not in present:
                raise TableError(
                    "import.error.column_not_in_header",
                    file=file,
                    row=header.row.number,
                    name=header_text,
                )
        return sheet, header
    raise _not_placed(sheets, file, resolved)


def _not_placed(sheets: Sequence[Sheet], file: str, mapping: Mapping[str, str]) -> TableError:
    """Return the refusal of a table whose header cannot be placed."""
    best: tuple[Row, dict[int, str]] | None = None
    for sheet in sheets:
        for row in sheet.rows:
            roles = _read_row(row, mapping)
            if _count(roles) >= 2 and (best is None or _count(roles) > _count(best[1])):
                best = row, roles
    if best is None:
        return TableError(
            "import.error.no_header", file=file, hint=RoleNames(("content",), quoted=False)
        )
    row, roles = best
    recognised = tuple(
        (re.sub(r"\s+", "", row.cell(index)), role)
        for index, role in roles.items()
        if role != EXTRA
    )
    missing = tuple(role for role in REQUIRED if role not in roles.values())
    return TableError(
        "import.error.missing_columns",
        file=file,
        row=row.number,
        missing=RoleNames(missing),
        recognised=Recognised(recognised),
        hint=RoleNames(missing[:1], quoted=False),
    )


def parse_columns_option(text: str, file: str) -> dict[str, str]:
    """Read `--columns "内容=项目名称,单位=牵头单位"` into role → header (roles unchecked)."""
    mapping: dict[str, str] = {}
    for pair in _MAPPING_PAIRS.split(text.strip()):
        if not pair.strip():
            continue
        role, sign, header = pair.replace("＝", "=").partition("=")
        if not sign or not role.strip() or not header.strip():
            raise TableError("import.error.bad_columns", file=file, value=pair.strip())
        mapping[role.strip()] = header.strip()
    if not mapping:
        raise TableError("import.error.bad_columns", file=file, value=text.strip())
    return mapping


# ---------------------------------------------------------------------------- status words


def read_status(cell: str) -> str | None:
    """Return what a status cell says (on_track, behind, completed), or None if not a status."""
    words = vocabulary().status
    name = normalise(cell)
    return words.get(name) or words.get(_without_tail(name))


def status_of_progress(text: str) -> str:
    """Return the status a progress text implies when a table has no status column.

    Behind when it says so (滞后, 推进缓慢 …, not after 无/未: 无滞后 is no delay); else on
    track; a progress that is only a status word (已完成) is that status.
    """
    said = read_status(text)
    if said is not None:
        return said
    words = vocabulary()
    name = normalise(text)
    for word in words.behind_in_progress:
        start = name.find(word)
        while start >= 0:
            if not any(name[:start].endswith(n) for n in words.negations):
                return "behind"
            start = name.find(word, start + 1)
    return "on_track"
