"""办结: admins close a target its lead unit reported completed; closed targets are not reminded."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bot.i18n import Translator
from bot.people.accounts import Account
from bot.plan import export
from bot.plan.importer import DEMO_TABLE
from bot.report import closing
from storage import targets as plans
from tests.app.test_cli import targetbot
from tests.harness import Harness, running_bot, shown
from tests.people.test_access import ADMIN, LEADER, LIAISON, PEOPLE, bind_everyone
from tests.push.test_pushes import NOW, check, prepare, to

zh = Translator("zh")


async def target(harness: Harness, number: int) -> plans.Target:
    db = harness.app.bot_data.db
    found = await closing.find(db, str(number))
    assert found is not None
    return found


async def report_completed(harness: Harness, number: int, period: str = "2023Q3") -> None:
    """The lead unit's latest (official) report on every assignment of #number says 已完成."""
    db = harness.app.bot_data.db
    for assignment in (await target(harness, number)).assignments:
        await plans.append_report(
            db, assignment.id, period, "全部完成", "completed", source="import", at="2023-09-30"
        )
    await db.commit()


def account(role: str) -> Account:
    return Account(PEOPLE[role].id, role, None, None, None, None, "zh")


def audit_actions(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT action, detail FROM audit_log WHERE action LIKE 'target_%' ORDER BY id"
        ).fetchall()


