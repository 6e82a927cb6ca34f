"""`targetbot extensions list|approve|refuse`."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

from bot.extensions import service
from bot.plan.importer import DEMO_TABLE, import_file
from storage.db import connect
from tests.app.test_cli import targetbot
from tests.extensions.test_extensions import LIAISON, people


async def two_requests(db: Path) -> None:
    conn = await connect(db)
    try:
        await import_file(conn, DEMO_TABLE, actor="test")
        who = await people(conn)
        for number, new_due in ((93, date(2024, 3, 31)), (90, date(2024, 6, 30))):
            await service.ask(
                conn,
                who[LIAISON],
                await service.target_by_number(conn, number),
                new_due=new_due,
                reason="动员大会推迟",
                progress="已委托第三方",
                today=date(2023, 11, 1),
                at="2023-11-01T09:00:00+08:00",
            )
    finally:
        await conn.close()


async def test_an_admin_lists_approves_and_refuses_from_the_command_line(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    empty = targetbot(tmp_path, "extensions", "list", "--db", str(db))
    assert (empty.returncode, empty.stdout) == (0, "没有待审批的延期申请。\n")
    await two_requests(db)

    listed = targetbot(tmp_path, "extensions", "list", "--db", str(db))
    assert listed.returncode == 0, listed.stderr
    said = " · 待审批 · 理由：动员大会推迟 · 进展：已委托第三方"
    assert listed.stdout.splitlines() == [
        "1. #93 市水务局：2023-12-31 → 2024-03-31" + said,
        "2. #90 市水务局：2023-12-31 → 2024-06-30" + said,
    ]

    approved = targetbot(
        tmp_path, "extensions", "approve", "1", "--comment", "同意", "--db", str(db)
    )
    assert approved.returncode == 0, approved.stderr
    assert approved.stdout.startswith("已批准：1. #93 市水务局：2023-12-31 → 2024-03-31 · 已批准")
    assert approved.stdout.rstrip().endswith("· 意见：同意")

    no_reason = targetbot(tmp_path, "extensions", "refuse", "2", "--db", str(db))
    assert no_reason.returncode != 0  # --comment is required
    refused = targetbot(
        tmp_path, "extensions", "refuse", "2", "--comment", "理由不充分", "--db", str(db)
    )
    assert refused.returncode == 0, refused.stderr
    assert refused.stdout.startswith("已驳回：2. #90")

    again = targetbot(tmp_path, "extensions", "approve", "2", "--db", str(db))
    assert again.returncode == 1
    assert again.stderr == "延期申请 2 已经审批过了。\n"
    missing = targetbot(tmp_path, "extensions", "approve", "9", "--db", str(db))
    assert (missing.returncode, missing.stderr) == (1, "没有编号为 9 的延期申请。\n")

    every = targetbot(tmp_path, "extensions", "list", "--all", "--json", "--db", str(db))
    data = json.loads(every.stdout)
    assert [(r["target"], r["state"], r["due_date"], r["new_due_date"]) for r in data] == [
        (93, "approved", "2023-12-31", "2024-03-31"),
        (90, "refused", "2023-12-31", "2024-06-30"),
    ]
    assert data[0]["decided_by"] == "cli"
    shown = json.loads(targetbot(tmp_path, "targets", "--json", "--db", str(db)).stdout)
    due = {t["number"]: t["due_date"] for t in shown}
    assert (due[93], due[90]) == ("2024-03-31", "2023-12-31")
    # Each asker is told by the running bot at its next minute's check: one push each, waiting.
    with sqlite3.connect(db) as conn:
        told = conn.execute(
            "SELECT key, recipient, state, text FROM push WHERE kind = 'extension_told'"
            " ORDER BY key"
        ).fetchall()
    assert [(k, r, s) for k, r, s, _ in told] == [
        ("extension_told:1", LIAISON, "retry"),
        ("extension_told:2", LIAISON, "retry"),
    ]
    assert told[1][3].endswith("理由：理由不充分")
