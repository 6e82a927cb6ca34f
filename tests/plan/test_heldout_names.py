"""The evaluator's held-out tables (issue 15): leaders in headings, column names, unit phrases.

The tables under tests/plan/tables/heldout_* are the evaluator's, copied as they were made
(/tmp/heldout15/make.py): the importer was not built on them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import aiosqlite
import pytest

from bot.cli.commands import target_json
from bot.plan.columns import place_header, read_status, role_of_header
from bot.plan.importer import ImportSummary, import_file
from bot.plan.names import split_lead_and_assisting, split_units
from bot.plan.rows import as_of_in, heading_of, leader_in_heading
from bot.plan.tables import read_sheets
from storage import targets as repo

TABLES = Path(__file__).parent / "tables"
UNIT_WORDS = ("牵头", "配合", "协办", ":", "：", "等部门", "等单位")


async def imported(
    db: aiosqlite.Connection, name: str, period: str | None = None
) -> tuple[ImportSummary, dict[int, dict[str, object]]]:
    """Import a held-out table; return the summary and what is stored (targets --json)."""
    summary = await import_file(db, TABLES / name, actor="test", period=period)
    plan = await repo.plan_by_title(db, summary.plan_title)
    assert plan is not None
    stored = {t.number: target_json(t) for t in await repo.list_targets(db, plan.id)}
    return summary, stored


def assignments(stored: dict[int, dict[str, object]]) -> dict[int, list[dict[str, object]]]:
    return {
        number: list(target["assignments"])  # type: ignore[call-overload]
        for number, target in stored.items()
    }


# ---------------------------------------------------------------------------- 1. headings


async def test_a_heading_naming_the_leader_after_a_colon_gives_that_leader(
    db: aiosqlite.Connection,
) -> None:
    summary, stored = await imported(db, "heldout_t2_zfgzbg_gbk.csv", period="2024Q1")
    assert summary.period == "2024Q1"
    leaders = {n: [a["leader"] for a in rows] for n, rows in assignments(stored).items()}
    # 一、分管副市长：陈志刚（共3项） / 二、分管副市长：刘红梅（共2项） / 三、市长王立新牵头:
    # three leaders, never one invented 分管 for the first two sections.
    assert leaders == {
        1001: ["陈志刚"],
        1002: ["陈志刚"],
        1003: ["陈志刚"],
        2001: ["刘红梅"],
        2002: ["刘红梅"],
        3001: ["王立新"],
    }
    assert {t["label"] for t in stored.values()} == {"1-1", "1-2", "1-3", "2-1", "2-2", "3-1"}
    assert all(t["category"] is None for t in stored.values())
    # 市发改委、市政务服务局等相关部门: the two bodies, not 相关部门.
    assert assignments(stored)[3001][0]["units"] == ["市发改委", "市政务服务局"]
    assert assignments(stored)[1003][0]["units"] == ["市工信局", "各区县政府"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("一、分管副市长：陈志刚（共3项）", (1, "陈志刚", None)),
        ("二、分管副市长:刘红梅(共2项)", (2, "刘红梅", None)),
        ("三、市长王立新牵头", (3, "王立新", None)),
        ("一、陈志刚副市长：工业经济", (1, "陈志刚", None)),
        ("二、工业经济：副市长陈志刚", (2, "陈志刚", None)),
        ("三、分管领导：刘红梅副市长", (3, "刘红梅", None)),
        ("四、副市长刘红梅（共2项）", (4, "刘红梅", None)),
        ("五、县长张建国", (5, "张建国", None)),
        ("六、区长：李四（共5项）", (6, "李四", None)),
        ("七、常务副市长王五牵头重点工作（共4项）", (7, "王五", None)),
        # A role without a name gives no leader (and no invented one): a category.
        ("一、分管副市长（共3项）", (1, None, "分管副市长")),
        ("二、民生实事：改善教育条件", (2, None, "民生实事:改善教育条件")),
        # The forms read before stay as they were.
        ("一、汤飞帆市长牵头重点工作", (1, "汤飞帆", None)),
        ("三、牵头领导：王芳", (3, "王芳", None)),
        ("四、副市长李明分管工作", (4, "李明", None)),
        ("十、市长办公会议定事项", (10, None, "市长办公会议定事项")),
    ],
)
def test_heading_leaders_on_either_side_of_a_colon(
    text: str, expected: tuple[int | None, str | None, str | None]
) -> None:
    section = heading_of(text)
    assert section is not None
    assert (section.number, section.leader, section.category) == expected


def test_role_words_are_never_a_leader() -> None:
    for text in ("分管副市长：", "分管副市长（共3项）", "牵头领导：（共2项）", "分管领导"):
        assert leader_in_heading(text) is None, text


# ---------------------------------------------------------------------------- 2. column names


@pytest.mark.parametrize(
    ("header", "role"),
    [
        ("截至8月底进展", "progress"),
        ("截至9月底进展情况", "progress"),
        ("1-9月工程进展", "progress"),
        ("8月进展", "progress"),
        ("最新进展", "progress"),
        ("年度计划投资（亿元）", "planned"),
        ("1-9月完成投资（亿元）", "actual"),
        ("实际", "actual"),
        ("投资完成率", "rate"),
        ("进度评价", "on_schedule"),
        ("推进评价", "on_schedule"),
        ("序时进度", "on_schedule"),
        ("县级领导", "leader"),
        ("区级领导", "leader"),
        ("包保市领导", "leader"),
        ("包保领导", "leader"),
        ("责任市领导", "leader"),
        ("乡级领导", "leader"),
        ("工作要点", "content"),
        ("实事名称", "content"),
        ("实事\n名称", "content"),
        ("重点工作", "content"),
        ("任务名称", "content"),
        # Names read before keep their roles.
        ("是否按计划完成进度", "on_schedule"),
        ("三季度完成情况", "progress"),
        ("形象进度(%)", "percent"),
        ("当前进度(%)", "percent"),
        ("完成时限", "deadline"),
        ("1-8月实际完成情况", "progress"),
        ("市政府领导", "leader"),
        ("责任目标内容", "content"),
        ("实际完成(人)", "actual"),
    ],
)
def test_header_names_of_the_held_out_tables(header: str, role: str) -> None:
    assert role_of_header(header) == role


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("未启动", "behind"),
        ("尚未启动", "behind"),
        ("未开工", "behind"),
        ("超序时", "on_track"),
        ("超序时推进", "on_track"),
        ("提前完成", "completed"),  # done ahead of time: done
        ("序时推进", "on_track"),
        ("滞后序时", "behind"),
    ],
)
def test_status_words_of_the_held_out_tables(word: str, status: str) -> None:
    assert read_status(word) == status


def test_dated_progress_headers_give_the_report_date() -> None:
    assert as_of_in("截至8月底进展", 2024) == date(2024, 8, 31)
    assert as_of_in("截至9月底进展情况", 2024) == date(2024, 9, 30)
    assert as_of_in("1-9月工程进展", 2024) == date(2024, 9, 30)
    assert as_of_in("8月进展", 2024) == date(2024, 8, 31)
    assert as_of_in("最新进展", 2024) is None


async def test_a_status_column_named_progress_evaluation(db: aiosqlite.Connection) -> None:
    summary, stored = await imported(db, "heldout_t7_status_gbk.csv")
    assert summary.period == "2024Q3"
    found = {
        n: [(a["leader"], a["units"], a["status"], a["progress"]) for a in rows]
        for n, rows in assignments(stored).items()
    }
    assert found == {
        1: [("钱方", ["县住建局"], "on_track", "已改造260户")],
        2: [("钱方", ["县交通运输局"], "behind", "已完成18公里")],
        3: [("吴静", ["县文旅局"], "completed", "已开馆运行")],
        4: [("吴静", ["县城管局"], "behind", "选址未确定")],  # 未启动
        5: [("吴静", ["县卫健局"], "on_track", "已接种2100人")],  # 超序时
    }
    # 县级领导 and 进度评价 are read, not kept as extra columns.
    assert all(t["extra"] == [] for t in stored.values())


async def test_planned_and_actual_investment_with_units_and_periods(
    db: aiosqlite.Connection,
) -> None:
    summary, stored = await imported(db, "heldout_t8_dated_0930.xlsx")
    assert (summary.period, summary.as_of) == ("2024Q3", date(2024, 9, 30))
    found = {
        n: [(a["leader"], a["status"], a["progress"]) for a in rows]
        for n, rows in assignments(stored).items()
    }
    assert found == {
        1: [("何建华", "on_track", "实际完成 8.6（目标 12，完成率 71.7%）；码头主体完工")],
        2: [("何建华", "on_track", "实际完成 5.9（目标 6.5，完成率 90.8%）；内部装修")],
        3: [("蒋丽", "behind", "实际完成 14.2（目标 30，完成率 47.3%）；盾构推进缓慢")],
    }
    assert stored[1]["extra"] == [["建设规模及内容", "新建5万吨级泊位4个"]]


async def test_a_progress_header_dated_to_a_month_end_gives_the_period(
    db: aiosqlite.Connection,
) -> None:
    summary, stored = await imported(db, "heldout_t1_minsheng2024.xlsx")
    assert (summary.plan_title, summary.period) == ("临江市2024年十件民生实事项目", "2024Q3")
    assert summary.as_of == date(2024, 8, 31)
    first = assignments(stored)[1][0]
    assert (first["leader"], first["units"], first["assisting"]) == (
        "周明远",
        ["市城管局"],
        ["市自然资源和规划局", "各区政府"],
    )
    assert first["progress"] == "形象进度 60%；已完工9个，其余6个正在施工"
    assert assignments(stored)[3][0]["status"] == "behind"  # 进度滞后


def test_target_and_actual_under_a_merged_completion_header() -> None:
    path = TABLES / "heldout_t3_county_q3.xlsx"
    _, header = place_header(read_sheets(path), path.name)
    assert [(u.header, u.role) for u in header.uses] == [
        ("序号", "number"),
        ("指标名称", "content"),
        ("牵头单位", "units"),
        ("目标", "planned"),
        ("实际", "actual"),
        ("完成率", "rate"),
        ("是否达序时", "on_schedule"),
        ("分管县领导", "leader"),
    ]


# ---------------------------------------------------------------------------- 3. unit phrases


@pytest.mark.parametrize(
    ("cell", "lead", "assisting"),
    [
        ("市市场监管局、市发改委、市财政局等部门", ("市市场监管局", "市发改委", "市财政局"), ()),
        ("市发改委、市政务服务局等相关部门", ("市发改委", "市政务服务局"), ()),
        ("市城管局、市园林局等单位", ("市城管局", "市园林局"), ()),
        ("市税务局牵头，各有关单位配合", ("市税务局",), ("各有关单位",)),
        (
            "牵头单位：市住建局；配合单位：市自然资源局、市生态环境局",
            ("市住建局",),
            ("市自然资源局", "市生态环境局"),
        ),
        ("牵头单位:市住建局;配合单位:市财政局 市税务局", ("市住建局",), ("市财政局", "市税务局")),
        ("市税务局、市财政局牵头，各有关单位配合", ("市税务局", "市财政局"), ("各有关单位",)),
        ("由市税务局牵头，市财政局", ("市税务局",), ("市财政局",)),
        ("市政务服务局，市大数据局，各县区", ("市政务服务局", "市大数据局", "各县区"), ()),
        ("各区(县、市)政府", ("各区(县、市)政府",), ()),
        ("市住建局（牵头）、市财政局、市税务局", ("市住建局",), ("市财政局", "市税务局")),
        ("市住建局、市财政局（配合）", ("市住建局",), ("市财政局",)),
        # A group that says whom stays a name of its own.
        (
            "市住建局、市自然资源规划局等市级有关部门",
            ("市住建局", "市自然资源规划局", "市级有关部门"),
            (),
        ),
        ("", (), ()),
    ],
)
def test_lead_and_assisting_units_out_of_one_cell(
    cell: str, lead: tuple[str, ...], assisting: tuple[str, ...]
) -> None:
    assert split_lead_and_assisting(cell) == (lead, assisting)
    # split_units: the lead units, then the assisting ones, none keeping 牵头/配合 or a label.
    assert split_units(cell) == (*lead, *assisting)


async def test_unit_phrases_are_stored_as_bodies(db: aiosqlite.Connection) -> None:
    _, stored = await imported(db, "heldout_t6_units.tsv")
    # 工作要点 is the content column.
    assert stored[1]["content"] == "全面推行“一网通办”"
    # Lead units first, then assisting ones (a column of its own or, once the importer asks
    # split_lead_and_assisting, the cell's 配合 clause): the names are the bodies alone.
    units = {
        n: [*rows[0]["units"], *rows[0]["assisting"]]  # type: ignore[misc]
        for n, rows in assignments(stored).items()
    }
    assert units == {
        1: ["市政务服务局", "市大数据局", "各县区"],
        2: ["市市场监管局", "市发改委", "市财政局"],
        3: ["市税务局", "各有关单位"],
        4: ["市住建局", "市自然资源局", "市生态环境局"],
        5: ["各县区政府", "市直各有关单位"],
    }
    assert all(
        not any(word in name for word in UNIT_WORDS) for names in units.values() for name in names
    )
