"""Questions in English and mixed zh/en: leaders by pinyin, the glossary's words, fillers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import aiosqlite
import pytest

from bot.i18n import Translator
from bot.plan.importer import import_file
from bot.query.engine import Answer, QueryEngine
from bot.query.english import FILLERS, TITLES, glossary, plural
from bot.query.parse import STATUS_WORDS
from bot.query.text import summary, understood, understood_json
from storage.db import connect

TODAY = date(2026, 11, 25)
T = Translator("zh")
WANG = list(range(48, 90))  # 王昌华's 42 targets
CAO = [90, 91, 92, 93, 94, 95, 96]
NIE = list(range(40, 48))  # 聂元科's 8 targets (#46 is at risk, the others on track)
JIUYE = [40, 41, 42, 44]  # 就业
YIBAO = [83, 84, 85]  # 医保
SHUIWU = [90, 93, 96]  # 市水务局


async def ask(conn: aiosqlite.Connection, text: str) -> Answer:
    return await QueryEngine().ask(conn, text, today=TODAY)


def numbers(answer: Answer) -> list[int]:
    return sorted(hit.target.number for hit in answer.hits)


def line(answer: Answer, language: str) -> str:
    return understood(answer.parsed, T, language)


# A question as typed, the targets found on the demo table, and the understanding line in
# Chinese and in English.
DEMO = [
    (
        "Wang Changhua",
        WANG,
        "🔎 理解为：领导 王昌华（wang changhua）",
        "🔎 Understood: leader 王昌华 (wang changhua)",
    ),
    ("wang changhua", WANG, "🔎 理解为：领导 王昌华（wang changhua）", None),
    ("Changhua Wang", WANG, "🔎 理解为：领导 王昌华（changhua wang）", None),
    ("WANG Changhua", WANG, "🔎 理解为：领导 王昌华（wang changhua）", None),
    ("wangchanghua", WANG, "🔎 理解为：领导 王昌华（wangchanghua）", None),
    ("Wang Chang-hua", WANG, "🔎 理解为：领导 王昌华（wang chang-hua）", None),
    ("Wáng Chānghuá", WANG, "🔎 理解为：领导 王昌华（wáng chānghuá）", None),
    ("Cao Lin", CAO, "🔎 理解为：领导 曹临（cao lin）", "🔎 Understood: leader 曹临 (cao lin)"),
    ("caolin", CAO, "🔎 理解为：领导 曹临（caolin）", None),
    ("Lin Cao", CAO, "🔎 理解为：领导 曹临（lin cao）", None),
    ("Nie Yuanke", NIE, "🔎 理解为：领导 聂元科（nie yuanke）", None),
    ("Liu Liandong", [40], "🔎 理解为：领导 刘连栋（liu liandong）", None),
    ("xiao youhua", [46], "🔎 理解为：领导 肖友华（xiao youhua）", None),
    (
        "Mayor Wang",
        WANG,
        "🔎 理解为：领导 王昌华（mayor wang）",
        "🔎 Understood: leader 王昌华 (mayor wang)",
    ),
    ("Vice Mayor Cao", CAO, "🔎 理解为：领导 曹临（vice mayor cao）", None),
    ("Deputy Mayor Cao", CAO, "🔎 理解为：领导 曹临（deputy mayor cao）", None),
    ("vice-mayor cao's targets", CAO, "🔎 理解为：领导 曹临（vice-mayor cao）", None),
    ("Mayor Cao Lin", CAO, "🔎 理解为：领导 曹临（mayor cao lin）", None),
    (
        "show me the water bureau's targets",
        SHUIWU,
        "🔎 理解为：单位 市水务局（water bureau）",
        "🔎 Understood: unit 市水务局 (water bureau)",
    ),
    (
        "employment",
        JIUYE,
        "🔎 理解为：关键词 就业（employment）",
        "🔎 Understood: keywords 就业 (employment)",
    ),
    ("jobs", JIUYE, "🔎 理解为：关键词 就业（jobs）", None),
    (
        "medical insurance",
        YIBAO,
        "🔎 理解为：关键词 医保（medical insurance）",
        "🔎 Understood: keywords 医保 (medical insurance)",
    ),
    (
        "air quality",
        [94],
        "🔎 理解为：关键词 空气质量（air quality）",
        "🔎 Understood: keywords 空气质量 (air quality)",
    ),
    ("pollution", [94, 95], "🔎 理解为：关键词 污染（pollution）", None),
    ("sewage", [95, 96], "🔎 理解为：关键词 污水（sewage）", None),
    ("5G", [60, 86], "🔎 理解为：关键词 5g", None),
    ("5G base stations", [86], "🔎 理解为：关键词 基站（base stations）、5g", None),
    ("elderly care", [45], "🔎 理解为：关键词 养老（elderly care）", None),
    ("what about hospitals?", [78, 81, 82], "🔎 理解为：关键词 医院（hospitals）", None),
    (
        "Nie Yuanke employment",
        JIUYE,
        "🔎 理解为：领导 聂元科（nie yuanke） · 关键词 就业（employment）",
        "🔎 Understood: leader 聂元科 (nie yuanke) · keywords 就业 (employment)",
    ),
    (
        "Cao Lin pollution",
        [94, 95],
        "🔎 理解为：领导 曹临（cao lin） · 关键词 污染（pollution）",
        None,
    ),
    (
        "what about Mayor Wang's 5G base stations?",
        [86],
        "🔎 理解为：领导 王昌华（mayor wang） · 关键词 基站（base stations）、5g",
        None,
    ),
    (
        "health commission's hospitals",
        [78, 81, 82],
        "🔎 理解为：单位 市卫生健康委（health commission） · 关键词 医院（hospitals）",
        "🔎 Understood: unit 市卫生健康委 (health commission) · keywords 医院 (hospitals)",
    ),
    (
        "please show me the targets of Nie Yuanke that are on track",
        [40, 41, 42, 43, 44, 45, 47],
        "🔎 理解为：领导 聂元科（nie yuanke） · 状态 按计划（on track）",
        "🔎 Understood: leader 聂元科 (nie yuanke) · status on track",
    ),
    # Mixed Chinese and English.
    (
        "王昌华 medical insurance",
        YIBAO,
        "🔎 理解为：领导 王昌华 · 关键词 医保（medical insurance）",
        None,
    ),
    ("医保 Wang Changhua", YIBAO, "🔎 理解为：领导 王昌华（wang changhua） · 关键词 医保", None),
    ("水务局 sewage", [96], "🔎 理解为：单位 市水务局 · 关键词 污水（sewage）", None),
    ("曹临的water targets", [90, 93, 95, 96], "🔎 理解为：领导 曹临 · 关键词 水（water）", None),
]


@pytest.mark.parametrize(("text", "expected", "zh", "en"), DEMO)
async def test_english_questions_find_their_targets_and_say_how(
    demo: aiosqlite.Connection, text: str, expected: list[int], zh: str, en: str | None
) -> None:
    answer = await ask(demo, text)
    assert numbers(answer) == expected
    assert line(answer, "zh") == zh
    if en is not None:
        assert line(answer, "en") == en


@pytest.mark.parametrize(
    ("text", "total", "leader", "zh"),
    [
        (
            "Wang Changhua behind",
            42,
            "王昌华",
            "🔎 理解为：领导 王昌华（wang changhua） · 状态 滞后（behind）",
        ),
        (
            "which targets of Cao Lin are behind",
            7,
            "曹临",
            "🔎 理解为：领导 曹临（cao lin） · 状态 滞后（behind）",
        ),
        ("Cao Lin's targets behind schedule?", 7, "曹临", None),
    ],
)
async def test_a_leader_by_pinyin_keeps_the_status(
    demo: aiosqlite.Connection, text: str, total: int, leader: str, zh: str | None
) -> None:
    answer = await ask(demo, text)
    # None of them is behind in the demo table: the reply says so, of all the leader's targets.
    assert answer.hits == []
    assert answer.result.without_status == total
    assert [p.name for p in answer.parsed.leaders] == [leader]
    assert answer.parsed.statuses == ["behind"]
    assert answer.parsed.unplaced == []
    if zh is not None:
        assert line(answer, "zh") == zh
    assert f"{leader} 的 {total} 个目标中，没有滞后的。" in summary(answer, T, "zh")


async def test_cao_lin_has_no_employment_target(demo: aiosqlite.Connection) -> None:
    for text in ("Cao Lin employment", "曹临 employment"):
        answer = await ask(demo, text)
        assert [p.name for p in answer.parsed.leaders] == ["曹临"]
        assert answer.parsed.keywords == ["就业"]
        assert answer.hits == []
        assert "就业（employment）" in line(answer, "zh")


@pytest.mark.parametrize(
    ("text", "unplaced"),
    [
        ("Li Ming", ["li", "ming"]),  # a name not in the table is no leader
        ("Mayor Li", ["mayor", "li"]),
        ("cao", ["cao"]),  # a surname alone names nobody
        ("Wang", ["wang"]),
        ("Macao Lin", ["macao", "lin"]),  # whole words only: cao inside macao is not 曹
        ("caolins", ["caolins"]),
        ("cocoa", ["cocoa"]),
    ],
)
async def test_what_is_not_a_leader_is_said_so(
    demo: aiosqlite.Connection, text: str, unplaced: list[str]
) -> None:
    answer = await ask(demo, text)
    assert answer.parsed.leaders == []
    assert answer.parsed.ambiguous == []
    assert answer.parsed.unplaced == unplaced
    assert answer.hits == []


@pytest.mark.parametrize(
    "text",
    [
        "please show me the water bureau's targets",
        "what are the targets of the water bureau?",
        "Which of the water bureau's targets are there",
        "can you show me all targets of the water bureau, please",
    ],
)
async def test_fillers_are_neither_keywords_nor_unplaced(
    demo: aiosqlite.Connection, text: str
) -> None:
    answer = await ask(demo, text)
    assert numbers(answer) == SHUIWU
    assert answer.parsed.keywords == []
    assert answer.parsed.unplaced == []
    assert line(answer, "en") == "🔎 Understood: unit 市水务局 (water bureau)"


async def test_every_english_word_is_recorded_with_what_it_was_taken_as(
    demo: aiosqlite.Connection,
) -> None:
    answer = await ask(demo, "please show me Cao Lin's sewage targets behind")
    taken = understood_json(answer.parsed)["taken"]
    assert taken == [
        {"word": "behind", "kind": "status", "as": "behind"},
        {"word": "cao lin", "kind": "leader", "as": "曹临"},
        {"word": "sewage", "kind": "keyword", "as": "污水"},
    ]
    assert answer.parsed.unplaced == []


COUNTY = """某县人民政府2024年责任目标推进情况一览表

