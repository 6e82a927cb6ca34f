"""Other governments' headers: columns found by name, by the header's place and by content.

The tables are tests/plan/tables/col_* (the .xlsx made by col_make_xlsx.py): other names for
every column, no leader and no deadline column, extra columns, a status column and a percent
column known only by their values, a two-row header, and a content column no name covers.
"""

from __future__ import annotations

import json
from pathlib import Path

import aiosqlite
import pytest

from bot.cli import commands as cli
from bot.i18n import Translator, load_catalog
from bot.plan import columns
from bot.plan.columns import ColumnUse
from bot.plan.importer import (
    DEMO_TABLE,
    UNKNOWN_LEADER,
    describe_error,
    describe_summary,
    import_file,
    read_table,
)
from bot.plan.tables import TableError
from tests.conftest import snapshot
from tests.plan.test_importer import stored

TABLES = Path(__file__).parent / "tables"


def uses(path: Path, mapping: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """Return (header, role) of each column of a table's header."""
    return [(u.header, u.role) for u in read_table(path, columns=mapping).columns]


def brief(targets: list[dict[str, object]]) -> list[tuple[object, ...]]:
    """Return (number, content, deadline, [(leader, units, status, progress)]) of targets."""
    return [
        (
            t["number"],
            t["content"],
            t["deadline"],
            [
                (a["leader"], tuple(a["units"]), a["status"], a["progress"])
                for a in t["assignments"]  # type: ignore[attr-defined]
            ],
        )
        for t in targets
    ]


async def test_other_names_for_every_column(db: aiosqlite.Connection) -> None:
    path = TABLES / "col_names.tsv"
    assert uses(path) == [
        ("编号", "number"),
        ("主要任务", "content"),
        ("分管领导", "leader"),
        ("完成时间", "deadline"),
        ("牵头单位", "units"),
        ("责任单位", "assisting"),  # beside 牵头单位, 责任单位 holds the assisting units
        ("进展情况、存在问题及下一步打算", "progress"),
        ("目标完成情况", "on_schedule"),
    ]

    summary = await import_file(db, path, actor="test")

    assert (summary.plan_title, summary.period) == ("某县2024年重点工作任务", "2024Q2")
    assert brief(await stored(db)) == [
        (
            1,
            "新建污水管网20公里",
            "年底",
            [("李明", ("县住建局",), "on_track", "已建成8公里，下一步加快施工")],
        ),
        (
            2,
            "完成高标准农田建设3万亩",
            "9月底前",
            [("王强", ("县农业农村局",), "behind", "受降雨影响，已完成0.6万亩")],
        ),
        (
            3,
            "开展安全生产大检查",
            "6月底",
            [("李明", ("县应急管理局",), "completed", "检查全部完成")],
        ),
        (
            4,
            "新增城镇就业1500人",
            "持续推进",
            [("张华", ("县人社局",), "on_track", "新增就业700人")],
        ),
    ]
    targets = {t["number"]: t for t in await stored(db)}
    assert targets[2]["due_date"] == "2024-09-30"


async def test_a_table_without_leader_and_deadline_columns_imports(
    db: aiosqlite.Connection,
) -> None:
    path = TABLES / "col_noleader.tsv"
    assert uses(path) == [
        ("序号", "number"),
        ("项目名称", "content"),
        ("责任单位", "units"),
        ("落实情况", "progress"),
    ]

    summary = await import_file(db, path, actor="test")

    # No deadline is no unreadable deadline: no notice for each target.
    assert describe_summary(summary, Translator("zh")) == [
        "已导入《某市2024年民生实事项目》2024Q1：新增目标 3 个，变更 0 个，未变 0 个；"
        "新增进度记录 3 条。",
        "新登记领导 1 位、责任单位 4 个。",
        # No status column: two progress texts say nothing behind, one says 推进缓慢.
        "表中没有“是否按计划”一类的状态列：2 条进度按“按计划”保存，"
        "红黄绿灯再按其中的数字（完成率、形象进度）判断。",
        "3 个目标在表中和分节标题里都没有牵头领导，领导记为“未指定”。",
    ]
    assert brief(await stored(db)) == [
        (
            1,
            "新建城市书房10处",
            "",
            [(UNKNOWN_LEADER, ("市文化和旅游局",), "on_track", "已建成3处")],
        ),
        (
            2,
            "改造老旧小区50个",
            "",
            [
                (
                    UNKNOWN_LEADER,
                    ("市住房城乡建设局", "各区政府"),
                    "behind",  # no status column: the progress text says 进度滞后
                    "已开工12个，受资金影响进度滞后",
                )
            ],
        ),
        (
            3,
            "新增公办幼儿园学位3000个",
            "",
            # 无滞后 is no delay
            [(UNKNOWN_LEADER, ("市教育局",), "on_track", "已完成选址，无滞后情况")],
        ),
    ]
    assert {t["due_date"] for t in await stored(db)} == {None}


async def test_extra_columns_are_kept_as_extra(db: aiosqlite.Connection) -> None:
    path = TABLES / "col_extra.tsv"
    assert uses(path) == [
        ("序号", "number"),
        ("工作事项", "content"),
        ("区政府领导", "leader"),
        ("牵头单位", "units"),
        ("项目责任人", "extra"),
        ("一季度目标", "extra"),
        ("三季度完成情况", "progress"),
        ("是否达序时", "on_schedule"),
        ("备注", "extra"),
    ]
    summary = await import_file(db, path, actor="test")
    assert summary.period == "2024Q3"
    assert brief(await stored(db)) == [
        (1, "建设口袋公园5个", "", [("赵刚", ("区城管局",), "on_track", "已建成4个")]),
        (2, "新增停车泊位2000个", "", [("赵刚", ("区交通运输局",), "behind", "新增1200个")]),
    ]


async def test_a_column_of_yes_and_no_is_the_status_whatever_its_header(
    db: aiosqlite.Connection,
) -> None:
    path = TABLES / "col_status.tsv"
    assert uses(path) == [
        ("序号", "number"),
        ("目标任务", "content"),  # the content, as no other column is
        ("责任部门", "units"),
        ("进展", "progress"),
        ("督查结果", "on_schedule"),  # by its values: 是, 否, 是
    ]
    summary = await import_file(db, path, actor="test")
    assert (summary.plan_title, summary.period) == ("某市2023年经济社会发展目标", "2023Q4")
    assert [
        (t["number"], [(a["status"], a["progress"]) for a in t["assignments"]])  # type: ignore[attr-defined]
        for t in await stored(db)
    ] == [
        (1, [("on_track", "增长6.2%")]),
        (2, [("behind", "引进21个")]),
        (3, [("on_track", "增长7.5%")]),
    ]


async def test_percent_by_content_beside_planned_actual_and_rate(
    db: aiosqlite.Connection,
) -> None:
    path = TABLES / "col_percent.tsv"
    assert uses(path) == [
        ("序号", "number"),
        ("民生实事项目名称", "content"),
        ("目标任务", "planned"),  # beside another content column: the quantity planned
        ("实际完成", "actual"),
        ("完成率%", "rate"),
        ("投资完成", "percent"),  # by its values: 60%, 28%
        ("责任单位", "units"),
        ("当前进度", "progress"),
    ]
    await import_file(db, path, actor="test")
    # The numbers go with the progress text, where the at-risk estimate reads them.
    assert brief(await stored(db)) == [
        (
            1,
            "农村公益性岗位安置",
            "",
            [
                (
                    UNKNOWN_LEADER,
                    ("县人社局",),
                    "on_track",
                    "形象进度 60%；实际完成 700人（目标 1300人，完成率 54%）；已安置700人",
                )
            ],
        ),
        (
            2,
            "新建乡镇卫生院2所",
            "",
            [
                (
                    UNKNOWN_LEADER,
                    ("县卫健局",),
                    "behind",
                    "形象进度 28%；实际完成 1所（目标 2所，完成率 50%）；"
                    "88%(主体完工，装修推进缓慢)",
                )
            ],
        ),
    ]


async def test_a_header_over_two_rows_takes_the_fuller_row(db: aiosqlite.Connection) -> None:
    path = TABLES / "col_two_rows.xlsx"
    assert read_table(path).columns == (
        ColumnUse(0, "序号", "number"),
        ColumnUse(1, "工作任务", "content"),
        ColumnUse(2, "牵头领导", "leader"),
        ColumnUse(3, "牵头单位", "units"),
        ColumnUse(4, "配合单位", "assisting"),
        ColumnUse(5, "落实情况", "progress"),
    )
    await import_file(db, path, actor="test")
    assert brief(await stored(db)) == [
        (1, "新建5G基站300个", "", [("周斌", ("县工信局",), "on_track", "已建成260个")]),
        (2, "完成造林1万亩", "", [("周斌", ("县林业局",), "behind", "完成造林0.4万亩，进度滞后")]),
    ]


async def test_an_unknown_content_header_is_named_and_then_mapped_by_hand(
    db: aiosqlite.Connection,
) -> None:
    path = TABLES / "col_unknown.xlsx"
    before = await snapshot(db)
    with pytest.raises(TableError) as caught:
        await import_file(db, path, actor="test")
    assert describe_error(caught.value, Translator("zh")) == (
        "col_unknown.xlsx 第 2 行：找不到“内容”列。已识别：序号=序号、牵头单位=单位、"
        '进展情况=进度、是否按计划=状态。可用 --columns "内容=表头名" 指定。'
    )
    assert describe_error(caught.value, Translator("en")) == (
        "col_unknown.xlsx, row 2: no “content” column found. Recognised: 序号 = number, "
        "牵头单位 = units, 进展情况 = progress, 是否按计划 = on_schedule. "
        'Name it with --columns "content=header".'
    )
    assert await snapshot(db) == before

    for role in ("内容", "content"):  # the role in Chinese or as its English key
        assert uses(path, {role: "实事名目"})[1] == ("实事名目", "content")
    summary = await import_file(db, path, actor="test", columns={"内容": "实事名目"})
    assert (summary.plan_title, summary.period) == ("某市2024年十件民生实事", "2024Q2")
    assert brief(await stored(db)) == [
        (
            1,
            "建设保障性租赁住房1000套",
            "",
            [(UNKNOWN_LEADER, ("市住房城乡建设局",), "on_track", "已开工800套")],
        ),
        (
            2,
            "改造农村公路200公里",
            "",
            [(UNKNOWN_LEADER, ("市交通运输局",), "behind", "完成改造60公里")],
        ),
    ]


def test_a_file_without_any_header_says_what_a_header_needs(tmp_path: Path) -> None:
    path = tmp_path / "纪要.txt"
    path.write_text("会议纪要\n序号\t议题\n1\t讨论了三件事\n", encoding="utf-8")
    with pytest.raises(TableError) as caught:
        read_table(path)
    assert describe_error(caught.value, Translator("zh")) == (
        "纪要.txt：找不到表头行：没有一行同时有序号列和内容列（如“序号”“责任目标内容”）。"
        '可用 --columns "内容=表头名" 指定。'
    )
    table = read_table(path, columns={"内容": "议题"}, plan_title="会议", period="2024Q1")
    assert [(t.number, t.content) for t in table.targets] == [(1, "讨论了三件事")]


def test_a_mapping_by_hand_wins_over_names() -> None:
    path = TABLES / "col_percent.tsv"
    # 投资完成 read as nothing but an extra column; 目标任务 as the content, the rest by names.
    mapped = uses(path, {"其他": "投资完成", "内容": "目标任务"})
    assert mapped[:3] == [
        ("序号", "number"),
        ("民生实事项目名称", "extra"),  # the content is 目标任务 now; this one is left over
        ("目标任务", "content"),
    ]
    assert ("投资完成", "extra") in mapped


@pytest.fixture
def cli_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Path:
    """Return a database path for the CLI, run in an empty folder with default settings."""
    monkeypatch.chdir(tmp_path)
    for name in ("DEFAULT_LANGUAGE", "DATABASE_PATH", "BOT_TOKEN", "ADMIN_IDS"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "targetbot.db"


def test_cli_columns_option_maps_a_header_and_lists_the_targets(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(TABLES / "col_unknown.xlsx")
    assert cli.main(["import", path, "--db", str(cli_env)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        "col_unknown.xlsx 第 2 行：找不到“内容”列。已识别：序号=序号、牵头单位=单位、"
        '进展情况=进度、是否按计划=状态。可用 --columns "内容=表头名" 指定。'
    ]

    assert cli.main(["import", path, "--db", str(cli_env), "--columns", "内容=实事名目"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert cli.main(["targets", "--json", "--db", str(cli_env)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(t["number"], t["content"], t["assignments"][0]["units"]) for t in listed] == [
        (1, "建设保障性租赁住房1000套", ["市住房城乡建设局"]),
        (2, "改造农村公路200公里", ["市交通运输局"]),
    ]


BAD_MAPPINGS = {
    # --columns value: the one line the CLI prints (zh)
    "目录=实事名目": (
        "col_unknown.xlsx：--columns 中的 “目录” 不是列的角色；可用：序号、内容、领导、时限、单位、"
        "配合单位、进度、状态、形象进度、目标数、实际完成、完成率、其他"
        "（也可写英文：number、content、units 等）。"
    ),
    "内容=项目内容": (
        "col_unknown.xlsx：表格中没有 “项目内容” 这一列（--columns 中指定的表头名，"
        "须与表头单元格一字不差）。"
    ),
    "内容实事名目": (
        "col_unknown.xlsx：--columns 中的 “内容实事名目” 看不懂，应写成 “角色=表头名”，"
        '多个用逗号分隔，例如 --columns "内容=项目名称,单位=牵头单位"。'
    ),
    "内容=实事名目,content=牵头单位": "col_unknown.xlsx：--columns 为“内容”列指定了两次。",
    "内容=实事名目,单位=实事名目": (
        "col_unknown.xlsx：--columns 把表头 “实事名目” 指定给了两个角色。"
    ),
}


@pytest.mark.parametrize("option", sorted(BAD_MAPPINGS))
def test_a_bad_mapping_is_one_clear_line_and_stores_nothing(
    cli_env: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    path = str(TABLES / "col_unknown.xlsx")
    assert cli.main(["import", path, "--db", str(cli_env), "--columns", option]) == 1
    out, err = capsys.readouterr()
    assert (out, err.splitlines()) == ("", [BAD_MAPPINGS[option]])
    assert not cli_env.exists() or cli.main(["targets", "--json", "--db", str(cli_env)]) == 0
    if cli_env.exists():
        assert json.loads(capsys.readouterr().out) == []


def test_the_demo_table_reads_its_seven_columns_as_before() -> None:
    assert [(u.header, u.role) for u in read_table(DEMO_TABLE).columns] == [
        ("序号", "number"),
        ("市政府领导", "leader"),
        ("责任目标内容", "content"),
        ("完成时限", "deadline"),
        ("三季度完成情况", "progress"),
        ("是否按计划完成进度", "on_schedule"),
        ("责任单位", "units"),
    ]


@pytest.mark.parametrize(
    ("header", "role"),
    [
        ("项目名称", "content"),
        ("2023年民生实事项目名称", "content"),
        ("实施内容", "content"),
        ("工作事项", "content"),
        ("牵头市领导", "leader"),
        ("县政府领导", "leader"),
        ("市政府\n领导", "leader"),
        ("协同单位", "assisting"),
        ("最新进度（8月24日）", "progress"),
        ("1-8月实际完成情况", "progress"),
        ("进展情况、存在问题及下一步打算", "progress"),
        ("三季度完成情况", "progress"),
        ("是否达序时", "on_schedule"),
        ("目标完成情况", "on_schedule"),
        ("形象进度（%）", "percent"),
        ("当前进度(%)", "percent"),
        ("完成率(%)", "rate"),
        ("实际完成（人）", "actual"),
        ("备注", None),
        ("项目责任人", None),
        ("一季度目标", None),
    ],
)
def test_header_names(header: str, role: str | None) -> None:
    assert columns.role_of_header(header) == role


@pytest.mark.parametrize(
    ("cell", "status"),
    [
        ("是", "on_track"),
        ("顺利推进", "on_track"),
        ("按序时推进", "on_track"),
        ("序时推进", "on_track"),
        ("正常", "on_track"),
        ("否", "behind"),
        ("滞后", "behind"),
        ("严重滞后", "behind"),
        ("推进缓慢", "behind"),
        ("滞后（资金未到位）", "behind"),
        ("已完成", "completed"),
        ("也许", None),
    ],
)
def test_status_words(cell: str, status: str | None) -> None:
    assert columns.read_status(cell) == status


def test_every_role_name_in_messages_is_accepted_by_columns_option() -> None:
    # The zh messages say 可用 --columns "内容=表头名": every zh role name must work there.
    catalog = load_catalog("zh")
    aliases = columns.vocabulary().aliases
    for role in (*columns.ROLES, columns.EXTRA):
        assert aliases[catalog[f"import.role.{role}"]] == role
        assert aliases[role] == role
