"""Other governments' tables (issue 15): what their rows mean, as stored.

Each table under tests/plan/tables/shape_* shows one shape (the last two several at once):
section headings naming a leader or a category, numbering that restarts per section, sub-items
under one 序号, unit phrases and assisting units, other status words, a share done and
target/actual/rate columns, dated titles and headers, and no title line at all.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import aiosqlite

from bot import clock
from bot.cli.commands import target_json
from bot.i18n import Translator
from bot.plan.importer import (
    DEMO_TABLE,
    ImportSummary,
    describe_summary,
    import_file,
    read_table,
)
from bot.plan.names import split_units
from bot.plan.rows import PLACEHOLDER_LEADER, heading_of
from bot.query.engine import QueryEngine
from bot.query.parse import number_alone
from bot.query.text import answer_json, details, result_line
from storage import targets as repo
from tests.conftest import scalar

TABLES = Path(__file__).parent / "tables"
ZH = Translator("zh")
Q2 = date(2023, 6, 20)  # a day of the second quarter: its reports are this period's
Q3 = date(2023, 9, 20)


async def imported(
    db: aiosqlite.Connection, name: str, period: str | None = None
) -> tuple[ImportSummary, dict[int, dict[str, object]]]:
    """Import a shape table; return the summary and what is stored, by number (targets --json)."""
    summary = await import_file(db, TABLES / name, actor="test", period=period)
    plan = await repo.plan_by_title(db, summary.plan_title)
    assert plan is not None
    stored = {t.number: target_json(t) for t in await repo.list_targets(db, plan.id)}
    return summary, stored


def rows(stored: dict[int, dict[str, object]]) -> dict[int, list[tuple[object, ...]]]:
    """Return each target's assignments as (leader, units, assisting, period, status, progress)."""
    return {
        number: [
            (a["leader"], a["units"], a["assisting"], a["period"], a["status"], a["progress"])
            for a in target["assignments"]  # type: ignore[attr-defined]
        ]
        for number, target in stored.items()
    }


async def lights(db: aiosqlite.Connection, today: date) -> dict[int, str]:
    """Return every target's light as leaders see it on `today`."""
    engine = QueryEngine()
    await engine.refresh(db)
    assert engine.index is not None
    found = {}
    for target in engine.index.targets:
        hit = engine.index.light_of(target.number, today=today)
        assert hit is not None
        found[target.number] = hit.light
    return found


async def test_section_headings_give_their_leader_to_the_items_under_them(
    db: aiosqlite.Connection,
) -> None:
    summary, stored = await imported(db, "shape_sections_leaders.tsv")
    assert (summary.plan_title, summary.period) == ("某市2023年重点工作", "2023Q3")
    assert sorted(stored) == [1, 2, 3, 4, 5]  # straight numbering: numbers as written
    assert {n: (t["label"], t["category"]) for n, t in stored.items()} == {
        1: (None, None),
        2: (None, None),
        3: (None, None),
        4: (None, None),
        5: (None, "其他重点工作"),
    }
    assert rows(stored) == {
        1: [("汤飞帆", ["市工业和信息化局"], [], "2023Q3", "on_track", "已建成820个")],
        2: [("汤飞帆", ["市发展和改革委员会"], [], "2023Q3", "behind", "已引进6个")],
        3: [("李明", ["市住房和城乡建设局"], [], "2023Q3", "on_track", "已开工30个")],
        4: [("王芳", ["市人力资源社会保障局"], [], "2023Q3", "on_track", "新增1.05万人")],
        # 四、其他重点工作 names nobody: the target still imports, its leader a placeholder.
        5: [(PLACEHOLDER_LEADER, ["市水务局"], [], "2023Q3", "completed", "已完成")],
    }
    assert [(t["deadline"], t["due_date"]) for t in stored.values()] == [
        ("年底", "2023-12-31"),
        ("10月底", "2023-10-31"),
        ("年底", "2023-12-31"),
        ("年底", "2023-12-31"),
        ("9月底", "2023-09-30"),
    ]
    assert describe_summary(summary, ZH)[-1] == (
        "1 个目标在表中和分节标题里都没有牵头领导，领导记为“未指定”。"
    )


def test_heading_words_name_a_leader_or_a_category() -> None:
    cases = {
        "一、汤飞帆市长牵头重点工作": (1, "汤飞帆", None),
        "二、生态环保": (2, None, "生态环保"),
        "三、牵头领导：王芳": (3, "王芳", None),
        "四、副市长李明分管工作": (4, "李明", None),
        "（二）工业经济": (None, None, "工业经济"),
        "十、市长办公会议定事项": (10, None, "市长办公会议定事项"),
    }
    for text, expected in cases.items():
        section = heading_of(text)
        assert section is not None, text
        assert (section.number, section.leader, section.category) == expected, text
    assert heading_of("注：本表由督查室汇总") is None
    assert heading_of("1、") is None


