"""Forged button data: every role presses them; each gets a quiet refusal and nothing changes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.i18n import Translator
from handlers import callbacks
from tests.harness import running_bot, shown
from tests.people.test_access import ADMIN, LEADER, LIAISON, PEOPLE, bind_everyone

zh = Translator("zh")
HUGE = str(2**63)  # one past SQLite's largest integer
FORGED = [
    "qa:1:0",
    "qa:1",
    "qa:x:0:0",
    "qa:1:0:0:0",
    f"qp:{HUGE}:0",
    f"qp:1:{HUGE}",
    "qp:1:99999999999999999999999",
    "qp:1:-1",
    "qp:²:0",
    f"qs:{HUGE}:0",
    "qs:1",
    f"qd:{HUGE}",
    "qd:0",
    "qd:-1",
    "qd:²",
    "qd:1:2",
    f"rp:pick:{HUGE}",
    f"rp:open:{HUGE}",
    "rp:pick:0",
    "rp:confirm:",
    "rp:confirm:a:b",
    "rp:confirm:" + "x" * 80,
    f"revoke:{HUGE}",
    "revoke:-5",
    "revoke:",
    "revoke:٣",
    f"rv:ok:{HUGE}",
    f"rv:ret:{HUGE}",
    "rv:ok:0",
    "invite:",
    "invite:liaison",
    "invite:liaison:1:2",
    "invite:admin:1",
    f"invite:liaison:{HUGE}",
    "invite:leader:x",
    f"alias:{HUGE}:大数据局",
    "alias:1",
    "join:",
    "join:a:b",
    "join:../../x",
    "",
    "nothing:known",
    "period:close:",
    "period:close:99999999999999999999Q3",
    "period:close:2023Q9",
    "st:digest:maybe",
    "rp:status:behind:nokey",
    "rp:hold:add:99999999999999999999999:key",
    "rp:edit:progress:nokey",
    "qa:1:99999:0",
    "cl:",
    "cl:0",
    f"cl:{HUGE}",
    "cl:1:2",
    "cl:x",
]
REFUSALS = {
    zh("query.stale"),
    zh("detail.not_found"),
    zh("admin.stale_button"),
    zh("report.stale_button"),
    zh("report.no_unit"),
    zh("review.stale"),
    zh("access.stranger"),
    zh("access.denied"),
    zh("start.invite_unknown"),
    zh("fallback.stale_button"),
}


def snapshot(path: Path) -> list[str]:
    """Return every row of the database but PTB's persistence and when users were last seen."""
    with sqlite3.connect(path) as conn:
        rows = [line for line in conn.iterdump() if "persistence" not in line]
        rows = [line for line in rows if not line.startswith('INSERT INTO "user"')]
        people = conn.execute(
            "SELECT telegram_id, role, unit_id, leader_id, active FROM user ORDER BY telegram_id"
        ).fetchall()
    return rows + [repr(person) for person in people]


@pytest.mark.parametrize("role", list(PEOPLE))
async def test_forged_buttons_get_the_stale_answer_and_change_nothing(
    tmp_path: Path, role: str
) -> None:
    person = PEOPLE[role]
    wrong: list[tuple[str, list[str]]] = []
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind_everyone(harness)
        await harness.send(person, "/help")  # the first contact records the user
        before = snapshot(harness.db_path)
        for data in FORGED:
            texts = shown(await harness.press(person, data))
            if not texts or not set(texts) <= REFUSALS:
                wrong.append((data, texts))
        after = snapshot(harness.db_path)
    assert wrong == []
    assert after == before


async def test_another_units_receipt_is_not_shown(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind_everyone(harness)
        db = harness.app.bot_data.db
        # The liaison of 市水务局 submits; a liaison of another unit forges its confirm button.
        await db.execute(
            "INSERT INTO report (assignment_id, period, revision, progress, status, source,"
            " submitted_by, submitted_at, draft_key)"
            " SELECT id, '2023Q3', 9, '秘密进展', 'on_track', 'chat', ?, '2023-09-01', 'KEY123'"
            " FROM assignment LIMIT 1",
            (LIAISON.id,),
        )
        from bot.people.accounts import set_role
        from storage import targets as plans

        other = next(u for u in await plans.list_units(db) if u.name != "市水务局")
        await set_role(db, telegram_id=LEADER.id, role="liaison", binding_id=other.id, actor="t")
        texts = shown(await harness.press(LEADER, "rp:confirm:KEY123"))
    assert texts == [zh("report.stale_button")]
    assert not any("秘密进展" in text for text in texts)


async def test_only_the_asker_turns_the_pages_of_an_answer(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind_everyone(harness)
        asked = await harness.send(LEADER, "/q 年底")
        markup = next(p["reply_markup"] for n, p in asked if n == "sendMessage")
        pages = [
            b["callback_data"]
            for row in markup["inline_keyboard"]
            for b in row
            if b["callback_data"].startswith("qp:")
        ]
        assert pages, "the answer has more than one page"
        other = shown(await harness.press(LIAISON, pages[0]))
        own = await harness.press(LEADER, pages[0])
    assert other == [zh("query.not_yours")]
    assert any(name == "editMessageText" for name, _ in own)


# ---------------------------------------------------------------------------- the parsers

ids = st.integers(min_value=-(2**70), max_value=2**70)


@settings(max_examples=200, deadline=None)
@given(ids)
def test_an_id_parses_exactly_when_sqlite_can_hold_it(n: int) -> None:
    expected = n if 1 <= n <= callbacks.MAX_ID else None
    assert callbacks.target_details(f"qd:{n}") == expected
    assert callbacks.revoke_choice(f"revoke:{n}") == expected
    assert callbacks.report_assignment(f"rp:pick:{n}", "pick") == expected
    assert callbacks.review_report(f"rv:ok:{n}", "ok") == expected
    assert callbacks.invite_choice(f"invite:leader:{n}") == (
        ("leader", n) if expected is not None else None
    )


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=64))
def test_any_data_parses_to_none_or_to_values_in_range(data: str) -> None:
    for verb, positions in (("qp", 1), ("qs", 1), ("qa", 2)):
        pressed = callbacks.saved_press(data, verb, positions)
        if pressed is not None:
            assert 1 <= pressed.query_id <= callbacks.MAX_ID
            assert len(pressed.positions) == positions
            assert all(0 <= p <= callbacks.MAX_INDEX for p in pressed.positions)
            assert data == ":".join([verb, str(pressed.query_id), *map(str, pressed.positions)])
    for parsed in (
        callbacks.target_details(data),
        callbacks.revoke_choice(data),
        callbacks.report_assignment(data, "open"),
        callbacks.review_report(data, "ret"),
    ):
        assert parsed is None or 1 <= parsed <= callbacks.MAX_ID
    key = callbacks.report_confirm(data)
    assert key is None or data == f"rp:confirm:{key}"
    code = callbacks.join_choice(data)
    assert code is None or data == f"join:{code}"


@settings(max_examples=100, deadline=None)
@given(
    st.integers(min_value=1, max_value=callbacks.MAX_ID),
    st.integers(min_value=0, max_value=callbacks.MAX_INDEX),
    st.integers(min_value=0, max_value=callbacks.MAX_INDEX),
)
def test_the_buttons_the_bot_makes_parse_back(query_id: int, k: int, i: int) -> None:
    assert callbacks.saved_press(f"qa:{query_id}:{k}:{i}", "qa", 2) == callbacks.SavedPress(
        query_id, (k, i)
    )
    assert callbacks.saved_press(f"qp:{query_id}:{k}", "qp", 1) == callbacks.SavedPress(
        query_id, (k,)
    )
