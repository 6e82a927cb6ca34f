"""Questions written as sentences: fillers, negations, words split by a dictionary, near names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from bot.i18n import Translator
from bot.query.engine import Answer, QueryEngine
from bot.query.sentences import is_filler, words_of
from bot.query.text import summary
from tests.harness import Person, running_bot
from tests.query.test_bodies import TODAY, county  # noqa: F401  (the county table fixture)
from tests.query.test_query_chat import LEADER, bind, shown

zh = Translator("zh")
en = Translator("en")
ADMIN = Person(1001, "督查")


async def ask(conn: aiosqlite.Connection, text: str) -> Answer:
    return await QueryEngine().ask(conn, text, today=TODAY)


def numbers(answer: Answer) -> list[int]:
    return sorted(hit.target.number for hit in answer.hits)


def first_line(answer: Answer, language: str = "zh") -> str:
    return summary(answer, zh if language == "zh" else en, language).split("\n")[0]


def test_the_dictionary_splits_a_sentence_and_fillers_fall_away() -> None:
    assert words_of("分管的医保工作") == ["医保"]
    assert words_of("请问一下生态环境方面有哪些目标") == ["生态环境"]
    assert words_of("同志负责的就业目标") == ["就业"]
    # A word that holds a filler's character is still a word: 目的 is not 的.
    assert not is_filler("目的")
    assert is_filler("的")


SENTENCES = [
    # (question, leaders, keywords, statuses, targets found)
    ("王市长分管的医保工作", ["王昌华"], ["医保"], [], [83, 84, 85]),
    ("请帮我看看聂元科同志负责的就业目标", ["聂元科"], ["就业"], [], [40, 41, 42, 44]),
    ("王昌华副市长分管的目标有哪些没有按时完成", ["王昌华"], [], ["behind"], []),
    ("有哪些工作没按计划完成", [], [], ["behind"], []),
    ("哪些目标还没有完成", [], [], ["behind", "overdue"], []),
    ("曹临正常推进的", ["曹临"], [], ["on_track"], [91, 92, 93, 94, 95, 96]),
    ("有风险的目标", [], [], ["at_risk"], [46, 90]),
    ("是否按计划完成进度", [], [], [], list(range(40, 97))),
    ("两癌筛查做得怎么样了", [], ["两癌", "筛查"], [], [89]),
]


@pytest.mark.parametrize(("text", "leaders", "keywords", "statuses", "found"), SENTENCES)
async def test_a_sentence_keeps_its_filters_and_drops_its_fillers(
    demo: aiosqlite.Connection,
    text: str,
    leaders: list[str],
    keywords: list[str],
    statuses: list[str],
    found: list[int],
) -> None:
    answer = await ask(demo, text)
    parsed = answer.parsed
    assert [p.name for p in parsed.leaders] == leaders
    assert parsed.keywords == keywords
    assert parsed.statuses == statuses
    assert parsed.unplaced == []
    expected = found if found or statuses else []
    assert [n for n in numbers(answer) if n in range(40, 97)] == expected


async def test_the_understanding_line_says_what_each_word_was_taken_as(
    demo: aiosqlite.Connection,
) -> None:
    answer = await ask(demo, "王市长分管的医保工作")
    assert first_line(answer) == "🔎 理解为：领导 王昌华（王市长） · 关键词 医保"
    answer = await ask(demo, "哪些目标还没有完成")
    assert first_line(answer) == "🔎 理解为：状态 滞后、逾期（还没有完成）"
    answer = await ask(demo, "水务局有没有滞后的")
    assert first_line(answer) == "🔎 理解为：单位 市水务局 · 状态 滞后"
    answer = await ask(demo, "环保局 not on track")
    assert first_line(answer, "en") == (
        "🔎 Understood: unit 市生态环境局 (环保局) · status behind (not on track)"
    )


async def test_a_common_word_no_target_has_with_the_rest_is_left_out_and_said(
    demo: aiosqlite.Connection,
) -> None:
    answer = await ask(demo, "5G基站建设进展")
    assert numbers(answer) == [86]
    lines = summary(answer, zh, "zh").split("\n")
    assert lines[1] == "没有目标同时含有 5g基站、建设；已略去常见词：建设"
    # Rare words are never left out: no target is about a 医保 fund's supervision.
    assert numbers(await ask(demo, "医保基金监管情况")) == []


NEAR_NAMES = [
    ("王昌明", "leader", "王昌华"),
    ("曹磊", "leader", "曹临"),
    ("人防局", None, None),  # 人民防空办公室: a body of its own, not 人社局
    ("税务局", None, None),  # sounds like 水务局, is another body
    ("林业局", None, None),
    ("东平县", "unit", "东明县人民政府"),
]


@pytest.mark.parametrize(("text", "kind", "offered"), NEAR_NAMES)
async def test_a_name_only_near_another_is_offered_never_taken(
    demo: aiosqlite.Connection, text: str, kind: str | None, offered: str | None
) -> None:
    answer = await ask(demo, text)
    assert (answer.parsed.leaders, answer.parsed.units, answer.hits) == ([], [], [])
    choices = [(a.kind, [c.name for c in a.choices]) for a in answer.parsed.ambiguous]
    assert choices == ([(kind, [offered])] if kind else [])


SOUNDS_ALIKE = [("王长华", "王昌华"), ("曹林", "曹临"), ("曹琳", "曹临")]


@pytest.mark.parametrize(("text", "leader"), SOUNDS_ALIKE)
async def test_a_typo_that_sounds_like_the_name_is_the_name(
    demo: aiosqlite.Connection, text: str, leader: str
) -> None:
    answer = await ask(demo, text)
    assert [p.name for p in answer.parsed.leaders] == [leader]


async def test_homophone_units_and_county_titles(county: aiosqlite.Connection) -> None:  # noqa: F811
    # The county table of tests/query/test_bodies.py: 县人社局, 县卫健局, 县生态环境分局, 县水利局.
    assert [u.name for u in (await ask(county, "位健局")).parsed.units] == ["县卫健局"]
    answer = await ask(county, "李县长分管的就业工作")
    assert [p.name for p in answer.parsed.leaders] == ["李明"]
    assert numbers(answer) == [1]
    assert (await ask(county, "税务局")).parsed.units == []


def buttons(calls: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, str]]:
    for name, params in reversed(calls):
        if name == "sendMessage":
            markup = params.get("reply_markup") or {"inline_keyboard": []}
            return [
                (b["text"], b["callback_data"]) for row in markup["inline_keyboard"] for b in row
            ]
    return []


async def test_in_chat_a_near_name_asks_and_one_tap_answers(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        asked = await harness.send(LEADER, "王昌明 滞后")
        assert shown(asked) == [
            "🔎 理解为：状态 滞后\n没有叫 “王昌明” 的领导。您是指 王昌华 吗？是的话请点下面的按钮："
        ]
        (label, data), *_ = buttons(asked)
        assert label == "王昌华"
        chosen = shown(await harness.press(LEADER, data))
        assert chosen[-1].startswith("🔎 理解为：领导 王昌华 · 状态 滞后\n")


async def test_lights_chinese_numerals_given_names_and_english_deadlines(
    demo: aiosqlite.Connection,
) -> None:
    # The replies' own words: 黄灯 is at risk, 红灯 behind or overdue.
    assert numbers(await ask(demo, "黄灯")) == [46, 90]
    assert numbers(await ask(demo, "🟡")) == [46, 90]
    assert (await ask(demo, "红灯")).parsed.statuses == ["behind", "overdue"]
    assert numbers(await ask(demo, "第四十八项")) == [48]
    # A given name with a title: 昌华市长 is 王昌华.
    assert [p.name for p in (await ask(demo, "昌华市长")).parsed.leaders] == ["王昌华"]
    english = await ask(demo, "targets due end of October")
    chinese = await ask(demo, "10月底到期的目标")
    assert english.parsed.deadline is not None
    assert english.parsed.deadline.text == "due end of october"
    assert numbers(english) == numbers(chinese) != []


async def test_place_prefixes_and_names_the_plan_lacks(
    county: aiosqlite.Connection,  # noqa: F811
) -> None:
    # The county table of tests/query/test_bodies.py names its units 县X局.
    assert [u.name for u in (await ask(county, "区卫健委")).parsed.units] == ["县卫健局"]
    assert [u.name for u in (await ask(county, "县环保局")).parsed.units] == ["县生态环境分局"]
    # A town the plan lacks is no keyword of its name's first part.
    answer = await ask(county, "新华镇")
    assert (answer.parsed.keywords, answer.hits) == ([], [])
