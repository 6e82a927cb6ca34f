"""Name matching on its own: exact, containing, abbreviation, and fuzzy only when clear."""

from __future__ import annotations

import pytest

from bot.query.matching import MAX_CANDIDATES, match_names
from storage.targets import Named

UNITS = [
    Named(1, "市水务局"),
    Named(2, "市人力资源社会保障局"),
    Named(3, "市医疗保障局"),
    Named(4, "市工业和信息化局"),
    Named(5, "东明县人民政府"),
    Named(6, "水务"),
]
LEADERS = [Named(10, "王昌华"), Named(11, "王长青"), Named(12, "曹临"), Named(13, "聂元科")]


def names(query: str, items: list[Named] = UNITS) -> list[str]:
    return [item.name for item in match_names(query, items)]


def test_an_exact_name_wins_over_names_containing_it() -> None:
    assert names("水务") == ["水务"]
    assert names("曹 临", LEADERS) == ["曹临"]  # the normaliser is applied first


def test_names_containing_the_query_are_offered() -> None:
    assert names("水务局") == ["市水务局"]
    assert names("局") == [u.name for u in UNITS[:4]]


def test_names_containing_it_are_offered_at_most_max_candidates() -> None:
    many = [Named(i, f"第{i}水务局") for i in range(10)]
    assert len(match_names("水务局", many)) == MAX_CANDIDATES


def test_an_abbreviation_keeps_its_characters_in_order() -> None:
    assert names("人社局") == ["市人力资源社会保障局"]
    assert names("工信局") == ["市工业和信息化局"]
    assert names("社人局") == []  # out of order: no abbreviation, and nothing near enough


def test_one_character_is_no_abbreviation() -> None:
    assert names("东") == ["东明县人民政府"]  # found as contained, not as an abbreviation
    assert names("x") == []


def test_a_clear_fuzzy_best_is_taken_alone() -> None:
    assert names("聂元可", LEADERS) == ["聂元科"]


def test_close_fuzzy_matches_are_all_offered() -> None:
    assert names("王长华", LEADERS) == ["王昌华", "王长青"]  # best first: ask which


@pytest.mark.parametrize("query", ["", "   "])
def test_an_empty_query_names_nothing(query: str) -> None:
    assert names(query) == []


def test_nothing_near_names_nothing() -> None:
    assert names("ABCDEFG", LEADERS) == []
