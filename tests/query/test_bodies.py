"""Other names of government bodies (bodies.toml): short, former and English names of units."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import aiosqlite
import pytest

from bot.plan.importer import import_file
from bot.query.bodies import bodies, body_of
from bot.query.engine import Answer, QueryEngine
from storage.db import connect

TODAY = date(2026, 11, 25)
GONGXIN = [48, 49, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 68, 71, 72, 73, 74, 75, 76, 86]
WEIJIAN = [69, 77, 78, 79, 80, 81, 82, 87, 88, 89]
RENSHE = [40, 41, 42, 43, 44, 45]
SHENGTAI = [92, 94, 95, 96]
SHUIWU = [90, 93, 96]


async def ask(conn: aiosqlite.Connection, text: str) -> Answer:
    return await QueryEngine().ask(conn, text, today=TODAY)


def numbers(answer: Answer) -> list[int]:
    return sorted(hit.target.number for hit in answer.hits)


def test_the_table_reads_and_units_find_their_body() -> None:
    assert len(bodies()) >= 25
    cases = {
        "市卫生健康委": "卫生健康委员会",
        "县卫健局": "卫生健康委员会",
        "市人力资源社会保障局": "人力资源和社会保障局",
        "市市场监管局": "市场监督管理局",
        "市发展改革委": "发展和改革委员会",
        "县生态环境分局": "生态环境局",
        "团市委": "共青团委员会",
        "市信息通信发展办公室": "信息通信发展办公室",
    }
    for unit, body in cases.items():
        found = body_of(unit)
        assert found is not None, unit
        assert found.name == body, unit
    assert body_of("东明县人民政府") is None


OTHER_NAMES = [
    ("环保局", SHENGTAI),
    ("环保局的目标", SHENGTAI),
    ("人社", RENSHE),
    ("卫健", WEIJIAN),
    ("卫计委", WEIJIAN),
    ("工信", GONGXIN),
    ("通信办", [71, 86]),
    ("water bureau", SHUIWU),
    ("Water Resources Bureau", SHUIWU),
    ("health commission", WEIJIAN),
    ("卫健委", WEIJIAN),  # as before
    ("卫建委", WEIJIAN),  # a typo, as before
    ("医保局", [83, 84, 85]),
    ("医保", [83, 84, 85]),  # a keyword, as before
]


@pytest.mark.parametrize(("text", "expected"), OTHER_NAMES)
async def test_other_names_of_bodies_find_their_unit(
    demo: aiosqlite.Connection, text: str, expected: list[int]
) -> None:
    assert numbers(await ask(demo, text)) == expected


async def test_the_old_name_of_ecology_is_never_the_healthcare_security_bureau(
    demo: aiosqlite.Connection,
) -> None:
    answer = await ask(demo, "环保局")
    assert [u.name for u in answer.parsed.units] == ["市生态环境局"]
    assert not {83, 84, 85} & set(numbers(answer))


# Near-miss names, each with the units that would be right (none: not in the plan).
NEAR_MISSES: list[tuple[str, set[str]]] = [
    ("环保局", {"市生态环境局"}),
    ("环境保护局", {"市生态环境局"}),
    ("环境局", {"市生态环境局"}),
    ("公安局", set()),
    ("国土局", set()),
    ("自规局", set()),
    ("民政局", set()),
    ("财政局", set()),
    ("统计局", set()),
    ("审批局", set()),
    ("应急局", set()),
    ("安监局", set()),
    ("城管局", set()),
    ("文旅局", set()),
    ("商务局", set()),
    ("交通局", set()),
    ("教体局", set()),
    ("教育局", set()),
    ("卫计委", {"市卫生健康委"}),
    ("卫生局", {"市卫生健康委"}),
    ("经信委", {"市工业和信息化局"}),
    ("工商局", {"市市场监管局"}),
    ("质监局", {"市市场监管局"}),
    ("农业局", {"市农业农村局"}),
    ("农委", {"市农业农村局"}),
    ("水利局", {"市水务局"}),
    ("人事局", {"市人力资源社会保障局"}),
    ("劳动局", {"市人力资源社会保障局"}),
    ("医疗局", {"市医保局", "市卫生健康委"}),
    ("保障局", {"市医保局", "市人力资源社会保障局"}),
    ("police", set()),
    ("finance bureau", set()),
    ("statistics bureau", set()),
    ("environment bureau", {"市生态环境局"}),
    ("health bureau", {"市卫生健康委"}),
]


async def test_near_miss_names_are_never_confidently_wrong(demo: aiosqlite.Connection) -> None:
    assert len(NEAR_MISSES) >= 30
    wrong = {}
    for text, right in NEAR_MISSES:
        answer = await ask(demo, text)
        taken = {u.name for u in answer.parsed.units}
        if taken - right:
            wrong[text] = taken
    assert wrong == {}


COUNTY = """某县人民政府2024年责任目标推进情况一览表

序号\t市政府领导\t责任目标内容\t完成时限\t三季度完成情况\t是否按计划完成进度\t责任单位
1\t李明\t新增城镇就业3000人\t年底\t已新增2600人\t是\t县人社局
2\t李明\t建成紧密型县域医共体\t年底\t已完成主体建设\t是\t县卫健局
3\t张华\t空气质量优良天数比例达到70%\t年底\t优良天数比例68%\t否\t县生态环境分局
4\t张华\t完成小型水库除险加固5座\t年底\t已完成3座\t是\t县水利局
"""


@pytest.fixture
async def county(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    path = tmp_path / "county.tsv"
    path.write_text(COUNTY, encoding="utf-8")
    conn = await connect(tmp_path / "county.db")
    await import_file(conn, path, actor="test")
    yield conn
    await conn.close()


COUNTY_NAMES = [
    ("县人社局", [1]),
    ("人社局", [1]),
    ("人社", [1]),
    ("人力资源和社会保障局", [1]),
    ("卫健局", [2]),
    ("卫健委", [2]),
    ("卫健", [2]),
    ("卫生健康委员会", [2]),
    ("health commission", [2]),
    ("环保局", [3]),
    ("生态环境局", [3]),
    ("县生态环境分局", [3]),
    ("water bureau", [4]),
    ("水务局", [4]),
    ("水利局", [4]),
]


@pytest.mark.parametrize(("text", "expected"), COUNTY_NAMES)
async def test_a_county_table_with_its_own_names_is_understood(
    county: aiosqlite.Connection, text: str, expected: list[int]
) -> None:
    assert numbers(await ask(county, text)) == expected


@pytest.mark.parametrize("text", ["医保局", "工信局", "通信办", "发改委", "公安局", "市监局"])
async def test_a_county_without_the_body_finds_no_other_unit(
    county: aiosqlite.Connection, text: str
) -> None:
    answer = await ask(county, text)
    assert answer.parsed.units == []
    assert answer.hits == []