async def test_numbering_restarting_per_section_is_section_thousand_and_labelled(
    db: aiosqlite.Connection,
) -> None:
    summary, stored = await imported(db, "shape_sections_restart.tsv")
    assert summary.period == "2023Q3"
    assert {n: (t["label"], t["category"], t["content"]) for n, t in stored.items()} == {
        1001: ("1-1", "生态环保", "完成造林绿化5000亩"),
        1002: ("1-2", "生态环保", "建成污水处理厂1座"),
        2001: ("2-1", "教育卫生", "新建幼儿园3所"),
        2002: ("2-2", "教育卫生", "改造乡镇卫生院5家"),
        2003: ("2-3", "教育卫生", "新增托育床位200张"),
    }
    assert [a[0] for r in rows(stored).values() for a in r] == [
        "张三",
        "张三",
        "李四",
        "李四",
        "王五",
    ]
    assert stored[1002]["due_date"] == "2023-11-30"
    assert stored[2002]["assignments"][0]["status"] == "behind"  # type: ignore[index]

    # Stable on re-import: the same numbers, nothing changed.
    again = await import_file(db, TABLES / "shape_sections_restart.tsv", actor="test")
    assert (again.added, again.changed, len(again.unchanged)) == ([], [], 5)

    # Chat lines and details show the table's number; #2-3, 2-3号 and #2003 find it.
    engine = QueryEngine()
    for question in ("#2-3", "2-3号", "#2003"):
        answer = await engine.ask(db, question, today=Q3)
        assert [hit.target.number for hit in answer.hits] == [2003], question
    answer = await engine.ask(db, "#2-3", today=Q3)
    assert result_line(answer.hits[0], ZH, "zh").startswith(
        "🟢 #2-3 新增托育床位200张 · 县卫生健康局"
    )
    assert answer_json(answer, ZH)["understood"]["taken"] == [  # type: ignore[index]
        {"word": "#2-3", "kind": "number", "as": "#2-3"}
    ]
    assert answer_json(answer, ZH)["results"][0]["label"] == "2-3"  # type: ignore[index]
    target = await repo.target_by_id(db, answer.hits[0].target.id)
    assert target is not None
    text = details(target, [], ZH, "zh")
    assert text.splitlines()[:3] == [
        "#2-3 新增托育床位200张",
        "类别：教育卫生",
        "完成时限：年底（2023-12-31）",
    ]
    assert (number_alone("#2-3"), number_alone("2-3号"), number_alone("#2003")) == (2003,) * 3


async def test_sub_item_lines_become_part_of_their_target(db: aiosqlite.Connection) -> None:
    summary, stored = await imported(db, "shape_sub_lines.tsv")
    assert (sorted(stored), summary.period) == ([1, 2], "2023Q3")
    assert (
        stored[1]["content"] == "推进城市更新：\n（1）改造老旧小区50个\n（2）新建公共停车位2000个"
    )
    assert stored[2]["content"] == (
        "（1）实施道路提升工程\n（2）新建城市道路10公里\n（3）改造背街小巷20条"
    )
    assert rows(stored) == {
        1: [
            (
                "王昌华",
                ["市住房和城乡建设局"],
                [],
                "2023Q3",
                "on_track",
                "老旧小区已开工42个；停车位已建成1500个",
            )
        ],
        2: [("王昌华", ["市城市管理局"], [], "2023Q3", "completed", "已完成")],
    }
    assert (stored[1]["due_date"], stored[2]["due_date"]) == ("2023-12-31", "2023-10-31")


def test_a_chinese_numbered_line_in_the_text_column_is_a_sub_item(tmp_path: Path) -> None:
    lines = (TABLES / "shape_sub_lines.tsv").read_text("utf-8").splitlines()
    path = tmp_path / "sub.tsv"
    path.write_text(
        "\n".join(
            line.replace("（1）改造", "（一）改造").replace("（2）新建公共", "（二）新建公共")
            for line in lines
        ),
        "utf-8",
    )
    first = read_table(path).targets[0]
    assert (first.number, first.category, first.content) == (
        1,
        None,
        "推进城市更新：\n（一）改造老旧小区50个\n（二）新建公共停车位2000个",
    )


