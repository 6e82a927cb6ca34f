"""Admins' binding and destructive commands in English: what they would do, asked first."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from bot.i18n import Translator
from bot.people.accounts import set_role
from storage import targets as plans
from tests.harness import Harness, Person, running_bot, shown

en = Translator("en")
ADMIN = Person(1001, "Supervisor", "en")
LIAISON = Person(2002, "Water", "en")
WANG = Person(4005, "王昌华", "en")
STRANGER = Person(3003, "Passer-by", "en")


async def bind(harness: Harness) -> None:
    db = harness.app.bot_data.db
    unit = next(u for u in await plans.list_units(db) if u.name == "市水务局")
    leader = next(x for x in await plans.list_leaders(db) if x.name == "王昌华")
    await set_role(db, telegram_id=LIAISON.id, role="liaison", binding_id=unit.id, actor="t")
    await set_role(db, telegram_id=WANG.id, role="leader", binding_id=leader.id, actor="t")
    await harness.send(WANG, "/help")  # seen once: the name is known
    await harness.send(LIAISON, "/lang en")


async def test_invites_revocations_and_closing_in_english(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        link = shown(await harness.send(ADMIN, "/invite liaison 水务局"))[0]
        assert re.fullmatch(
            r"Invite link \(liaison · 市水务局\): forward it to the liaison of 市水务局 in person; "
            r"it works once and is valid until \d{4}-\d\d-\d\d \d\d:\d\d\.\n"
            r"https://t\.me/targetbot_bot\?start=\S+",
            link,
        ), link

        assert shown(await harness.send(ADMIN, "/invite liaison 财政")) == [
            "Nothing is named exactly “财政”. The closest is: liaison · 财金集团. "
            "Make an invite link for it?"
        ]
        asked = shown(await harness.send(ADMIN, "/revoke 王"))[0]
        assert asked.startswith("No user is named exactly “王”. The closest is:\n• 王昌华 (4005)")
        assert asked.endswith("\nRevoke this person's access?")
        assert shown(await harness.press(ADMIN, "admin:cancel")) == [
            "OK, cancelled; nothing was changed."
        ]
        # A full display name still asks (anyone may call themselves so); the id acts at once.
        asked = shown(await harness.send(ADMIN, "/revoke 王昌华"))[0]
        assert asked.startswith("This will revoke the access of:\n• 王昌华 (4005)")
        assert shown(await harness.send(ADMIN, "/revoke 4005"))[0] == "Access of 王昌华 revoked."

        assert shown(await harness.send(ADMIN, "/period close 2023Q4")) == [
            "Close the 2023Q4 reports? Liaisons will no longer be able to submit or revise "
            "2023Q4 updates.\nTo be told: 1 liaison (units: 1)."
        ]
        calls = await harness.press(ADMIN, "period:close:2023Q4")
        texts = shown(calls)
        assert texts[0].startswith("The 2023Q4 reports are closed; telling 1 liaison now.\n")
        assert texts[1] == en("period.closed_notice", period="2023Q4")
        # A double tap closes nothing more and tells nobody again.
        again = shown(await harness.press(ADMIN, "period:close:2023Q4"))
        assert again == ["The 2023Q4 reports are closed already; the liaisons were told."]
        with sqlite3.connect(harness.db_path) as conn:
            assert conn.execute("SELECT state FROM period").fetchall() == [("closed",)]
            closes = "SELECT COUNT(*) FROM audit_log WHERE action = 'period_closed'"
            assert conn.execute(closes).fetchone() == (1,)

        # A loose unit name in /alias: a wrong alias would mislead every later question.
        assert shown(await harness.send(ADMIN, "/alias 财政局 财政")) == [
            "No unit is named exactly “财政”. The closest is: 财金集团. "
            "Make “财政局” another name of it?"
        ]
        with sqlite3.connect(harness.db_path) as conn:
            assert conn.execute("SELECT COUNT(*) FROM unit_alias").fetchone() == (0,)
        unit = next(u for u in await plans.list_units(harness.app.bot_data.db) if "财金" in u.name)
        assert shown(await harness.press(ADMIN, f"alias:{unit.id}:财政局")) == [
            "OK: “财政局” now means 财金集团."
        ]
        # An alias too long for a button is never added unasked: the full name is asked for.
        long_alias = "菏泽市财政局国有资产管理办公室综合业务科室"
        assert shown(await harness.send(ADMIN, f"/alias {long_alias} 财政")) == [
            f"No unit is named exactly “财政”; the closest is 财金集团. "
            f"Please give the full name: /alias {long_alias} 财金集团"
        ]
        with sqlite3.connect(harness.db_path) as conn:
            assert conn.execute("SELECT COUNT(*) FROM unit_alias").fetchone() == (1,)

        whoami = shown(await harness.send(STRANGER, "/whoami"))
    assert whoami == [
        "Telegram id: 3003\nRole: no access\nLanguage: English\n\n"
        "You have no access yet. Send your Telegram id 3003 to an admin of the supervision "
        "office, or ask them for an invite link."
    ]


async def test_a_leader_called_wang_is_not_revoked_by_revoke_wang(tmp_path: Path) -> None:
    """The reported case: the leader's Telegram name is just 王; `/revoke 王` must ask."""
    short = Person(4006, "王", "en")
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        db = harness.app.bot_data.db
        leader = next(x for x in await plans.list_leaders(db) if x.name == "王昌华")
        await set_role(db, telegram_id=short.id, role="leader", binding_id=leader.id, actor="t")
        await harness.send(short, "/help")  # seen once: the name is known
        asked = shown(await harness.send(ADMIN, "/revoke 王"))[0]
        assert asked.startswith("This will revoke the access of:\n• 王 (4006) — leader · 王昌华")
        # The leader's name finds the person bound to that leader, whatever they call themselves.
        by_leader = shown(await harness.send(ADMIN, "/revoke 王昌华"))[0]
        assert "• 王 (4006) — leader · 王昌华" in by_leader
        with sqlite3.connect(harness.db_path) as conn:
            role = conn.execute("SELECT role FROM user WHERE telegram_id = 4006").fetchone()
        assert role == ("leader",)
