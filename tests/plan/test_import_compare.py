"""An import compares the table with what is stored: what it then writes, and only that."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import aiosqlite
import pytest

from bot.plan.importer import DEMO_TABLE, ImportSummary, import_file
from storage import targets as repo
from storage.db import connect
from tests.conftest import scalar, snapshot
from tests.plan.other_writer import write_from_another_connection

PLAN = "菏泽市人民政府2023年经济社会发展责任目标"
# What an import may write; the other tables (users, pushes …) it never touches.
PLAN_TABLES = ("plan", "target", "assignment", "assignment_unit", "leader", "unit", "report")


def edited(lines: list[str], number: str, column: int, value: str) -> list[str]:
    """Return the demo lines with one cell of target `number`'s first row replaced."""
    result = []
    for line in lines:
        cells = line.split("\t")
        if cells[0] == number:
            cells[column] = value
        result.append("\t".join(cells))
    return result


async def imported(conn: aiosqlite.Connection, tmp_path: Path, lines: list[str]) -> ImportSummary:
    """Import the table these lines make."""
    path = tmp_path / "table.tsv"
    path.write_text("\n".join(lines), encoding="utf-8")
    return await import_file(conn, path, actor="test")


async def rows(conn: aiosqlite.Connection, sql: str, *params: object) -> list[tuple[object, ...]]:
    """Return every row of a query."""
    async with conn.execute(sql, params) as cursor:
        return [tuple(row) for row in await cursor.fetchall()]


async def reports_of(conn: aiosqlite.Connection, number: int) -> list[tuple[object, ...]]:
    """Return target `number`'s reports: (position, period, revision, progress, status, source)."""
    return await rows(
        conn,
        "SELECT a.position, r.period, r.revision, r.progress, r.status, r.source FROM report r"
        " JOIN assignment a ON a.id = r.assignment_id JOIN target t ON t.id = a.target_id"
        " WHERE t.number = ? ORDER BY a.position, r.period, r.revision",
        number,
    )


async def units_of(conn: aiosqlite.Connection, number: int) -> list[tuple[object, ...]]:
    """Return target `number`'s live assignments: (id, position, leader, [(unit, role), …])."""
    found: list[tuple[object, ...]] = []
    for assignment, position, leader in await rows(
        conn,
        "SELECT a.id, a.position, l.name FROM assignment a JOIN target t ON t.id = a.target_id"
        " JOIN leader l ON l.id = a.leader_id WHERE t.number = ? AND a.retired_at IS NULL"
        " ORDER BY a.position",
        number,
    ):
        units = await rows(
            conn,
            "SELECT u.name, au.role FROM assignment_unit au JOIN unit u ON u.id = au.unit_id"
            " WHERE au.assignment_id = ? ORDER BY au.position",
            assignment,
        )
        found.append((assignment, position, leader, units))
    return found


async def plan_tables(conn: aiosqlite.Connection) -> dict[str, list[tuple[object, ...]]]:
    """Return the rows of the tables an import writes."""
    every = await snapshot(conn)
    return {table: every[table] for table in PLAN_TABLES}


async def audits(conn: aiosqlite.Connection) -> int:
    """Return how many imports the audit log holds."""
    count = await scalar(conn, "SELECT COUNT(*) FROM audit_log WHERE action = 'import'")
    assert isinstance(count, int)
    return count


async def test_the_same_table_again_writes_nothing_at_all(
    demo: aiosqlite.Connection, tmp_path: Path, demo_lines: list[str]
) -> None:
    before, changes, logged = await snapshot(demo), demo.total_changes, await audits(demo)

    summary = await imported(demo, tmp_path, demo_lines)

    assert (summary.added, summary.changed, summary.retired) == ([], [], [])
    assert (len(summary.unchanged), summary.reports_added) == (57, 0)
    assert (summary.leaders_added, summary.units_added) == (0, 0)
    assert demo.total_changes == changes  # not a row written, not even a scratch one
    assert await audits(demo) == logged
    assert await snapshot(demo) == before


