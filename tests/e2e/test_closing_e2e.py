"""End to end: #47, reported 已完成, is closed by the admin and its unit is no longer reminded."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.e2e.botapi import FakeBotAPI
from tests.e2e.conftest import LIAISON, BotProcess, run_cli
from tests.e2e.test_pushes_e2e import next_check, prepare


async def test_a_closed_target_is_no_longer_reminded(
    api: FakeBotAPI, tmp_path: Path, bot_env: dict[str, str]
) -> None:
    db = tmp_path / "targetbot.db"
    # 2023-12-29 (a Friday): 7 days before the 2023Q4 deadline, every unit not yet reported is
    # reminded; 团市委 answers for #47 alone.
    env = {**bot_env, "FAKE_TIME": "2023-12-29 10:00"}
    await prepare(env, (LIAISON.id, "团市委", "团委"))
    with sqlite3.connect(db) as conn:  # 团市委's latest report on #47 says 已完成
        conn.execute(
            "INSERT INTO report (assignment_id, period, revision, progress, status, source,"
            " submitted_at) SELECT a.id, '2023Q3', 2, '全部完成', 'completed', 'import',"
            " '2023-10-30' FROM assignment a JOIN target t ON t.id = a.target_id"
            " WHERE t.number = 47"
        )
    printed = await run_cli(env, "close", "47")
    assert printed.startswith("✅ #47 已办结（2023-12-29）")
    listed = await run_cli(env, "query", "10月底", "--json")
    assert '"closed": "2023-12-29"' in listed

    bot = BotProcess(api, tmp_path, env)
    await bot.start()
    try:
        await next_check(db, None)  # the check at start: 团市委 would be reminded of #47 here
        assert api.unread(LIAISON.id) == []
    finally:
        await bot.stop()
