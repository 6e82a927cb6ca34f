"""Who may do what: every role tries every command and button, checked at the time of action."""

from __future__ import annotations

import sqlite3
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.i18n import Translator
from bot.people.accounts import set_role
from bot.safe_text import harmless
from storage import targets as plans
from tests.harness import Harness, Person, running_bot, shown

zh = Translator("zh")
STRANGER = Person(3003, "路人")
LIAISON = Person(2002, "水务")
LEADER = Person(4004, "王")
ADMIN = Person(1001, "督查")
VICTIM = Person(5005, "另一位联络员")
PEOPLE = {"stranger": STRANGER, "liaison": LIAISON, "leader": LEADER, "admin": ADMIN}

HINT, DENIED, OK, NO_UNIT = "hint", "denied", "ok", "no unit"
NOT_LIAISON = "not a liaison"
# action: what each role gets (stranger, liaison, leader, admin).
TABLE: dict[str, tuple[str, str, str, str]] = {
    "/start": (HINT, OK, OK, OK),
    "/help": (OK, OK, OK, OK),
    "/whoami": (OK, OK, OK, OK),  # everyone may see their Telegram id
    "/lang en": (HINT, OK, OK, OK),
    "今天的目标": (HINT, OK, OK, OK),
    "/invite liaison 水务局": (HINT, DENIED, DENIED, OK),
    "/users": (HINT, DENIED, DENIED, OK),
    "/revoke 5005": (HINT, DENIED, DENIED, OK),
    "/alias 大数据局 市工业和信息化局": (HINT, DENIED, DENIED, OK),
    "button alias:{unit}:大数据局": (HINT, DENIED, DENIED, OK),
    "/q 曹临": (HINT, OK, OK, OK),
    # Updates are a unit's: leaders and admins are bound to no unit.
    "/report": (HINT, OK, NO_UNIT, NO_UNIT),
    "/mine": (HINT, OK, NOT_LIAISON, NOT_LIAISON),
    "/period": (HINT, DENIED, DENIED, OK),
    "/period close 2023Q4": (HINT, DENIED, DENIED, OK),
    "/review": (HINT, DENIED, DENIED, OK),
    "/settings": (HINT, OK, OK, OK),
    "button rv:ok:1": (HINT, DENIED, DENIED, OK),
    "button invite:liaison:{unit}": (HINT, DENIED, DENIED, OK),
    "button revoke:5005": (HINT, DENIED, DENIED, OK),
    "button period:close:2023Q4": (HINT, DENIED, DENIED, OK),
    "button admin:cancel": (HINT, DENIED, DENIED, OK),
}
CASES = [
    (action, role, expected)
    for action, outcomes in TABLE.items()
    for role, expected in zip(PEOPLE, outcomes, strict=True)
]


def texts_to(calls: list[tuple[str, dict[str, Any]]], chat_id: int) -> list[str]:
    """Return the messages sent to one chat."""
    return [
        str(params["text"])
        for name, params in calls
        if name == "sendMessage" and int(params["chat_id"]) == chat_id
    ]


async def bind_everyone(harness: Harness) -> int:
    """Bind the liaison and the victim to 市水务局 and the leader to 王昌华; return the unit id."""
    db = harness.app.bot_data.db
    unit = next(u for u in await plans.list_units(db) if u.name == "市水务局")
    leader = next(x for x in await plans.list_leaders(db) if x.name == "王昌华")
    for person in (LIAISON, VICTIM):
        await set_role(db, telegram_id=person.id, role="liaison", binding_id=unit.id, actor="test")
    await set_role(db, telegram_id=LEADER.id, role="leader", binding_id=leader.id, actor="test")
    return unit.id