async def test_a_number_merged_over_sub_indicators_is_one_target(
    db: aiosqlite.Connection,
) -> None:
    _, stored = await imported(db, "shape_sub_merged.xlsx")
    assert sorted(stored) == [1, 2]
    assert stored[1]["content"] == (
        "（1）城镇新增就业1.2万人\n（2）农村劳动力转移就业5000人\n（3）城镇登记失业率控制在4%以内"
    )
    # One assignment, each sub-indicator's progress on its own line; one 否 makes it behind.
    assert rows(stored)[1] == [
        (
            "聂元科",
            ["市人力资源社会保障局"],
            [],
            "2023Q3",
            "behind",
            "（1）新增0.95万人\n（2）转移就业4100人\n（3）3.2%",
        )
    ]
    assert rows(stored)[2][0][4:] == ("on_track", "已发放4.1亿元")


async def test_unit_phrases_and_an_assisting_column(db: aiosqlite.Connection) -> None:
    _, stored = await imported(db, "shape_units.tsv")
    assert {n: [(a[0], a[1], a[2]) for a in r] for n, r in rows(stored).items()} == {
        # The 、 inside brackets does not split; a 配合单位 column's units are assisting.
        1: [("曹临", ["各区(县、市)政府"], ["市商务局", "市财政局"])],
        # X、Y等市级有关部门: X, Y, and the group as the table names it.
        2: [("曹临", ["市住建局", "市自然资源规划局", "市级有关部门"], ["各相关单位"])],
        3: [("聂元科", ["市城市管理局", "市园林局"], ["市住建局", "市自然资源规划局"])],
    }
    assert split_units("省高等教育管理部门、市财政局等相关单位") == (
        "省高等教育管理部门",
        "市财政局",
        "相关单位",
    )
    roles = await scalar(
        db,
        "SELECT group_concat(u.name || ':' || au.role, ' ') FROM assignment_unit au "
        "JOIN unit u ON u.id = au.unit_id JOIN assignment a ON a.id = au.assignment_id "
        "JOIN target t ON t.id = a.target_id WHERE t.number = 3 ORDER BY au.position",
    )
    assert roles == "市城市管理局:lead 市园林局:lead 市住建局:assist 市自然资源规划局:assist"
    # The lead unit is still the one leaders see first; assisting units find the target too.
    engine = QueryEngine()
    answer = await engine.ask(db, "市园林局", today=Q3)
    assert [h.target.number for h in answer.hits] == [3]
    answer = await engine.ask(db, "市财政局", today=Q3)
    assert [h.target.number for h in answer.hits] == [1]
    hit = answer_json(answer, ZH)["results"][0]  # type: ignore[index]
    assert (hit["units"], hit["assisting"]) == (["各区(县、市)政府"], ["市商务局", "市财政局"])
    target = await repo.target_by_id(db, answer.hits[0].target.id)
    assert target is not None
    assert "   配合单位：市商务局、市财政局" in details(target, [], ZH, "zh").splitlines()


async def test_other_status_words(db: aiosqlite.Connection) -> None:
    _, stored = await imported(db, "shape_statuses.tsv")
    assert [r[0][4] for r in rows(stored).values()] == ["on_track", "on_track", "behind", "behind"]
    assert await lights(db, Q3) == {1: "🟢", 2: "🟢", 3: "🔴", 4: "🔴"}


async def test_a_share_done_feeds_the_at_risk_light(db: aiosqlite.Connection) -> None:
    summary, stored = await imported(db, "shape_percent.tsv")
    assert summary.period == "2023Q2"
    assert [r[0][4:] for r in rows(stored).values()] == [
        ("on_track", "形象进度 28%；主体结构施工"),
        ("on_track", "88%(征迁推进缓慢)"),
        ("on_track", "形象进度 60%；平台已上线试运行"),
    ]
    # Half the year gone: 28% reported on track is at risk; 88% and 60% are not.
    assert await lights(db, Q2) == {1: "🟡", 2: "🟢", 3: "🟢"}


async def test_target_actual_and_rate_columns_feed_the_at_risk_light(
    db: aiosqlite.Connection,
) -> None:
    summary, stored = await imported(db, "shape_quantities.tsv")
    assert summary.period == "2023Q3"
    assert {
        n: (t["content"], r[0][4:])
        for (n, t), r in zip(stored.items(), rows(stored).values(), strict=True)
    } == {
        1: ("城镇新增就业", ("on_track", "实际完成 700人（目标 1300人，完成率 54%）")),
        # No rate written: it is worked out from the two amounts.
        2: ("职业技能培训", ("on_track", "实际完成 4100人次（目标 5000人次，完成率 82%）")),
        3: ("新建充电桩", ("on_track", "实际完成 790个（目标 800个，完成率 99%）")),
    }
    # No status column: stored as on track and said so; the numbers judge (54% at 75%: 🟡).
    assert await lights(db, Q3) == {1: "🟡", 2: "🟢", 3: "🟢"}
    assert "3 条进度按“按计划”保存" in "\n".join(describe_summary(summary, ZH))