async def test_one_changed_progress_adds_that_report_alone(
    demo: aiosqlite.Connection, tmp_path: Path, demo_lines: list[str]
) -> None:
    before, logged = await plan_tables(demo), await audits(demo)

    summary = await imported(demo, tmp_path, edited(demo_lines, "62", 4, "已建成科技企业孵化器3家"))

    assert (summary.changed, len(summary.unchanged), summary.reports_added) == ([], 57, 1)
    assert await audits(demo) == logged + 1
    after = await plan_tables(demo)
    assert {t: after[t] for t in PLAN_TABLES if t != "report"} == {
        t: before[t] for t in PLAN_TABLES if t != "report"
    }
    assert after["report"][: len(before["report"])] == before["report"]
    assert len(after["report"]) == len(before["report"]) + 1
    assert (await reports_of(demo, 62))[-1] == (
        1,
        "2023Q3",
        2,
        "已建成科技企业孵化器3家",
        "on_track",
        "import",
    )


async def test_a_changed_status_alone_is_a_new_report(
    demo: aiosqlite.Connection, tmp_path: Path, demo_lines: list[str]
) -> None:
    first = await reports_of(demo, 62)

    summary = await imported(demo, tmp_path, edited(demo_lines, "62", 5, "否"))

    assert (summary.changed, summary.reports_added) == ([], 1)
    assert await reports_of(demo, 62) == [
        *first,
        (1, "2023Q3", 2, first[0][3], "behind", "import"),
    ]


async def test_another_leader_changes_that_assignment_in_place(
    demo: aiosqlite.Connection, tmp_path: Path, demo_lines: list[str]
) -> None:
    [(assignment, _, leader, units)] = await units_of(demo, 62)
    assert leader == "王昌华"
    reports = await scalar(demo, "SELECT COUNT(*) FROM report")

    summary = await imported(demo, tmp_path, edited(demo_lines, "62", 1, "曹临"))

    assert (summary.changed, summary.reports_added, summary.leaders_added) == ([62], 0, 0)
    assert await units_of(demo, 62) == [(assignment, 1, "曹临", units)]
    assert await scalar(demo, "SELECT COUNT(*) FROM report") == reports
    assert await scalar(demo, "SELECT COUNT(*) FROM assignment") == 59


async def test_new_leaders_and_units_are_registered_once_and_assigned(
    demo: aiosqlite.Connection, tmp_path: Path, demo_lines: list[str]
) -> None:
    lines = edited(demo_lines, "62", 1, "新领导")
    lines = edited(lines, "62", 6, "市新单位 市科技局")

    summary = await imported(demo, tmp_path, lines)

    assert (summary.changed, summary.leaders_added, summary.units_added) == ([62], 1, 1)
    [(_, _, leader, units)] = await units_of(demo, 62)
    assert (leader, units) == ("新领导", [("市新单位", "lead"), ("市科技局", "lead")])
    assert await scalar(demo, "SELECT COUNT(*) FROM leader WHERE name = '新领导'") == 1
    assert await scalar(demo, "SELECT COUNT(*) FROM unit WHERE name = '市新单位'") == 1


async def test_units_in_another_order_are_a_change(
    demo: aiosqlite.Connection, tmp_path: Path, demo_lines: list[str]
) -> None:
    [(assignment, _, _, units)] = await units_of(demo, 89)
    assert units == [("市卫生健康委", "lead"), ("市妇联", "lead")]

    summary = await imported(demo, tmp_path, edited(demo_lines, "89", 6, "市妇联 市卫生健康委"))

    assert (summary.changed, summary.reports_added) == ([89], 0)
    assert await units_of(demo, 89) == [
        (assignment, 1, "王昌华", [("市妇联", "lead"), ("市卫生健康委", "lead")])
    ]


async def test_a_row_left_out_retires_its_assignment_and_its_return_restores_it(
    demo: aiosqlite.Connection, tmp_path: Path, demo_lines: list[str]
) -> None:
    both = await units_of(demo, 40)
    assert [(position, leader) for _, position, leader, _ in both] == [(1, "聂元科"), (2, "刘连栋")]
    second = demo_lines.index(next(line for line in demo_lines if line.startswith("\t刘连栋")))

    summary = await imported(demo, tmp_path, demo_lines[:second] + demo_lines[second + 1 :])

    assert (summary.changed, summary.reports_added) == ([40], 0)
    assert await units_of(demo, 40) == both[:1]
    assert await scalar(demo, "SELECT COUNT(*) FROM assignment WHERE retired_at IS NOT NULL") == 1

    summary = await imported(demo, tmp_path, demo_lines)

    # The same assignment again (not a new one), and its row's progress as its latest report.
    assert summary.changed == [40]
    assert await units_of(demo, 40) == both
    assert await scalar(demo, "SELECT COUNT(*) FROM assignment") == 59
    assert (await reports_of(demo, 40))[-1][:3] == (2, "2023Q3", 2)