@pytest.mark.parametrize(("action", "role", "expected"), CASES)
async def test_each_role_gets_exactly_what_it_may(
    tmp_path: Path, action: str, role: str, expected: str
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        unit_id = await bind_everyone(harness)
        person = PEOPLE[role]
        if action.startswith("button "):
            calls = await harness.press(person, action.removeprefix("button ").format(unit=unit_id))
        else:
            calls = await harness.send(person, action)
        texts = shown(calls)

    assert texts, f"{role} got no answer to {action}"
    hint, denied = zh("access.stranger"), zh("access.denied")
    if expected == HINT:
        assert texts == [hint]
    elif expected == DENIED:
        assert texts == [denied]
    elif expected == NO_UNIT:
        assert texts == [zh("report.no_unit")]
    elif expected == NOT_LIAISON:
        assert texts == [zh("report.mine_not_liaison")]
    else:
        assert hint not in texts
        assert denied not in texts

    with sqlite3.connect(tmp_path / "targetbot.db") as conn:
        invites = conn.execute("SELECT COUNT(*) FROM invite").fetchone()[0]
        aliases = conn.execute("SELECT COUNT(*) FROM unit_alias").fetchone()[0]
        periods = conn.execute("SELECT COUNT(*) FROM period").fetchone()[0]
        victim_role = conn.execute(
            "SELECT role FROM user WHERE telegram_id = ?", (VICTIM.id,)
        ).fetchone()[0]
    changed_invites = "invite" in action and expected == OK
    assert invites == (1 if changed_invites else 0)
    assert aliases == (1 if "alias" in action and expected == OK else 0)
    assert victim_role == (None if "revoke" in action and expected == OK else "liaison")
    # `/period close` only asks; its button closes.
    assert periods == (1 if "button period:close" in action and expected == OK else 0)


async def test_a_role_taken_away_is_refused_at_once(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind_everyone(harness)
        assert shown(await harness.send(LIAISON, "/whoami"))[0].startswith("Telegram 编号：2002")
        db = harness.app.bot_data.db
        await db.execute("UPDATE user SET role = NULL, unit_id = NULL WHERE telegram_id = 2002")
        assert shown(await harness.send(LIAISON, "/report")) == [zh("access.stranger")]


async def test_configured_admins_cannot_be_revoked_in_chat(tmp_path: Path) -> None:
    second_admin = Person(1002, "第二管理员")
    async with running_bot(tmp_path, frozenset({ADMIN.id, second_admin.id})) as harness:
        texts = shown(await harness.send(second_admin, f"/revoke {ADMIN.id}"))
        assert texts == [zh("admin.revoke_configured", name=str(ADMIN.id))]
        assert shown(await harness.send(ADMIN, "/users"))[0].startswith("已开通的用户（2）")


async def test_every_action_is_in_the_audit_log(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind_everyone(harness)
        await harness.send(ADMIN, "/invite liaison 水务局")
        await harness.send(ADMIN, "/revoke 5005")
    with sqlite3.connect(tmp_path / "targetbot.db") as conn:
        rows = conn.execute("SELECT actor, action, subject FROM audit_log ORDER BY id").fetchall()
    assert ("ADMIN_IDS", "role_change", "user:1001") in rows
    assert ("test", "role_change", "user:2002") in rows
    assert ("user:1001", "invite", "invite:1") in rows
    assert ("user:1001", "revoke", "user:5005") in rows


async def test_an_unexpected_error_is_told_to_the_user_and_briefly_to_admins(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind_everyone(harness)
        await harness.app.bot_data.db.close()  # the database goes away under the bot
        calls = await harness.send(LIAISON, "/whoami")
        second = await harness.send(LEADER, "/whoami")
    to_user = [p["text"] for name, p in calls if name == "sendMessage" and p["chat_id"] == 2002]
    to_admin = [p["text"] for name, p in calls if name == "sendMessage" and p["chat_id"] == 1001]
    assert to_user == [zh("error.generic")]
    assert len(to_admin) == 1
    assert to_admin[0].startswith("⚠️ 机器人出错：")
    # Within the minute, admins are not told again; the user still is.
    assert [p["chat_id"] for name, p in second if name == "sendMessage"] == [LEADER.id]


async def test_an_invite_opened_twice_by_its_user_keeps_the_binding(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        texts = shown(await harness.send(ADMIN, "/invite leader 王昌华"))
        code = texts[0].rsplit("start=", 1)[1]
        first = await harness.send(LEADER, f"/start {code}")
        again = await harness.send(LEADER, f"/start {code}")
        other = shown(await harness.send(STRANGER, f"/start {code}"))
    assert texts_to(first, LEADER.id)[0].startswith("欢迎，王！您已开通：领导 · 王昌华。")
    assert texts_to(first, ADMIN.id) == ["✅ 王（4004）已接受邀请，开通为：领导 · 王昌华。"]
    assert texts_to(again, LEADER.id) == texts_to(first, LEADER.id)
    assert texts_to(again, ADMIN.id) == []  # told once
    assert other == [zh("start.invite_used")]
    with sqlite3.connect(tmp_path / "targetbot.db") as conn:
        binds = conn.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'bind'").fetchone()
    assert binds == (1,)


async def test_a_unit_name_with_markup_is_shown_as_imported_once_escaped(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        db = harness.app.bot_data.db
        unit_id = await bind_everyone(harness)
        await db.execute("UPDATE unit SET name = '市<b>水<' WHERE id = ?", (unit_id,))
        texts = shown(await harness.send(LIAISON, "/start"))
    assert "联络员 · 市&lt;b&gt;水&lt;" in texts[0]  # shown as 市<b>水< in the chat
    assert "&amp;" not in texts[0]


async def test_an_admin_opening_a_liaison_invite_stays_admin_and_the_link_stays_unused(
    tmp_path: Path,
) -> None:
    second_admin = Person(1002, "第二管理员")
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        db = harness.app.bot_data.db
        await set_role(db, telegram_id=second_admin.id, role="admin", binding_id=None, actor="t")
        link = shown(await harness.send(ADMIN, "/invite liaison 水务局"))[0]
        code = link.rsplit("start=", 1)[1]
        for admin in (ADMIN, second_admin):  # from ADMIN_IDS, and made admin in chat
            texts = shown(await harness.send(admin, f"/start {code}"))
            assert texts == [zh("start.invite_admin_keeps")]
            texts = shown(await harness.press(admin, f"join:{code}"))
            assert texts == [zh("start.invite_admin_keeps")]
        bound = shown(await harness.send(LIAISON, f"/start {code}"))
    assert bound[0].startswith("欢迎，水务！您已开通：联络员 · 市水务局。")
    with sqlite3.connect(tmp_path / "targetbot.db") as conn:
        roles = dict(conn.execute("SELECT telegram_id, role FROM user").fetchall())
    assert roles[second_admin.id] == "admin"
    assert roles[LIAISON.id] == "liaison"


async def test_a_revoked_user_reopening_their_used_link_is_told_it_was_used(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        link = shown(await harness.send(ADMIN, "/invite liaison 水务局"))[0]
        code = link.rsplit("start=", 1)[1]
        await harness.send(LIAISON, f"/start {code}")
        await harness.send(ADMIN, f"/revoke {LIAISON.id}")
        texts = shown(await harness.send(LIAISON, f"/start {code}"))
    assert texts == [zh("start.invite_used")]


async def test_control_and_bidi_characters_in_names_are_not_shown(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        db = harness.app.bot_data.db
        unit_id = await bind_everyone(harness)
        await db.execute(
            "UPDATE unit SET name = ? WHERE id = ?", ("市\u202e局务水\u202c\x07\x1b[2J", unit_id)
        )
        texts = shown(await harness.send(LIAISON, "/whoami"))
    assert "市局务水[2J" in texts[0]
    assert not any(c in texts[0] for c in "\u202e\u202c\x07\x1b")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_harmless_text_keeps_every_safe_character_and_drops_the_rest(text: str) -> None:
    unsafe = {c for c in text if unicodedata.category(c) == "Cc" and c not in "\n\t"} | {
        c
        for c in text
        if unicodedata.bidirectional(c) in {"LRE", "RLE", "LRO", "RLO", "PDF"}
        or c in "\u061c\u200e\u200f\u2066\u2067\u2068\u2069"
    }
    assert harmless(text) == "".join(c for c in text if c not in unsafe)


async def test_control_and_bidi_characters_in_targets_are_not_shown_in_answers(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind_everyone(harness)
        await harness.app.bot_data.db.execute(
            "UPDATE target SET content = '\u202e' || content || '\x1b[2J' WHERE number = 90"
        )
    async with running_bot(tmp_path, frozenset({ADMIN.id}), load_demo=False) as harness:
        single = shown(await harness.send(LEADER, "#90"))
        press = await harness.press(LEADER, "qd:90")
    texts = single + shown(press)
    assert any("[2J" in text for text in texts)
    assert not any(c in text for text in texts for c in "\u202e\x1b")
