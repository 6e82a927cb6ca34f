"""`targetbot instructions list [--open] [--json]`, and instructions in `targets --json`,
`query --json` and `stats --json`."""

from __future__ import annotations

import json
from pathlib import Path

from bot.plan.importer import DEMO_TABLE, import_file
from storage.db import connect
from tests.app.test_cli import targetbot
from tests.instructions.test_instructions import (
    LEADER,
    OTHER_LEADER,
    WATER,
    accounts,
    answer,
    write,
)


async def two_instructions(db: Path) -> None:
    """曹临 on #90 (answered by 市水务局), 聂元科 on #96 (waiting)."""
    conn = await connect(db)
    try:
        await import_file(conn, DEMO_TABLE, actor="test")
        who = await accounts(conn)
        first = await write(conn, who[LEADER], 90, "请加快进度")
        await answer(conn, who[WATER], first.instruction.id, "已召开专题会议")
        await write(conn, who[OTHER_LEADER], 96, "请抓紧治理")
    finally:
        await conn.close()


async def test_instructions_from_the_command_line(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    env = {"FAKE_TIME": "2023-11-09 10:00"}
    empty = targetbot(tmp_path, "instructions", "list", "--db", str(db), env=env)
    assert (empty.returncode, empty.stdout) == (0, "还没有批示。\n")
    await two_instructions(db)

    listed = targetbot(tmp_path, "instructions", "list", "--db", str(db), env=env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        "2. #96 聂元科 2023-11-01 → 市水务局 · ⏰ 逾期未答复（应于 2023-11-06 前）：请抓紧治理",
        "1. #90 曹临 2023-11-01 → 市水务局 · ✅ 已答复：请加快进度",
        "   ↳ 2023-11-01 10:00 市水务局（p701）：已召开专题会议",
    ]
    waiting = targetbot(
        tmp_path, "instructions", "list", "--open", "--json", "--db", str(db), env=env
    )
    data = json.loads(waiting.stdout)
    assert [
        (i["target"], i["author"], i["answered"], i["overdue"], i["waiting"]) for i in data
    ] == [(96, "聂元科", False, True, ["市水务局"])]

    shown = json.loads(targetbot(tmp_path, "targets", "--json", "--db", str(db), env=env).stdout)
    by_number = {t["number"]: t for t in shown}
    thread = by_number[90]["instructions"]
    assert [(i["text"], i["author"], i["written_at"], i["answered"]) for i in thread] == [
        ("请加快进度", "曹临", "2023-11-01T02:00:00+00:00", True)
    ]
    assert [(a["unit"], a["text"]) for a in thread[0]["answers"]] == [
        ("市水务局", "已召开专题会议")
    ]
    assert by_number[93]["instructions"] == []

    asked = json.loads(
        targetbot(tmp_path, "query", "#90", "--json", "--db", str(db), env=env).stdout
    )
    assert [i["text"] for i in asked["results"][0]["instructions"]] == ["请加快进度"]

    stats = json.loads(targetbot(tmp_path, "stats", "--json", "--db", str(db), env=env).stdout)
    assert (stats["instructions"]["total"], stats["instructions"]["open"]) == (2, 1)
    assert stats["instructions"]["overdue"] == 1
