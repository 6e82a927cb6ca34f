"""Knowledge of how Chinese government bodies are named (bodies.toml), matched to plan units."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from bot.query.matching import is_subsequence
from storage.targets import Named

# A place in front of a unit's name: 市, 县, 区, or a named county or district (东明县).
_PLACE = re.compile(r"^(?:[^\s]{1,5}?[省市县区旗])")


@dataclass(frozen=True)
class Body:
    """A kind of government body: its full name, short forms, former and English names."""

    name: str
    short: tuple[str, ...]
    former: tuple[str, ...]
    english: tuple[str, ...]

    @property
    def chinese(self) -> tuple[str, ...]:
        """Return every Chinese name of the body: full, short and former."""
        return (self.name, *self.short, *self.former)


@cache
def bodies() -> tuple[Body, ...]:
    """Return the bodies of the package's table, read once."""
    text = resources.files("bot.query").joinpath("bodies.toml").read_text(encoding="utf-8")
    return tuple(
        Body(
            name=entry["name"],
            short=tuple(entry.get("short", ())),
            former=tuple(entry.get("former", ())),
            english=tuple(e.lower() for e in entry.get("english", ())),
        )
        for entry in tomllib.loads(text)["body"]
    )


def _cores(name: str) -> list[str]:
    """Return a unit's name without the place in front: 市卫生健康委 → 卫生健康委."""
    cores = [name]
    if name[:1] in "市县区" and len(name) > 2:
        cores.append(name[1:])
    place = _PLACE.match(name)
    if place and len(name) - place.end() >= 2:
        cores.append(name[place.end() :])
    return cores


def _matches(core: str, body: Body) -> bool:
    if core in body.chinese:
        return True
    if core.endswith("委") and core + "员会" in body.chinese:
        return True
    # Characters kept in order, same first and last: 人力资源社会保障局, 市场监管局, 发展改革委.
    full = body.name
    ends = {full[-1]} | ({"委"} if full.endswith("委员会") else set())
    return len(core) >= 4 and core[0] == full[0] and core[-1] in ends and is_subsequence(core, full)


def body_of(name: str) -> Body | None:
    """Return the one body a unit's name is, or None when none or several fit."""
    cores = _cores(name)
    exact = {b for b in bodies() for core in cores if core in b.chinese}
    if len(exact) == 1:
        return exact.pop()
    if exact:
        return None
    found = {b for b in bodies() for core in cores if _matches(core, b)}
    return found.pop() if len(found) == 1 else None


@dataclass(frozen=True)
class BodyNames:
    """The other names of a plan's units, and the body names that name no unit of it."""

    chinese: dict[str, Named]  # 环保局 → 市生态环境局
    english: dict[str, Named]  # water bureau → 市水务局
    elsewhere: frozenset[str]  # names of bodies that are not in the plan: not any other unit


def body_names(units: Sequence[Named]) -> BodyNames:
    """Give each unit the other names of its body; a name two units share is given to none."""
    chinese: dict[str, list[Named]] = {}
    english: dict[str, list[Named]] = {}
    for unit in units:
        body = body_of(unit.name)
        if body is None:
            continue
        for name in body.chinese:
            chinese.setdefault(name, []).append(unit)
        for name in body.english:
            english.setdefault(name, []).append(unit)
    taken_cn = {name: found[0] for name, found in chinese.items() if len(found) == 1}
    taken_en = {name: found[0] for name, found in english.items() if len(found) == 1}
    elsewhere = {
        name for b in bodies() for name in (*b.chinese, *b.english) if name not in chinese
    } - set(english)
    return BodyNames(taken_cn, taken_en, frozenset(elsewhere))
