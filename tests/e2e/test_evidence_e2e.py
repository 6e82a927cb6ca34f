"""End to end: 佐证材料 in the real process: an album, kill -9, restart, export, backup."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

from tests.e2e.botapi import FakeBotAPI
from tests.e2e.conftest import LEADER, LIAISON, BotProcess, run_cli
from tests.e2e.test_query_e2e import ask, bind
from tests.e2e.test_report_e2e import PROGRESS_1, pick_90, press

SITE_PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(range(256)) * 2_000  # about 0.5 MB
ACCEPTANCE = b"%PDF-1.7\n" + "水利工程验收".encode() * 10_000


def rows(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp_path / "targetbot.db") as conn:
        return conn.execute(sql).fetchall()


async def test_a_photo_told_received_survives_kill_9_and_goes_with_the_report_export_and_backup(
    api: FakeBotAPI, bot: BotProcess, tmp_path: Path, bot_env: dict[str, str]
) -> None:
    await bind(api, LIAISON, "/invite liaison 水务局")
    await bind(api, LEADER, "/invite leader 曹临")
    await pick_90(api)
    await ask(api, LIAISON, PROGRESS_1)

    # An album: Telegram delivers its two items as two updates at once; each is taken, in order.
    await api.user_uploads(
        LIAISON, "验收报告.pdf", ACCEPTANCE, mime="application/pdf", media_group_id="a1"
    )
    await api.user_sends_photo(LIAISON, SITE_PHOTO, media_group_id="a1")
    first = await api.reply(LIAISON.id)
    second = await api.reply(LIAISON.id)
    assert first.text == "📎 已收到 1/9：验收报告.pdf（0.2 MB）"
    assert second.text == "📎 已收到 2/9：照片2.jpg（0.5 MB）"

    # Killed right after it said so: nothing it said was received is lost.
    await bot.kill()
    sha = hashlib.sha256(SITE_PHOTO).hexdigest()
    assert (tmp_path / "files" / sha[:2] / sha).read_bytes() == SITE_PHOTO
    assert rows(tmp_path, "SELECT owner_kind, owner_id, name FROM evidence ORDER BY position") == [
        ("draft", LIAISON.id, "验收报告.pdf"),
        ("draft", LIAISON.id, "照片2.jpg"),
    ]
    await bot.start()

    resumed = await ask(api, LIAISON, "/report")
    assert resumed.text.startswith("继续您 #90 的 2023Q4 草稿：")
    status = await press(api, LIAISON, resumed, "写完了")
    preview = await press(api, LIAISON, status, "按计划")
    assert "📎 佐证材料 2 份：\n1. 验收报告.pdf（0.2 MB）\n2. 照片2.jpg（0.5 MB）" in preview.text
    receipt = await press(api, LIAISON, preview, "✅ 确认提交")
    assert receipt.text.startswith("✅ 已保存：#90")
    assert receipt.text.endswith(
        "📎 佐证材料 2 份：\n1. 验收报告.pdf（0.2 MB）\n2. 照片2.jpg（0.5 MB）"
    )
    (report_id,) = rows(tmp_path, "SELECT id FROM report WHERE source = 'chat'")[0]
    assert rows(tmp_path, "SELECT DISTINCT owner_kind, owner_id FROM evidence") == [
        ("report", report_id)
    ]

    # The leader sees them on the details and gets them re-sent by their Telegram file ids.
    answer = await ask(api, LEADER, "#90")
    assert "📎 佐证材料 2 份（点下面的按钮查看）" in answer.text
    before = len(api.outbox)
    await press_only(api, LEADER, answer, "📎 佐证材料 2 份")
    await api.wait_until(lambda: len([s for s in api.outbox[before:] if s.file_id]) == 2)
    resent = [s for s in api.outbox[before:] if s.chat_id == LEADER.id and s.file_id]
    assert [(s.method, s.file_bytes) for s in resent] == [
        ("sendDocument", ACCEPTANCE),
        ("sendPhoto", SITE_PHOTO),
    ]

    # The export lists them per row; query --json gives them.
    out = tmp_path / "q4.csv"
    await run_cli(bot_env, "export", "--period", "2023Q4", "--format", "csv", "--out", str(out))
    table = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    header = next(row for row in table if "佐证材料" in row)
    row_90 = next(row for row in table if row and row[0] == "90")
    assert row_90[header.index("佐证材料")] == "2 份：验收报告.pdf、照片2.jpg"
    found = json.loads(await run_cli(bot_env, "query", "#90", "--json"))["results"][0]
    assert [(f["name"], f["kind"]) for f in found["evidence"]] == [
        ("验收报告.pdf", "document"),
        ("照片2.jpg", "photo"),
    ]

    # A backup of the running bot carries the files; a restore elsewhere brings them back.
    printed = await run_cli(bot_env, "backup", str(tmp_path / "b" / "one.db"))
    assert printed.splitlines()[-1].endswith("（共 2 份，本次新复制 2 份）")
    restored_env = {**bot_env, "DATABASE_PATH": str(tmp_path / "restored" / "t.db")}
    (tmp_path / "restored").mkdir()
    await run_cli(restored_env, "restore", str(tmp_path / "b" / "one.db"))
    assert (tmp_path / "restored" / "files" / sha[:2] / sha).read_bytes() == SITE_PHOTO


async def press_only(api: FakeBotAPI, user: Any, sent: Any, label: str) -> str:
    """Press the button with this label; return the query id (the answer is files, not text)."""
    data = next(d for text, d in sent.buttons if text.startswith(label))
    return await api.press(user, sent, data)