序号\t市政府领导\t责任目标内容\t完成时限\t三季度完成情况\t是否按计划完成进度\t责任单位
1\t王芳\t新增城镇就业3000人\t年底\t已新增2600人\t是\t县人社局
2\t汪芳\t建成紧密型县域医共体\t年底\t已完成主体建设\t是\t县卫健局
3\t王强\t完成小型水库除险加固5座\t年底\t已完成3座\t否\t县水利局
4\t吕明\t空气质量优良天数比例达到70%\t年底\t优良天数比例68%\t是\t县生态环境分局
5\t曾华\t新建5G基站300个\t年底\t已建成280个\t是\t县工信局
6\t欧阳明\t改造农村公路100公里\t年底\t已完成80公里\t是\t县交通运输局
"""


@pytest.fixture
async def county(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    path = tmp_path / "county.tsv"
    path.write_text(COUNTY, encoding="utf-8")
    conn = await connect(tmp_path / "county.db")
    await import_file(conn, path, actor="test")
    yield conn
    await conn.close()


@pytest.mark.parametrize(
    ("text", "choices"),
    [
        ("Wang Fang", ["王芳", "汪芳"]),  # two leaders, one pinyin: the user chooses
        ("wangfang behind", ["王芳", "汪芳"]),
        ("Mayor Wang", ["王芳", "汪芳", "王强"]),  # a title fits several: as 王市长 does
        ("Vice Mayor Wang", ["王芳", "汪芳", "王强"]),
    ],
)
async def test_a_pinyin_several_leaders_share_offers_them(
    county: aiosqlite.Connection, text: str, choices: list[str]
) -> None:
    answer = await ask(county, text)
    assert answer.hits == []
    assert [sorted(c.name for c in a.choices) for a in answer.parsed.ambiguous] == [sorted(choices)]
    assert answer.parsed.leaders == []
    word = answer.parsed.ambiguous[0].word
    assert f"“{word}” 对应多位领导，请选择：" in summary(answer, T, "zh")


@pytest.mark.parametrize(
    ("text", "expected", "leader"),
    [
        ("Wang Qiang", [3], "王强"),
        ("Lu Ming", [4], "吕明"),  # ü typed as u, v, yu, or with its marks
        ("Lv Ming", [4], "吕明"),
        ("Lyu Ming", [4], "吕明"),
        ("Lǚ Míng", [4], "吕明"),
        ("Zeng Hua", [5], "曾华"),  # 曾 read as a surname
        ("Mayor Zeng", [5], "曾华"),
        ("Ouyang Ming", [6], "欧阳明"),  # a surname of two characters
        ("Ming Ouyang", [6], "欧阳明"),
        ("Mayor Ouyang", [6], "欧阳明"),
    ],
)
async def test_a_county_table_is_read_in_its_own_pinyin(
    county: aiosqlite.Connection, text: str, expected: list[int], leader: str
) -> None:
    answer = await ask(county, text)
    assert [p.name for p in answer.parsed.leaders] == [leader]
    assert numbers(answer) == expected


async def test_a_county_question_in_english(county: aiosqlite.Connection) -> None:
    answer = await ask(county, "Wang Qiang's water conservancy targets behind")
    assert numbers(answer) == [3]
    assert line(answer, "en") == (
        "🔎 Understood: leader 王强 (wang qiang) · status behind"
        " · keywords 水利 (water conservancy)"
    )


def test_the_glossary_reads_and_keeps_to_its_rules() -> None:
    words = glossary().keywords
    keywords = set(words.values())
    assert 60 <= len(keywords) <= 130
    assert words["employment"] == "就业"
    assert words["jobs"] == "就业"  # a plural of a listed word
    assert words["medical insurance"] == "医保"
    assert words["air quality"] == "空气质量"
    assert words["drinking water"] == "饮水"
    assert words["water"] == "水"
    assert words["medicines"] == "药品"  # a listed word wins over another word's plural
    # The glossary never takes a status word, a filler, or a title.
    statuses = {w for w in STATUS_WORDS if w.isascii()}
    assert not (set(words) & (statuses | FILLERS | set(TITLES)))
    assert not (FILLERS & set(TITLES))


def test_plurals() -> None:
    assert [plural(w) for w in ("job", "city", "day", "bus", "match", "enterprise")] == [
        "jobs",
        "cities",
        "days",
        "buses",
        "matches",
        "enterprises",
    ]