async def test_a_dated_title_and_a_months_header_give_the_period_and_the_date(
    db: aiosqlite.Connection,
) -> None:
    summary, stored = await imported(db, "shape_dated.tsv")
    assert (summary.plan_title, summary.period, summary.as_of) == (
        "某市2023年民生实事项目",
        "2023Q2",
        date(2023, 5, 15),
    )
    assert rows(stored)[1] == [("刘连栋", ["市民政局"], [], "2023Q2", "on_track", "已建成9个")]
    assert await scalar(db, "SELECT DISTINCT as_of FROM report") == "2023-05-15"
    assert "表中进度截至 2023-05-15。" in describe_summary(summary, ZH)
    target = await repo.target_by_id(db, 1)
    assert target is not None
    assert "已建成9个（截至 2023-05-15）" in details(target, [], ZH, "zh")

    summary, stored = await imported(db, "shape_months.tsv")
    assert (summary.plan_title, summary.period, summary.as_of) == (
        "某市2023年重点项目",
        "2023Q3",
        date(2023, 8, 31),
    )
    assert rows(stored)[1][0][3:] == ("2023Q3", "on_track", "已建成24个")


async def test_progress_without_a_status_column_is_stored_as_on_track_and_said(
    db: aiosqlite.Connection, tmp_path: Path
) -> None:
    lines = (TABLES / "shape_dated.tsv").read_text("utf-8").splitlines()
    path = tmp_path / "no-status.tsv"
    path.write_text(
        "\n".join("\t".join(c for i, c in enumerate(line.split("\t")) if i != 5) for line in lines),
        "utf-8",
    )
    summary = await import_file(db, path, actor="test")
    assert summary.period == "2023Q2"
    plan = await repo.current_plan(db)
    assert plan is not None
    stored = {t.number: target_json(t) for t in await repo.list_targets(db, plan.id)}
    assert rows(stored)[2] == [
        ("刘连栋", ["市交通运输局"], [], "2023Q2", "on_track", "已改造20公里")
    ]
    assert describe_summary(summary, ZH)[-1] == (
        "表中没有“是否按计划”一类的状态列：2 条进度按“按计划”保存，"
        "红黄绿灯再按其中的数字（完成率、形象进度）判断。"
    )


async def test_a_half_year_header_is_the_second_quarter(tmp_path: Path) -> None:
    path = tmp_path / "half.tsv"
    text = (TABLES / "shape_months.tsv").read_text("utf-8").replace("1-8月", "上半年")
    path.write_text(text, "utf-8")
    table = read_table(path)
    assert (table.period, table.as_of) == ("2023Q2", date(2023, 6, 30))


async def test_a_table_without_title_line_is_named_after_its_file(
    db: aiosqlite.Connection, tmp_path: Path
) -> None:
    summary, stored = await imported(db, "shape_untitled.tsv")
    year = clock.today().year
    assert (summary.plan_title, summary.period) == ("shape_untitled", None)
    plan = await repo.plan_by_title(db, "shape_untitled")
    assert plan is not None
    assert plan.year == year
    assert describe_summary(summary, ZH)[-1] == (
        f"标题和文件名都没有写年份，按今年（{year} 年）导入；"
        "如不对，请用 --period 指定（如 2023Q3）。"
    )
    assert rows(stored) == {
        1: [("聂元科", ["市文化和旅游局"], [], None, None, None)],
        2: [("聂元科", ["市文化和旅游局", "各县区政府"], [], None, None, None)],
    }
    # The year from the file's name; the plan's name from --plan.
    named = tmp_path / "文化惠民2024.tsv"
    shutil.copy(TABLES / "shape_untitled.tsv", named)
    summary = await import_file(db, named, actor="test", plan_title="某市2024年文化惠民")
    plan = await repo.plan_by_title(db, "某市2024年文化惠民")
    assert plan is not None
    assert plan.year == 2024
    assert not any("今年" in line for line in describe_summary(summary, ZH))


