"""The query engine on the demo table: the questions leaders really type."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import aiosqlite
import pytest

from bot.i18n import Translator
from bot.people.accounts import Account
from bot.plan.importer import import_file
from bot.query.engine import Answer, Asker, QueryEngine
from bot.query.parse import number_alone
from bot.query.service import may_see
from bot.query.text import answer_json
from storage import search as rows
from storage import targets as plans
from storage.db import connect, transaction

TODAY = date(2026, 11, 25)
WANG = list(range(48, 90))  # 王昌华's 42 targets
CAO = list(range(90, 97))
GONGXIN = [48, 49, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 68, 71, 72, 73, 74, 75, 76, 86]
WEIJIAN = [69, 77, 78, 79, 80, 81, 82, 87, 88, 89]


@pytest.fixture
async def behind(tmp_path: Path, demo_lines: list[str]) -> AsyncIterator[aiosqlite.Connection]:
    """The demo table with targets 53 and 90 reported 否 (behind)."""
    lines = []
    for line in demo_lines:
        cells = line.split("\t")
        if cells[0] in ("53", "90"):
            cells[5] = "否"
        lines.append("\t".join(cells))
    path = tmp_path / "behind.tsv"
    path.write_text("\n".join(lines), encoding="utf-8")
    conn = await connect(tmp_path / "behind.db")
    await import_file(conn, path, actor="test")
    yield conn
    await conn.close()


async def ask(conn: aiosqlite.Connection, text: str, only_unit: int | None = None) -> Answer:
    return await QueryEngine().ask(conn, text, today=TODAY, only_unit=only_unit)


def numbers(answer: Answer) -> list[int]:
    return [hit.target.number for hit in answer.hits]


EXACT = [
    ("王昌华", WANG),
    ("王长华", WANG),  # a typo
    ("王副市长", WANG),
    ("王昌华的目标", WANG),
    ("曹临", CAO),
    ("曹 临", CAO),
    ("人社局", [40, 41, 42, 43, 44, 45]),
    ("人力资源社会保障局", [40, 41, 42, 43, 44, 45]),
    ("工信局", GONGXIN),
    ("卫健委", WEIJIAN),
    ("卫建委", WEIJIAN),  # a typo in the abbreviation
    ("水物局", [90, 93, 96]),  # a typo of 水务局
    ("#48", [48]),
    ("48号", [48]),
    ("第90项", [90]),
    ("10月底", [47]),
    ("曹临 水务局", [90, 93, 96]),
    ("曹临水务局", [90, 93, 96]),
    ("东明县", [53]),
    ("王昌华 behind schedule", []),
    ("长期坚持", [52, 69]),  # ongoing work: 长期坚持 and 持续推进
]


@pytest.mark.parametrize(("text", "expected"), EXACT)
async def test_questions_find_exactly_the_targets_meant(
    demo: aiosqlite.Connection, text: str, expected: list[int]
) -> None:
    assert sorted(numbers(await ask(demo, text))) == expected


async def test_two_character_keywords_match_and_lists_go_by_light_then_number(
    demo: aiosqlite.Connection,
) -> None:
    yibao = await ask(demo, "医保")
    assert numbers(yibao) == [83, 84, 85]  # 84 by its text, 83 and 85 by their unit 市医保局
    assert {60, 86} <= set(numbers(await ask(demo, "5G")))
    assert {40, 41, 42, 44} <= set(numbers(await ask(demo, "就业")))
    assert numbers(await ask(demo, "王昌华医保")) == [83, 84, 85]
    # Yellow before green, by number within a light; the count per light matches.
    whole = await ask(demo, "曹临")
    assert numbers(whole) == [90, 91, 92, 93, 94, 95, 96]
    assert whole.result.light_counts() == {"🟡": 1, "🟢": 6}
    plan = await ask(demo, "全部")
    assert numbers(plan)[:3] == [46, 90, 40]
    assert plan.result.light_counts() == {"🟡": 2, "🟢": 55}


async def test_behind_filters_and_the_reply_says_what_it_looked_through(
    demo: aiosqlite.Connection, behind: aiosqlite.Connection
) -> None:
    none = await ask(demo, "王昌华 behind schedule")
    assert none.hits == []
    assert none.result.without_status == 42
    assert [p.name for p in none.parsed.leaders] == ["王昌华"]
    assert none.parsed.statuses == ["behind"]

    assert numbers(await ask(behind, "王昌华 behind schedule")) == [53]
    assert numbers(await ask(behind, "曹临滞后")) == [90]
    assert sorted(numbers(await ask(behind, "滞后"))) == [53, 90]
    assert numbers(await ask(behind, "曹临 否")) == [90]
    assert len((await ask(behind, "按计划")).hits) == 55


async def test_an_ambiguous_unit_asks_and_unknown_words_are_reported(
    demo: aiosqlite.Connection,
) -> None:
    counties = await ask(demo, "县人民政府")
    assert counties.hits == []
    [ambiguity] = counties.parsed.ambiguous
    assert [c.name for c in ambiguity.choices] == [
        "东明县人民政府",
        "单县人民政府",
        "巨野县人民政府",
        "鄄城县人民政府",
    ]
    nothing = await ask(demo, "xyzzy")
    assert (nothing.hits, nothing.parsed.unplaced) == ([], ["xyzzy"])
    partly = await ask(demo, "王昌华 qwerty")
    assert (len(partly.hits), partly.parsed.unplaced) == (42, ["qwerty"])
    typo = await ask(demo, "曹林")
    assert sorted(numbers(typo)) == CAO


async def test_a_liaison_sees_only_their_units_targets(demo: aiosqlite.Connection) -> None:
    water = next(u for u in await plans.list_units(demo) if u.name == "市水务局")
    assert numbers(await ask(demo, "曹临", only_unit=water.id)) == [90, 93, 96]
    other = await ask(demo, "王昌华", only_unit=water.id)
    assert (numbers(other), other.outside_unit, other.suggestions) == ([], water, [])
    health = await ask(demo, "卫健委", only_unit=water.id)
    assert (health.outside_unit, health.suggestions) == (water, [])
    # Nothing anywhere: not "outside"; suggestions never name another unit or leader.
    nothing = await ask(demo, "xyzzy", only_unit=water.id)
    assert nothing.outside_unit is None
    assert nothing.suggestions == []  # never another unit; never its own name again


async def test_my_targets_are_the_askers(demo: aiosqlite.Connection) -> None:
    leaders = {p.name: p for p in await plans.list_leaders(demo)}
    units = {u.name: u for u in await plans.list_units(demo)}
    wang = Asker(leader=leaders["王昌华"])
    for text in ("我的", "my targets", "我的目标", "我分管的", "which of my targets are behind?"):
        answer = await QueryEngine().ask(demo, text, today=TODAY, asker=wang)
        assert answer.parsed.leaders == [leaders["王昌华"]], text
        assert answer.parsed.keywords == [], text
    assert numbers(await QueryEngine().ask(demo, "我的", today=TODAY, asker=wang)) == WANG
    water = Asker(unit=units["市水务局"])
    mine = await QueryEngine().ask(
        demo, "我们单位的", today=TODAY, asker=water, only_unit=units["市水务局"].id
    )
    assert numbers(mine) == [90, 93, 96]
    unbound = await QueryEngine().ask(demo, "我的", today=TODAY, asker=Asker())
    assert (unbound.mine_unbound, unbound.hits) == (True, [])
    # 我市 is "our city", a word of the targets' texts, not "my".
    city = await QueryEngine().ask(demo, "我市", today=TODAY, asker=wang)
    assert (city.parsed.mine, city.parsed.keywords) == (False, ["我市"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("工信局5g进展怎么样", [60, 86]),
        ("请问工信局5G的进展情况", [60, 86]),
        ("what about 5G?", [60, 86]),
        ("please show me 水务局", [90, 93, 96]),
        ("how is 曹临 doing", CAO),
        ("曹临有哪些滞后吗", []),
        ("谢谢，曹临呢", CAO),
    ],
)
async def test_question_words_and_courtesies_are_not_keywords(
    demo: aiosqlite.Connection, text: str, expected: list[int]
) -> None:
    answer = await ask(demo, text)
    assert (numbers(answer), answer.parsed.unplaced) == (expected, [])
    assert all(word not in ("进展", "怎么样", "情况") for word in answer.parsed.keywords)


@pytest.mark.parametrize(
    ("text", "kind"),
    [("谢谢", "thanks"), ("Thanks!", "thanks"), ("你好", "greeting"), ("好的", "ack")],
)
async def test_only_courtesy_finds_nothing_and_is_no_error(
    demo: aiosqlite.Connection, text: str, kind: str
) -> None:
    answer = await ask(demo, text)
    assert (answer.parsed.courtesy, answer.parsed.only_courtesy) == (kind, True)
    assert (answer.hits, answer.parsed.unplaced, answer.suggestions) == ([], [], [])


async def test_json_shape_and_an_alias_admins_add(demo: aiosqlite.Connection) -> None:
    data = answer_json(await ask(demo, "5G"), Translator("en"))
    assert data["understood"]["keywords"] == ["5g"]  # type: ignore[index]
    found = {r["number"]: r for r in data["results"]}  # type: ignore[attr-defined]
    assert found[86] == {
        "number": 86,
        "content": "新建并开通5G基站1700个以上",
        "leaders": ["王昌华"],
        "units": ["市工业和信息化局", "市信息通信发展办公室"],
        "deadline": "年底",
        "due_date": "2023-12-31",
        "status": "on_track",
        "period": "2023Q3",
        "progress": "新建并开通5G基站1640个",
        "light": "🟢",
        "progress_estimate": {
            "target": 1700.0,
            "achieved": 1640.0,
            "unit": "个",
            "share": 0.9647,
            "stated": False,
            "elapsed": 0.75,
        },
        "light_reason": "1640/1700个 (96%) at 75% of the year",
        "label": None,
        "category": None,
        "extra": [],
        "assisting": [],
        "closed": None,
        "extended": False,
    }
    engine = QueryEngine()
    assert (await engine.ask(demo, "大数据局", today=TODAY)).hits == []
    unit = next(u for u in await plans.list_units(demo) if u.name == "市工业和信息化局")
    async with transaction(demo):
        await rows.set_alias(demo, "大数据局", unit.id)
        await demo.execute(
            "INSERT INTO audit_log (at, actor, action, subject) VALUES ('now', 't', 'alias', 'x')"
        )
    assert sorted(numbers(await engine.ask(demo, "大数据局", today=TODAY))) == GONGXIN


async def test_in_a_reporting_window_each_target_keeps_its_latest_known_status(
    demo: aiosqlite.Connection,
) -> None:
    async with demo.execute(
        "SELECT a.id FROM assignment a JOIN target t ON t.id = a.target_id WHERE t.number = 93"
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    async with transaction(demo):
        await plans.append_report(
            demo, row[0], "2023Q4", "已创建国家节水型城市", "completed", source="import", at="now"
        )
    cao = await ask(demo, "曹临")
    assert cao.result.period == "2023Q4"
    assert numbers(cao) == [90, 91, 92, 93, 94, 95, 96]
    found = {hit.target.number: hit for hit in cao.hits}
    assert (found[90].light, found[90].carried_from) == ("🟡", "2023Q3")
    assert (found[93].light, found[93].carried_from) == ("🟢", None)
    assert numbers(await ask(demo, "预警")) == [46, 90]
    assert numbers(await ask(demo, "曹临 未填报")) == [90, 91, 92, 94, 95, 96]
    assert numbers(await ask(demo, "曹临 已完成")) == [93]
    # An asked-for period is shown as it is: Q4 alone has one report in.
    assert numbers(await ask(demo, "曹临 2023Q4 未填报")) == [90, 91, 92, 94, 95, 96]
    assert (await ask(demo, "曹临 2023Q4")).result.light_counts() == {"⚪": 6, "🟢": 1}
    # The JSON keeps its shape; a carried target says which period its status is from.
    results = {r["number"]: r for r in answer_json(cao, Translator("en"))["results"]}  # type: ignore[attr-defined]
    assert (results[90]["status"], results[90]["period"]) == ("at_risk", "2023Q3")
    assert results[90]["progress"].startswith("推进现代水网建设")
    assert (results[93]["status"], results[93]["period"]) == ("completed", "2023Q4")
    assert set(results[90]) == set(results[93])


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("90", 90),
        ("#90", 90),
        ("# 90", 90),
        ("90号", 90),
        ("#90号", 90),
        ("第90", 90),
        ("第90项", 90),
        ("第90条", 90),
        ("＃90", 90),
        ("90项目", None),
        ("九十", None),
        ("1234567", None),
        ("", None),
    ],
)
def test_a_number_alone_as_report_takes_it(text: str, number: int | None) -> None:
    assert number_alone(text) == number


def test_a_liaison_sees_the_targets_their_unit_leads_or_assists() -> None:
    lead = plans.Assignment(1, 1, "李县长", ("县水利局",), None, assisting=("县住建局",))
    target = plans.Target(1, 1, 1, "新建堤防5公里", "年底", date(2026, 12, 31), False, (lead,))

    def liaison(unit: str) -> Account:
        return Account(7, "liaison", 3, unit, None, None, "zh")

    assert may_see(liaison("县水利局"), target)
    assert may_see(liaison("县住建局"), target)  # the 配合单位 column: sent 批示, answers them
    assert not may_see(liaison("县交通运输局"), target)
    assert may_see(Account(8, "leader", None, None, 2, "李县长", "zh"), target)
