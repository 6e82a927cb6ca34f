"""The import preview: the text the chat and `import --dry-run` share, and the upload checks."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot import limits
from bot.i18n import Translator
from bot.plan.columns import ColumnUse
from bot.plan.deadlines import parse_deadline
from bot.plan.importer import (
    DEMO_TABLE,
    ImportSummary,
    Notice,
    ParsedAssignment,
    ParsedTable,
    ParsedTarget,
)
from bot.plan.pending import PendingImports, safe_name
from bot.plan.preview import Preview, check_upload, preview_file, render
from tests.app.test_cli import targetbot

zh = Translator("zh")
en = Translator("en")


def assignment(leader: str, units: tuple[str, ...], **more: Any) -> ParsedAssignment:
    fields: dict[str, Any] = {"progress": None, "status": None, **more}
    return ParsedAssignment(row=3, leader=leader, units=units, **fields)


def target(number: int, content: str, *assignments: ParsedAssignment, **more: Any) -> ParsedTarget:
    deadline = parse_deadline(more.pop("deadline", "年底"), 2024)
    return ParsedTarget(
        row=3, number=number, content=content, deadline=deadline, assignments=assignments, **more
    )


def preview_of(targets: list[ParsedTarget], **more: Any) -> Preview:
    """Return a preview of a table as the importer reads it."""
    table = ParsedTable(
        file="民生实事.xlsx",
        plan_title="某市2024年民生实事",
        year=2024,
        period=more.pop("period", "2024Q2"),
        targets=tuple(targets),
        notices=(),
        **more,
    )
    summary = ImportSummary("民生实事.xlsx", "某市2024年民生实事", "2024Q2")
    summary.added = [t.number for t in targets]
    summary.reports_added = 1
    return Preview(table, summary)


def column(index: int, header: str, role: str) -> ColumnUse:
    return ColumnUse(index=index, header=header, role=role)


def test_the_preview_shows_the_mapping_labels_and_assisting_units() -> None:
    found = preview_of(
        [
            target(
                2003,
                "新建口袋公园10个",
                assignment("", ("市住建局",), assisting=("各区县政府",), status="behind"),
                label="2-3",
            )
        ],
        columns=(
            column(0, "序号", "number"),
            column(1, "项目 名称", "content"),
            column(2, "牵头单位", "units"),
            column(3, "配合单位", "assisting"),
            column(4, "备注", "extra"),
            column(5, "新角色", "something_new"),
        ),
        as_of=datetime.date(2024, 5, 15),
    )
    assert render(found, zh).splitlines() == [
        "📋 导入预览：民生实事.xlsx（尚未写入）",
        "目标计划：某市2024年民生实事（2024 年）",
        "期次：2024Q2",
        "截至：2024-05-15",
        "各列的识别：",
        "A 列 序号 → 序号",
        "B 列 项目 名称 → 目标内容",
        "C 列 牵头单位 → 责任（牵头）单位",
        "D 列 配合单位 → 配合单位",
        "E 列 备注 → 其他（随目标保存）",
        "F 列 新角色 → something_new",
        "导入后：新增目标 1 个，变更 0 个，停用 0 个，未变 0 个；新增进度记录 1 条。",
        "前 1 个目标（共 1 个），按导入后保存的样子：",
        "#2-3 新建口袋公园10个（年底）：- · 市住建局（配合：各区县政府） · 滞后",
    ]
    assert render(found, en, "en").splitlines()[5:7] == [
        "column A 序号 → number",
        "column B 项目 名称 → target",
    ]


def test_a_table_without_labels_dates_or_assisting_units_previews_without_them() -> None:
    found = preview_of([target(1, "目标", assignment("王昌华", ("市水务局",)))], period=None)
    assert render(found, zh).splitlines() == [
        "📋 导入预览：民生实事.xlsx（尚未写入）",
        "目标计划：某市2024年民生实事（2024 年）",
        "期次：无（表中没有进展列，只导入目标）",
        "导入后：新增目标 1 个，变更 0 个，停用 0 个，未变 0 个；新增进度记录 1 条。",
        "前 1 个目标（共 1 个），按导入后保存的样子：",
        "#1 目标（年底）：王昌华 · 市水务局 · 无进度",
    ]


def test_the_largest_table_still_previews_in_one_message() -> None:
    units = tuple(f"单位{'甲' * 95}{i:03}" for i in range(30))
    many = [
        target(
            n,
            "很长的目标" * 400,
            *(assignment("领导" * 30, units, assisting=units, status="on_track") for _ in range(9)),
            deadline="长" * 100,
            label=f"{n}-{n}" * 5,
        )
        for n in range(1, 60)
    ]
    found = preview_of(many, columns=tuple(column(i, "表头" * 100, "extra") for i in range(64)))
    found.summary.notices = tuple(
        Notice("import.notice.deadline", {"row": n, "number": n, "text": "长" * 100})
        for n in range(200)
    )
    text = render(found, zh)
    assert limits.units(text) <= limits.MESSAGE_LIMIT
    assert "……另有 34 列" in text
    assert text.count("\n#") == 5  # five rows, each cut short
    assert "另 6 条" in text
    assert render(found, zh, limit=None).endswith("……另有 195 条提示")


def test_uploads_are_checked_before_download() -> None:
    def line(name: str, size: int | None) -> str | None:
        refusal = check_upload(name, size)
        return None if refusal is None else zh(refusal.key, **refusal.values)

    assert line("表.xlsx", 20 * 2**20) is None
    assert line("表.CSV", 1) is None
    assert line("表.tsv", None) is None
    assert line("表.xlsx", 20 * 2**20 + 1) == zh(
        "import.chat.too_big", size_mb="20.0", limit_mb="20"
    )
    assert line("表.xls", 10) == zh("import.error.old_xls")
    assert line("表.pdf", 10) == zh("import.error.unsupported", suffix=".pdf")
    assert line("表", 10) == zh("import.chat.no_suffix")


def test_pending_files_are_kept_apart_and_bounded() -> None:
    pending = PendingImports()
    first = pending.reserve(1, "../../etc/passwd.xlsx")
    assert first.path.name == "passwd.xlsx"
    first.path.write_bytes(b"x")
    assert pending.get(first.key, 2) is None  # only its sender may act on it
    second = pending.reserve(1, "again.tsv")  # a new file replaces the first
    assert pending.get(first.key, 1) is None
    assert not first.path.exists()
    assert pending.outcome(first.key) == "replaced"
    assert pending.claim(second.key, 1) == second
    assert pending.claim(second.key, 1) is None  # a second claim gets nothing
    pending.finish(second.key, "imported")
    assert not second.path.exists()
    assert pending.outcome(second.key) == "imported"
    for owner in range(100):
        pending.reserve(owner, "t.tsv")
    assert sum(1 for _ in second.path.parents[1].iterdir()) <= 20
    pending.clear()
    assert not second.path.parents[1].exists()
    assert safe_name("") == "table"
    assert len(safe_name("长" * 300 + ".xlsx")) == 120
    assert safe_name("长" * 300 + ".xlsx").endswith(".xlsx")


async def test_the_dry_run_of_the_demo_table(db: aiosqlite.Connection) -> None:
    found = await preview_file(db, DEMO_TABLE)
    lines = render(found, zh).splitlines()
    assert "导入后：新增目标 57 个，变更 0 个，停用 0 个，未变 0 个；新增进度记录 59 条。" in lines
    assert (
        "#40 持续抓好高校毕业生、农民工、退役军人等重点群体就业,推动就业友好型示范城市建设"
        "（年底）："
        "聂元科 · 市人力资源社会保障局 · 按计划；刘连栋 · 市退役军人事务局 · 按计划"
    ) in lines
    async with db.execute("SELECT COUNT(*) FROM target") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    assert tuple(row) == (0,)


def test_the_cli_dry_run_prints_the_preview_and_stores_nothing(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    result = targetbot(tmp_path, "import", str(DEMO_TABLE), "--dry-run", "--db", str(db))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "📋 导入预览：heze-2023-q3.tsv（尚未写入）"
    assert "期次：2023Q3" in lines
    assert "前 5 个目标（共 57 个），按导入后保存的样子：" in lines
    listed = targetbot(tmp_path, "targets", "--db", str(db))
    assert listed.stdout.strip() == zh("cli.targets_empty")