async def test_a_county_workbook_combining_several_shapes(db: aiosqlite.Connection) -> None:
    summary, stored = await imported(db, "shape_combined.xlsx")
    assert (summary.plan_title, summary.period, summary.as_of) == (
        "某县2023年重点项目",
        "2023Q2",
        date(2023, 5, 15),
    )
    assert {n: (t["label"], t["category"], t["extra"]) for n, t in stored.items()} == {
        1001: ("1-1", None, [["备注", "省重点"]]),
        1002: ("1-2", None, []),
        2001: ("2-1", "城乡建设", []),
    }
    assert (
        stored[1002]["content"]
        == "完成高标准农田建设：\n（1）新建高标准农田2万亩\n（2）改造提升1万亩"
    )
    assert stored[1002]["due_date"] == "2023-10-31"
    assert rows(stored) == {
        1001: [
            (
                "汤飞帆",
                ["县卫生健康局"],
                ["县住建局", "县财政局"],
                "2023Q2",
                "on_track",
                "形象进度 28%；主体封顶",
            )
        ],
        1002: [
            (
                "汤飞帆",
                ["县农业农村局"],
                [],
                "2023Q2",
                "behind",
                "（1）形象进度 45%；已完成0.9万亩\n（2）形象进度 10%；招标中",
            )
        ],
        # 二、城乡建设 names no leader: the placeholder, not the first section's leader.
        2001: [
            (
                PLACEHOLDER_LEADER,
                ["县住建局"],
                ["各乡镇(街道)", "县城管局"],
                "2023Q2",
                "on_track",
                "形象进度 50%；已开工12个",
            )
        ],
    }
    assert await lights(db, Q2) == {1001: "🟡", 1002: "🔴", 2001: "🟢"}
    target = await repo.target_by_id(db, (await engine_target(db, 1001)))
    assert target is not None
    assert "备注：省重点" in details(target, [], ZH, "zh").splitlines()
    again = await import_file(db, TABLES / "shape_combined.xlsx", actor="test")
    assert (again.added, again.changed, again.reports_added) == ([], [], 0)


async def engine_target(db: aiosqlite.Connection, number: int) -> int:
    """Return the id of the current plan's target `number`."""
    found = await scalar(db, "SELECT id FROM target WHERE number = ?", number)
    assert isinstance(found, int)
    return found


async def test_a_numbers_table_without_title_combining_several_shapes(
    db: aiosqlite.Connection,
) -> None:
    summary, stored = await imported(db, "shape_combined_2024.tsv", period="2024Q3")
    assert (summary.plan_title, summary.period) == ("shape_combined_2024", "2024Q3")
    assert {
        n: (t["label"], t["category"], t["content"], t["extra"]) for n, t in stored.items()
    } == {
        1001: ("1-1", "民生保障", "城镇新增就业", [["项目责任人", "赵六"], ["备注", "年度重点"]]),
        1002: (
            "1-2",
            "民生保障",
            "（1）新建公办幼儿园\n（2）其中普惠性幼儿园6所",
            [["项目责任人", "钱七"]],
        ),
        2001: ("2-1", "城市建设", "改造燃气管道", [["项目责任人", "孙八"], ["备注", "需加快"]]),
    }
    assert rows(stored) == {
        1001: [
            (
                PLACEHOLDER_LEADER,
                ["市人社局", "市财政局", "市级有关部门"],
                ["各区(县、市)政府"],
                "2024Q3",
                "on_track",
                "实际完成 700人（目标 1300人，完成率 54%）",
            )
        ],
        1002: [
            (
                PLACEHOLDER_LEADER,
                ["市教育局"],
                [],
                "2024Q3",
                "on_track",
                "实际完成 9所（目标 10所，完成率 90%）",
            )
        ],
        2001: [
            (
                PLACEHOLDER_LEADER,
                ["市住建局"],
                ["市城管局"],
                "2024Q3",
                "on_track",
                "实际完成 40公里（目标 200公里，完成率 20%）",
            )
        ],
    }
    assert await lights(db, date(2024, 9, 20)) == {1001: "🟡", 1002: "🟢", 2001: "🟡"}


async def test_the_demo_table_gains_no_labels_categories_or_extras(
    db: aiosqlite.Connection,
) -> None:
    summary = await import_file(db, DEMO_TABLE, actor="test")
    assert (len(summary.added), summary.as_of, summary.notices) == (57, None, ())
    assert (
        await scalar(
            db, "SELECT COUNT(*) FROM target WHERE label IS NOT NULL OR category IS NOT NULL"
        )
        == 0
    )
    assert await scalar(db, "SELECT COUNT(*) FROM target WHERE extra != '[]'") == 0
    assert await scalar(db, "SELECT COUNT(*) FROM assignment_unit WHERE role != 'lead'") == 0