async def test_only_admins_may_close_and_only_once_the_lead_unit_reports_completed(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        db = harness.app.bot_data.db
        before = await target(harness, 90)
        assert not closing.may_close(account("admin"), before)
        with pytest.raises(closing.ClosingRefused) as refused:
            await closing.close(db, before.id, actor="t", today=NOW.date(), at="x")
        assert refused.value.key == "close.not_completed"
        await report_completed(harness, 90)
        done = await target(harness, 90)
        assert closing.may_close(account("admin"), done)
        assert not closing.may_close(account("leader"), done)
        assert not closing.may_close(account("liaison"), done)
        closed = await closing.close(db, done.id, actor="user:1001", today=NOW.date(), at="x")
        assert closed.closed_on == NOW.date()
        assert not closing.may_close(account("admin"), closed)
        with pytest.raises(closing.ClosingRefused) as again:
            await closing.close(db, done.id, actor="t", today=NOW.date(), at="x")
        assert again.value.key == "close.already"
        with pytest.raises(closing.ClosingRefused) as bare:
            await closing.reopen(db, done.id, actor="t", reason="  ", at="x")
        assert bare.value.key == "close.reason_needed"
        opened = await closing.reopen(db, done.id, actor="cli", reason="验收未通过", at="y")
        assert opened.closed_on is None
        # The export's status cell says 已办结 while it is closed.
        await closing.close(db, done.id, actor="t", today=NOW.date(), at="z")
        table = await export.overview(db, "2023Q3")
        column = table.roles.index("on_schedule")
        cells = [row.cells[column] for row in table.rows if row.target_id == done.id]
        assert cells == [export.CLOSED_WORD] * len(done.assignments)
    actions = audit_actions(tmp_path / "targetbot.db")
    assert [a for a, _ in actions] == ["target_close", "target_reopen", "target_close"]
    assert json.loads(actions[1][1])["reason"] == "验收未通过"


async def test_a_closed_target_is_no_longer_reminded(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await prepare(harness)
        await report_completed(harness, 90)
        db = harness.app.bot_data.db
        await closing.close(db, (await target(harness, 90)).id, actor="t", today=NOW.date(), at="x")
        _, calls = await check(harness)
        (sent,) = to(calls, LIAISON.id)
        assert "以下 2 个目标尚未提交" in sent["text"]
        assert "#90" not in sent["text"]
        labels = [b["text"] for row in sent["reply_markup"]["inline_keyboard"] for b in row]
        assert labels == ["✍️ #93", "✍️ #96"]


async def test_the_admin_closes_from_the_details_and_others_are_not_offered_it(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind_everyone(harness)
        await report_completed(harness, 90)
        target_id = (await target(harness, 90)).id
        for person in (LIAISON, LEADER):
            await harness.send(person, "/help")
            calls = await harness.press(person, f"qd:{target_id}")
            sent = next(p for n, p in calls if n == "sendMessage")
            keyboard = sent.get("reply_markup", {}).get("inline_keyboard", [])
            # ✅ 办结 is not offered (the leader has ✍️ 批示, nothing else).
            assert zh("close.button") not in [b["text"] for row in keyboard for b in row]
            # A forged ✅ 办结 is refused and closes nothing.
            assert shown(await harness.press(person, f"cl:{target_id}")) == [zh("access.denied")]
        calls = await harness.press(ADMIN, f"qd:{target_id}")
        sent = next(p for n, p in calls if n == "sendMessage")
        offered = [b for row in sent["reply_markup"]["inline_keyboard"] for b in row]
        assert [b["text"] for b in offered] == [zh("close.button"), zh("instruction.button.write")]
        button = offered[0]
        texts = shown(await harness.press(ADMIN, button["callback_data"]))
        day = harness.app.bot_data.today().isoformat()
        assert texts[0] == zh("close.done", number="90", date=day)
        assert zh("close.detail", date=day) in texts[1]
        # Pressed again (an old message): already closed, said with the date.
        assert shown(await harness.press(ADMIN, button["callback_data"])) == [
            zh("close.already", number="90", date=day)
        ]
        # In a list of results its line says 办结 with the date, in place of the report's status.
        lines = "\n".join(shown(await harness.send(ADMIN, "/q 市水务局"))).splitlines()
        (line,) = [line for line in lines if "#90 " in line]
        assert line.endswith(zh("close.status", date=day))


async def test_the_admin_reopens_in_chat_with_a_reason(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind_everyone(harness)
        await report_completed(harness, 90)
        target_id = (await target(harness, 90)).id
        day = harness.app.bot_data.today().isoformat()
        # Not closed yet: a forged reopen button is refused and changes nothing.
        assert shown(await harness.press(ADMIN, f"cl:reopen:{target_id}")) == [
            zh("close.not_closed", number="90")
        ]
        closed = await harness.press(ADMIN, f"cl:{target_id}")
        edited = next(p for n, p in closed if n == "editMessageText")
        (button,) = [b for row in edited["reply_markup"]["inline_keyboard"] for b in row]
        assert button["text"] == zh("close.reopen_button")
        # Leaders and liaisons may not reopen; nothing changes.
        for person in (LIAISON, LEADER):
            assert shown(await harness.press(person, button["callback_data"])) == [
                zh("access.denied")
            ]
        asked = shown(await harness.press(ADMIN, button["callback_data"]))
        assert asked == [zh("close.ask_reopen_reason", number="90", date=day)]
        assert shown(await harness.send(ADMIN, "/cancel")) == [zh("close.reopen_cancelled")]
        assert (await target(harness, 90)).closed_on is not None
        await harness.press(ADMIN, button["callback_data"])
        texts = shown(await harness.send(ADMIN, "验收未通过，需补充材料"))
        assert texts[0].startswith(zh("close.reopened_in_chat", number="90"))
        assert zh("close.detail", date=day) not in texts[0]
        assert (await target(harness, 90)).closed_on is None
        # The button of the old message: the target is open now, said so.
        assert shown(await harness.press(ADMIN, button["callback_data"])) == [
            zh("close.not_closed", number="90")
        ]
    actions = audit_actions(tmp_path / "targetbot.db")
    assert [a for a, _ in actions] == ["target_close", "target_reopen"]
    assert json.loads(actions[1][1])["reason"] == "验收未通过，需补充材料"


def test_close_and_reopen_from_the_command_line(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    assert targetbot(tmp_path, "import", str(DEMO_TABLE), "--db", db).returncode == 0
    with sqlite3.connect(db) as conn:  # the lead unit's report on #47 says 已完成
        conn.execute(
            "INSERT INTO report (assignment_id, period, revision, progress, status, source,"
            " submitted_at) SELECT a.id, '2023Q4', 1, '全部完成', 'completed', 'import',"
            " '2023-12-20' FROM assignment a JOIN target t ON t.id = a.target_id"
            " WHERE t.number = 47"
        )
    refused = targetbot(tmp_path, "close", "93", "--db", db)
    assert refused.returncode == 1
    assert zh("close.not_completed", number="93") in refused.stderr
    closed = targetbot(tmp_path, "close", "47", "--db", db)
    assert closed.returncode == 0, closed.stderr
    assert closed.stdout.startswith("✅ #47 已办结")
    listed = {
        item["number"]: item
        for item in json.loads(targetbot(tmp_path, "targets", "--json", "--db", db).stdout)
    }
    assert listed[47]["closed"] is not None
    assert listed[93]["closed"] is None
    (hit,) = json.loads(targetbot(tmp_path, "query", "10月底", "--json", "--db", db).stdout)[
        "results"
    ]
    assert hit["number"] == 47
    assert hit["closed"] == listed[47]["closed"]
    bare = targetbot(tmp_path, "close", "47", "--reopen", "--db", db)
    assert bare.returncode == 1
    assert zh("close.reason_needed", number="47") in bare.stderr
    reopened = targetbot(tmp_path, "close", "47", "--reopen", "--reason", "验收未通过", "--db", db)
    assert reopened.returncode == 0, reopened.stderr
    assert "验收未通过" in reopened.stdout
    after = json.loads(targetbot(tmp_path, "targets", "--json", "--db", db).stdout)
    assert next(item for item in after if item["number"] == 47)["closed"] is None


async def test_reopen_pressed_again_in_the_middle_asks_for_the_target_pressed(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind_everyone(harness)
        ids = {}
        for number in (90, 93):
            await report_completed(harness, number)
            ids[number] = (await target(harness, number)).id
            await harness.press(ADMIN, f"cl:{ids[number]}")
        day = harness.app.bot_data.today().isoformat()
        await harness.press(ADMIN, f"cl:reopen:{ids[90]}")  # #90's reason asked, then ↩️ on #93
        asked = shown(await harness.press(ADMIN, f"cl:reopen:{ids[93]}"))
        assert asked == [zh("close.ask_reopen_reason", number="93", date=day)]
        await harness.send(ADMIN, "验收未通过")
        assert (await target(harness, 93)).closed_on is None
        assert (await target(harness, 90)).closed_on is not None
