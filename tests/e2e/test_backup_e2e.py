"""End to end: backups of the running bot's database while a liaison submits, and the daily one."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

from tests.e2e.botapi import FakeBotAPI
from tests.e2e.conftest import ADMIN, LIAISON, TODAY, BotProcess, run_cli
from tests.e2e.test_query_e2e import ask, bind
from tests.e2e.test_report_e2e import press, write_behind_update


def chat_revisions(db: Path) -> list[tuple[int, str]]:
    """Return the (revision, progress) of every report submitted in chat, in order."""
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT revision, progress FROM report WHERE source = 'chat' ORDER BY revision"
        ).fetchall()


def integrity(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def revision_text(revision: int) -> str:
    return f"1-11月完成投资{20 + revision}亿元（第{revision}次更新）"


async def revise(api: FakeBotAPI, revision: int) -> None:
    """Submit #90's update once more; return when the bot has confirmed it to the liaison."""
    listing = await ask(api, LIAISON, "/report")
    card = await press(api, LIAISON, listing, "✅ #90")
    assert f"本期已提交第 {revision - 1} 版" in card.text
    taken = await ask(api, LIAISON, revision_text(revision))
    status = await press(api, LIAISON, taken, "写完了")
    preview = await press(api, LIAISON, status, "按计划")
    receipt = await press(api, LIAISON, preview, "✅ 确认提交")
    assert f"2023Q4 · 第 {revision} 版 · 按计划" in receipt.text


async def test_a_backup_taken_while_the_bot_stores_submissions_holds_every_confirmed_one(
    api: FakeBotAPI, bot: BotProcess, tmp_path: Path, bot_env: dict[str, str]
) -> None:
    await bind(api, LIAISON, "/invite liaison 水务局")
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    await ask(api, ADMIN, f"/period open 2023Q4 {tomorrow}")
    preview = await write_behind_update(api)
    await press(api, LIAISON, preview, "✅ 确认提交")
    for revision in (2, 3):
        await revise(api, revision)
    confirmed = 3  # confirmed to the liaison before the backup begins

    backup = tmp_path / "backups" / "during.db"
    taking = asyncio.ensure_future(run_cli(bot_env, "backup", str(backup)))
    for revision in (4, 5, 6):  # the bot goes on storing while the backup is taken
        await revise(api, revision)
    said = await taking

    assert said.startswith(f"已将 {bot_env['DATABASE_PATH']} 备份到 {backup}（")
    assert integrity(backup) == ["ok"]
    copied = chat_revisions(backup)
    # Every submission confirmed before the backup, and whole ones only: revisions 1…n.
    assert [revision for revision, _ in copied] == list(range(1, len(copied) + 1))
    assert len(copied) >= confirmed
    assert [text for _, text in copied[1:confirmed]] == [revision_text(2), revision_text(3)]
    assert chat_revisions(tmp_path / "targetbot.db")[: len(copied)] == copied

    # Restored to a new database, it is the same, and the bot's own checks pass on it.
    restored = tmp_path / "restored.db"
    await run_cli(bot_env, "restore", str(backup), "--db", str(restored))
    assert integrity(restored) == ["ok"]
    assert chat_revisions(restored) == copied
    listed = await run_cli(bot_env, "targets", "--db", str(restored))
    assert listed.startswith("《菏泽市人民政府2023年经济社会发展责任目标》共 57 个目标")


async def test_with_backup_dir_the_running_bot_keeps_todays_backup(
    api: FakeBotAPI, tmp_path: Path, bot_env: dict[str, str]
) -> None:
    folder = tmp_path / "daily"
    folder.mkdir()
    old = [folder / f"targetbot-2026-11-{day:02d}.db" for day in (20, 21, 22)]
    for path in old:
        path.write_bytes(b"")  # stand-ins for earlier days' backups
    bot = BotProcess(api, tmp_path, {**bot_env, "BACKUP_DIR": str(folder), "BACKUP_KEEP": "2"})
    await bot.start()
    today = folder / f"targetbot-{TODAY.isoformat()}.db"
    try:
        for _ in range(600):  # the job runs a few seconds after start; wait for its work
            if names(folder) == [old[2].name, today.name]:
                break
            await asyncio.sleep(0.1)
    finally:
        await bot.stop()
    assert names(folder) == [old[2].name, today.name]
    assert integrity(today) == ["ok"]
