"""End to end: the running bot sends a due reminder once, across kill -9; a 403 is handled."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot.plan.importer import DEMO_TABLE
from tests.e2e.botapi import FakeBotAPI
from tests.e2e.conftest import ADMIN, LIAISON, OTHER, BotProcess, run_cli


async def prepare(env: dict[str, str], *liaisons: tuple[int, str, str]) -> None:
    """Load the demo table and bind liaisons (id, unit, name) from the command line."""
    await run_cli(env, "import", str(DEMO_TABLE))
    for telegram_id, unit, name in liaisons:
        await run_cli(
            env,
            "users",
            "add",
            "--telegram-id",
            str(telegram_id),
            "--role",
            "liaison",
            "--unit",
            unit,
            "--name",
            name,
        )


def last_check(db: Path) -> str | None:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'last_push_check'").fetchone()
    return row[0] if row else None


async def next_check(db: Path, after: str | None, within: float = 20.0) -> None:
    """Wait until the bot has checked for due pushes since `after`."""
    deadline = asyncio.get_running_loop().time() + within
    while last_check(db) in (None, after):
        assert asyncio.get_running_loop().time() < deadline, "no check for pushes came"
        await asyncio.sleep(0.05)


async def test_a_due_reminder_is_sent_once_and_a_blocked_user_is_named_to_admins(
    api: FakeBotAPI, tmp_path: Path, bot_env: dict[str, str]
) -> None:
    db = tmp_path / "targetbot.db"
    # 2023-12-29 is a Friday: 7 days before the 2023Q4 deadline (2024-01-05), and the working
    # day reminders of the targets due 12-31 fall back to.
    env = {**bot_env, "FAKE_TIME": "2023-12-29 10:00"}
    await prepare(env, (LIAISON.id, "水务局", "水务"), (OTHER.id, "工信局", "路人"))
    api.block(OTHER.id)

    bot = BotProcess(api, tmp_path, env)
    await bot.start()
    try:
        # The report reminder and the due-date reminder, due in the same minute: one message.
        remind = await api.reply(LIAISON.id)
        assert remind.text.startswith(
            "⏰ 填报提醒：市水务局 的 2023Q4 进度填报将于 2024-01-05 截止（还有 7 天），"
            "以下 3 个目标尚未提交："
        )
        assert "\n\n⏳ 目标到期提醒：以下 3 个目标快到完成时限" in remind.text
        due_line = "⬜ #90 持续推进“七网”建设,水利工程施工完成投资30亿元以上 · 2023-12-31 到期"
        assert f"{due_line}（还有 2 天）" in remind.text
        assert [label for label, _ in remind.buttons] == ["✍️ #90", "✍️ #93", "✍️ #96"]
        notice = await api.reply(ADMIN.id)
        assert notice.text == (
            "⚠️ 无法送达：路人（3003）（市工业和信息化局）已屏蔽机器人或停用账号，已标记为停用。"
            "请另行联系。"
        )
        with sqlite3.connect(db) as conn:
            assert conn.execute(
                "SELECT active FROM user WHERE telegram_id = ?", (OTHER.id,)
            ).fetchone() == (0,)
        await next_check(db, None)

        checked = last_check(db)
        await bot.kill()
        await bot.start()
        await next_check(db, checked)
        assert api.unread(LIAISON.id) == []
        assert api.unread(ADMIN.id) == []
        with sqlite3.connect(db) as conn:
            sent = conn.execute(
                "SELECT kind, recipient, state FROM push ORDER BY kind, recipient"
            ).fetchall()
        assert sent == [
            ("blocked", ADMIN.id, "sent"),
            ("due", LIAISON.id, "sent"),
            ("due", OTHER.id, "blocked"),
            ("remind", LIAISON.id, "sent"),
            ("remind", OTHER.id, "blocked"),
        ]

        # The reminder's button opens the target in a new message: the reminder stays.
        await api.press(LIAISON, remind, dict(remind.buttons)["✍️ #90"])
        card = await api.reply(LIAISON.id)
        assert card.method == "sendMessage"
        assert card.text.startswith("#90 持续推进“七网”建设")
        await api.press(LIAISON, remind, dict(remind.buttons)["✍️ #93"])
        other = await api.reply(LIAISON.id)
        assert other.method == "sendMessage"
        assert other.text.startswith("#93 全面实施深度节水控水行动")  # nothing typed for #90
    finally:
        if bot.process is not None and bot.process.returncode is None:
            await bot.stop()


async def test_remind_from_the_command_line_dry_run_then_send_once(
    api: FakeBotAPI, tmp_path: Path, bot_env: dict[str, str]
) -> None:
    env = {**bot_env, "FAKE_TIME": "2023-12-29 10:00"}
    await prepare(env, (LIAISON.id, "水务局", "水务"))
    dry = await run_cli(env, "remind", "--dry-run", "--at", "2023-12-29 09:00")
    assert dry.startswith("2023-12-29 09:00：到时的推送 2 条（其中 0 条此前已发送，不会重发）：")
    assert "→ 水务（2002，市水务局）· 填报提醒" in dry
    assert api.outbox == []  # a dry run sends nothing

    assert await run_cli(env, "remind", "--send", "--json") == (
        '{"sent": 2, "blocked": 0, "retrying": 0, "failed": 0}\n'
    )
    # Two pushes to one person at once: one message.
    assert [s.text[:8] for s in api.outbox] == ["⏰ 填报提醒：市"]
    assert "⏳ 目标到期提醒" in api.outbox[0].text
    assert await run_cli(env, "remind", "--send", "--json") == (
        '{"sent": 0, "blocked": 0, "retrying": 0, "failed": 0}\n'
    )
    again = await run_cli(env, "remind", "--dry-run", "--at", "2023-12-29 09:00")
    assert "（其中 2 条此前已发送，不会重发）" in again
    assert "· 填报提醒 · 已发送过" in again
    assert (await run_cli(env, "remind", "--dry-run", "--at", "2023-12-30 09:00")) == (
        "2023-12-30 09:00：此刻不发推送（非工作日、未到推送时间或在免打扰时段）。\n"
    )