async def test_a_target_left_out_is_retired_and_comes_back_the_same(
    demo: aiosqlite.Connection, tmp_path: Path, demo_lines: list[str]
) -> None:
    target = await scalar(demo, "SELECT id FROM target WHERE number = 62")
    without = [line for line in demo_lines if not line.startswith("62\t")]

    summary = await imported(demo, tmp_path, without)

    assert (summary.retired, len(summary.unchanged), summary.reports_added) == ([62], 56, 0)
    assert await scalar(demo, "SELECT retired_at IS NOT NULL FROM target WHERE id = ?", target)

    summary = await imported(demo, tmp_path, demo_lines)

    assert (summary.added, summary.changed, summary.reports_added) == ([], [62], 0)
    assert await scalar(demo, "SELECT retired_at IS NULL FROM target WHERE id = ?", target)
    assert await scalar(demo, "SELECT COUNT(*) FROM target") == 57


async def test_another_quarter_reports_every_row_and_the_first_quarter_stays_as_it_was(
    demo: aiosqlite.Connection, tmp_path: Path, demo_lines: list[str]
) -> None:
    q4 = [line.replace("三季度", "四季度") for line in demo_lines]

    summary = await imported(demo, tmp_path, q4)

    assert (summary.period, summary.reports_added, len(summary.unchanged)) == ("2023Q4", 59, 57)
    before = await plan_tables(demo)
    summary = await imported(demo, tmp_path, demo_lines)  # 2023Q3: what is stored for it
    assert (summary.period, summary.reports_added) == ("2023Q3", 0)
    assert await plan_tables(demo) == before  # (its layout is the last table's)


async def test_a_units_update_the_table_repeats_adds_no_report_and_another_text_does(
    demo: aiosqlite.Connection, tmp_path: Path, demo_lines: list[str]
) -> None:
    [(assignment, _, _, _)] = await units_of(demo, 62)
    assert isinstance(assignment, int)
    lead = await repo.unit_id(demo, "市科技局")
    await repo.append_report(
        demo,
        assignment,
        "2023Q3",
        "单位报送的进展",
        "on_track",
        source="chat",
        at="x",
        unit_id=lead,
    )
    await demo.commit()
    before = await snapshot(demo)

    summary = await imported(demo, tmp_path, edited(demo_lines, "62", 4, "单位报送的进展"))

    assert summary.reports_added == 0  # the table says what the unit said (its own export)
    assert await snapshot(demo) == before

    summary = await imported(demo, tmp_path, edited(demo_lines, "62", 4, "督查室改写的进展"))

    assert summary.reports_added == 1
    assert (await reports_of(demo, 62))[-1] == (
        1,
        "2023Q3",
        3,
        "督查室改写的进展",
        "on_track",
        "import",
    )


async def test_staging_a_large_import_locks_nobody_out(
    tmp_path: Path, demo_lines: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # While the import copies its rows into its scratch table, another process writes
    # (without waiting: a locked database fails at once).
    path = tmp_path / "targetbot.db"
    outcomes: list[str] = []
    staged_kinds = repo._staged_kinds

    def kinds_while_another_writes(
        writes: repo.ImportWrites,
    ) -> list[tuple[str, Iterable[tuple[object, ...]]]]:
        def then_write(rows: Iterable[tuple[object, ...]]) -> Iterable[tuple[object, ...]]:
            yield from rows
            if not outcomes:
                outcomes.append(write_from_another_connection(path, "别的连接"))

        return [(columns, then_write(rows)) for columns, rows in staged_kinds(writes)]

    monkeypatch.setattr(repo, "_staged_kinds", kinds_while_another_writes)
    conn = await connect(path)
    try:
        summary = await import_file(conn, DEMO_TABLE, actor="test")

        assert outcomes == ["written"]
        assert (len(summary.added), summary.reports_added) == (57, 59)
        assert await scalar(conn, "SELECT COUNT(*) FROM target") == 57
        assert await scalar(conn, "SELECT COUNT(*) FROM leader WHERE name = '别的连接'") == 1
        assert await scalar(conn, "SELECT title FROM plan") == PLAN
    finally:
        await conn.close()
