"""Find the leader or unit a person meant by a name, an abbreviation or a typo."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from pypinyin import Style, pinyin
from rapidfuzz import fuzz, process

from bot.plan.names import normalise_name
from storage.targets import Named

FUZZY_CUTOFF = 55.0
CLEAR_LEAD = 15.0  # how far the best fuzzy match must lead the next to be taken without asking
MAX_CANDIDATES = 6


def match_names(query: str, items: Sequence[Named]) -> list[Named]:
    """Return what `query` names: one item when it is clear, several to choose from, or none.

    An exact name wins; then names containing the query (`水务局` → 市水务局); then names it
    abbreviates (`人社局`); then the fuzzy best, taken alone only when it clearly leads the rest.
    """
    wanted = normalise_name(query)
    if not wanted:
        return []
    exact = [item for item in items if item.name == wanted]
    if exact:
        return exact
    containing = [item for item in items if wanted in item.name]
    if containing:
        return containing[:MAX_CANDIDATES]
    # Abbreviations keep their characters in order: 人社局 ⊂ 市人力资源社会保障局.
    abbreviated = [item for item in items if len(wanted) >= 2 and is_subsequence(wanted, item.name)]
    if abbreviated:
        return abbreviated[:MAX_CANDIDATES]
    scored = process.extract(
        wanted,
        [item.name for item in items],
        scorer=fuzz.WRatio,
        limit=MAX_CANDIDATES,
        score_cutoff=FUZZY_CUTOFF,
    )
    if not scored:
        return []
    best = scored[0][1]
    if len(scored) == 1 or best - scored[1][1] >= CLEAR_LEAD:
        return [items[scored[0][2]]]
    return [items[index] for _, score, index in scored if best - score < CLEAR_LEAD]


def clear_best(word: str, items: Sequence[Named], cutoff: float) -> Named | None:
    """Return the item whose name is nearest `word`, only when it clearly leads the next."""
    scored = process.extract(
        word, [i.name for i in items], scorer=fuzz.ratio, limit=2, score_cutoff=cutoff
    )
    if not scored:
        return None
    if (
        len(scored) == 2
        and scored[0][1] - scored[1][1] < CLEAR_LEAD
        and scored[1][0] != scored[0][0]
    ):
        return None
    return items[scored[0][2]]


def is_subsequence(short: str, long: str) -> bool:
    """Tell whether the characters of `short` stand in `long` in the same order."""
    remaining = iter(long)
    return all(char in remaining for char in short)


def sounds_alike(typed: str, name: str) -> bool:
    """Tell whether two names sound the same (tones aside): 公信局 and 工信局, 王长华 and 王昌华.

    A typo that sounds like the name is the name, typed by pinyin input; one that sounds
    different (环保局, 医保局) may be another body or person, and is never taken for it.
    """
    if len(typed) != len(name):
        return False
    return all(
        set(a) & set(b)  # 长 is chang or zhang: any reading of each character may match
        for a, b in zip(_readings(typed), _readings(name), strict=True)
    )


@lru_cache(maxsize=4096)
def _readings(text: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(r) for r in pinyin(text, style=Style.NORMAL, heteronym=True))
