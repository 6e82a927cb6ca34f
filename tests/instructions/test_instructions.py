"""Instructions (批示): who may write and answer, to whom they go, when an answer is due and
late, append-only storage, the chase and the digest, the statistics."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from zoneinfo import ZoneInfo

import aiosqlite
import pytest

from bot.i18n import Translator
from bot.instructions import service
from bot.instructions.service import InstructionError
from bot.instructions.text import asked_listing
from bot.people.accounts import Account
from bot.push import service as pushes
from bot.query.engine import QueryEngine
from bot.report.stats import describe, period_stats
from bot.settings import Settings, SettingsError
from storage import targets, users
from storage.db import transaction

ZONE = ZoneInfo("Asia/Shanghai")
WRITTEN = datetime(2023, 11, 1, 10, 0, tzinfo=ZONE)  # a Wednesday
LEADER, OTHER_LEADER, ADMIN = 601, 602, 603
WATER, ECOLOGY, YOUTH = 701, 702, 703  # liaisons of 市水务局, 市生态环境局, 团市委
BOUND = "2023-10-01T00:00:00+00:00"
t = Translator("zh")


async def accounts(conn: aiosqlite.Connection) -> dict[int, Account]:
    """Bind a leader (曹临), another leader, an admin and three units' liaisons."""
    async with transaction(conn):
        water = await targets.unit_id(conn, "市水务局")
        ecology = await targets.unit_id(conn, "市生态环境局")
        youth = await targets.unit_id(conn, "团市委")
        cao = await targets.leader_id(conn, "曹临")
        nie = await targets.leader_id(conn, "聂元科")
        for telegram_id, role, unit, leader in (
            (LEADER, "leader", None, cao),
            (OTHER_LEADER, "leader", None, nie),
            (ADMIN, "admin", None, None),
            (WATER, "liaison", water, None),
            (ECOLOGY, "liaison", ecology, None),
            (YOUTH, "liaison", youth, None),
        ):
            await users.bind(conn, telegram_id, role, unit_id=unit, leader_id=leader, at=BOUND)
    found: dict[int, Account] = {}
    for user in await users.list_users(conn):
        found[user.telegram_id] = Account(
            user.telegram_id,
            user.role,
            user.unit_id,
            user.unit,
            user.leader_id,
            user.leader,
            "zh",
            user.name or f"p{user.telegram_id}",
        )
    return found


async def write(
    conn: aiosqlite.Connection,
    author: Account,
    number: int,
    text: str = "请加快进度",
    *,
    to_assisting: bool = False,
    now: datetime = WRITTEN,
) -> service.Sent:
    """Write an instruction through its draft, as the chat does."""
    target = await service.target_by_number(conn, number)
    draft = await service.start_writing(conn, author, target, author.telegram_id, "x")
    draft = await service.keep_text(conn, draft, text, has_assisting=to_assisting, at="x")
    if to_assisting:
        draft = await service.choose_units(conn, draft, True, "x")
    return await service.write(conn, Settings(), t, author, draft, now=now)


async def answer(
    conn: aiosqlite.Connection,
    liaison: Account,
    instruction_id: int,
    text: str = "已落实",
    now: datetime = WRITTEN,
) -> service.Sent:
    draft, _ = await service.start_answering(
        conn, liaison, instruction_id, liaison.telegram_id, "x"
    )
    draft = await service.keep_text(conn, draft, text, has_assisting=False, at="x")
    return await service.answer(conn, Settings(), t, liaison, draft, now=now)


def test_an_answer_is_due_three_working_days_later_by_the_official_calendar() -> None:
    assert service.reply_due(date(2023, 11, 1), 3) == date(2023, 11, 6)  # over a weekend
    # 国庆 2023: 9-29 … 10-6 off, Saturday 10-7 and Sunday 10-8 worked.
    assert service.reply_due(date(2023, 9, 28), 1) == date(2023, 10, 7)
    assert service.reply_due(date(2023, 9, 28), 3) == date(2023, 10, 9)
    assert Settings.from_mapping({}).instruction_reply_days == 3
    assert Settings.from_mapping({"INSTRUCTION_REPLY_DAYS": "10"}).instruction_reply_days == 10
    for bad in ("0", "61", "three"):
        with pytest.raises(SettingsError) as refused:
            Settings.from_mapping({"INSTRUCTION_REPLY_DAYS": bad})
        assert t(refused.value.key, **refused.value.values) == (
            f"INSTRUCTION_REPLY_DAYS 的值 “{bad}” 应为 1 到 60 之间的整数。"
        )


async def test_leaders_and_admins_write_liaisons_may_not(demo: aiosqlite.Connection) -> None:
    who = await accounts(demo)
    sent = await write(demo, who[LEADER], 90)
    assert (sent.instruction.author_name, sent.instruction.author_role) == ("曹临", "leader")
    assert [(u.unit, u.role) for u in sent.instruction.units] == [("市水务局", "lead")]
    assert sent.instruction.reply_due == date(2023, 11, 6)
    assert [(p.recipient, p.kind) for p in sent.pushes] == [(WATER, "instruction")]
    # Any leader, not only the target's own: 聂元科 instructs on 曹临's #90 too.
    other = await write(demo, who[OTHER_LEADER], 90, "请市水务局加强调度")
    assert other.instruction.author_name == "聂元科"
    by_admin = await write(demo, who[ADMIN], 90)
    assert (by_admin.instruction.author_role, by_admin.instruction.author_name) == (
        "admin",
        f"p{ADMIN}",
    )
    target = await service.target_by_number(demo, 90)
    with pytest.raises(InstructionError) as refused:
        await service.start_writing(demo, who[WATER], target, WATER, "x")
    assert refused.value.key == "instruction.error.not_writer"
    assert await service.draft_of(demo, WATER) is None


async def test_text_is_checked_and_a_bad_one_keeps_the_draft(demo: aiosqlite.Connection) -> None:
    who = await accounts(demo)
    target = await service.target_by_number(demo, 90)
    draft = await service.start_writing(demo, who[LEADER], target, LEADER, "x")
    for text, key in (("   ", "empty"), ("字" * 1001, "too_long")):
        with pytest.raises(InstructionError) as refused:
            await service.keep_text(demo, draft, text, has_assisting=False, at="x")
        assert refused.value.key == f"instruction.error.{key}"
    kept = await service.draft_of(demo, LEADER)
    assert kept is not None
    assert (kept.id, kept.step, kept.text) == (draft.id, service.TEXT, None)
    with pytest.raises(InstructionError):
        await service.target_by_number(demo, 999)


async def test_assisting_units_get_it_only_when_the_author_chooses(
    demo: aiosqlite.Connection,
) -> None:
    who = await accounts(demo)
    target = await service.target_by_number(demo, 96)
    assert (service.lead_units(target), service.assisting_units(target)) == (
        ["市水务局"],
        ["市生态环境局"],
    )
    alone = await write(demo, who[LEADER], 96)
    assert [p.recipient for p in alone.pushes] == [WATER]
    both = await write(demo, who[LEADER], 96, "请两家单位协同推进", to_assisting=True)
    assert [(u.unit, u.role) for u in both.instruction.units] == [
        ("市水务局", "lead"),
        ("市生态环境局", "assist"),
    ]
    assert sorted(p.recipient for p in both.pushes) == [WATER, ECOLOGY]
    texts = {p.recipient: p.text for p in both.pushes}
    assert "（市生态环境局 为配合单位）" in texts[ECOLOGY]
    # The assisting unit may answer; the instruction waits for the lead unit all the same.
    await answer(demo, who[ECOLOGY], both.instruction.id, "全力配合")
    got = await service.get(demo, both.instruction.id)
    assert got is not None
    assert not service.is_answered(got)
    assert [u.unit for u in service.waiting_units(got)] == ["市水务局"]
    with pytest.raises(InstructionError) as refused:  # not addressed to 生态环境局 this time
        await service.start_answering(demo, who[ECOLOGY], alone.instruction.id, ECOLOGY, "x")
    assert refused.value.key == "instruction.error.not_answerer"


async def test_only_an_addressed_units_liaison_answers_and_the_author_is_told(
    demo: aiosqlite.Connection,
) -> None:
    who = await accounts(demo)
    sent = await write(demo, who[LEADER], 90)
    instruction_id = sent.instruction.id
    for stranger in (YOUTH, LEADER, ADMIN, OTHER_LEADER):
        with pytest.raises(InstructionError) as refused:
            await service.start_answering(demo, who[stranger], instruction_id, stranger, "x")
        assert refused.value.key == "instruction.error.not_answerer"
    answered = await answer(demo, who[WATER], instruction_id, "已召开专题会议")
    assert answered.answer is not None
    assert answered.answer.unit == "市水务局"
    assert [(p.recipient, p.kind) for p in answered.pushes] == [(LEADER, "instruction_answer")]
    assert answered.pushes[0].text.startswith("💬 市水务局 答复了您对 #90 的批示：\n已召开专题会议")
    assert service.is_answered(answered.instruction)
    # The unit may answer again: the thread grows, the author is told again.
    again = await answer(demo, who[WATER], instruction_id, "12月已完成投资")
    assert [a.text for a in again.instruction.answers] == ["已召开专题会议", "12月已完成投资"]


async def test_sending_a_draft_twice_stores_once(demo: aiosqlite.Connection) -> None:
    who = await accounts(demo)
    target = await service.target_by_number(demo, 90)
    draft = await service.start_writing(demo, who[LEADER], target, LEADER, "x")
    draft = await service.keep_text(demo, draft, "请加快", has_assisting=False, at="x")
    first = await service.write(demo, Settings(), t, who[LEADER], draft, now=WRITTEN)
    second = await service.write(demo, Settings(), t, who[LEADER], draft, now=WRITTEN)
    assert (second.again, second.instruction.id, second.pushes) == (True, first.instruction.id, [])
    assert len(await service.of_target(demo, target.id)) == 1
    assert await service.sent_from(demo, f"d{draft.id}", LEADER) == "sent_again"
    assert await service.sent_from(demo, f"d{draft.id}", WATER) is None


async def test_instructions_and_answers_are_append_only(demo: aiosqlite.Connection) -> None:
    who = await accounts(demo)
    sent = await write(demo, who[LEADER], 90)
    await answer(demo, who[WATER], sent.instruction.id)
    for sql in (
        "UPDATE instruction SET text = 'changed'",
        "DELETE FROM instruction",
        "UPDATE instruction_answer SET text = 'changed'",
        "DELETE FROM instruction_answer",
    ):
        with pytest.raises(sqlite3.IntegrityError):
            await demo.execute(sql)
    await demo.rollback()
    got = await service.get(demo, sent.instruction.id)
    assert got is not None
    assert (got.text, got.answers[0].text) == ("请加快进度", "已落实")


async def test_an_unanswered_instruction_is_chased_once_and_listed_in_the_digest(
    demo: aiosqlite.Connection,
) -> None:
    who = await accounts(demo)
    sent = await write(demo, who[LEADER], 90)
    assert not service.is_overdue(sent.instruction, date(2023, 11, 6))
    assert service.is_overdue(sent.instruction, date(2023, 11, 7))
    settings = Settings()

    async def due(at: datetime) -> list[tuple[str, int, str]]:
        found = await pushes.due_all(demo, settings, at, t)
        return [(p.kind, p.recipient, p.text) for p, _ in found if p.kind in ("inchase", "digest")]

    monday = datetime(2023, 11, 6, 9, 0, tzinfo=ZONE)  # the due day: not chased yet
    digest = [text for kind, to, text in await due(monday) if kind == "digest" and to == LEADER]
    assert digest
    listed = "✍️ 您的批示待答复（1）：\n#90 市水务局 · 2023-11-01：请加快进度 · 2023-11-06 前答复"
    assert listed in digest[0]
    assert [k for k, _, _ in await due(monday)].count("inchase") == 0
    tuesday = datetime(2023, 11, 7, 9, 0, tzinfo=ZONE)
    chased = [(to, text) for kind, to, text in await due(tuesday) if kind == "inchase"]
    assert chased == [
        (
            WATER,
            "⏰ 催办：曹临 2023-11-01 对 #90 持续推进“七网”建设,水利工程施工完成投资30亿元以上"
            " 的批示，市水务局 尚未答复，答复期限 2023-11-06 已过。\n批示：请加快进度\n"
            "请尽快答复（点下面的按钮）。",
        )
    ]
    claimed = await pushes.claim_due(demo, settings, tuesday, t)
    chases = [p for p in claimed if p.kind == "inchase"]
    assert [p.key for p in chases] == [f"inchase:1:{await unit(demo)}:{WATER}"]
    assert chases[0].buttons == [[("✍️ 答复", "in:ans:1")]]
    for push in claimed:
        await pushes.settled(demo, push, "sent", tuesday)
    # Once: the next day's check claims nothing more.
    wednesday = datetime(2023, 11, 8, 9, 0, tzinfo=ZONE)
    again = await pushes.claim_due(demo, settings, wednesday, t)
    assert [p for p in again if p.kind == "inchase"] == []
    # Answered: no longer chased, nor listed.
    await answer(demo, who[WATER], sent.instruction.id)
    next_monday = datetime(2023, 11, 13, 9, 0, tzinfo=ZONE)
    assert all("批示" not in text for _, _, text in await due(next_monday))


async def unit(conn: aiosqlite.Connection) -> int:
    async with transaction(conn):
        return await targets.unit_id(conn, "市水务局")


async def test_statistics_count_open_and_overdue_by_leader_and_unit(
    demo: aiosqlite.Connection,
) -> None:
    who = await accounts(demo)
    first = await write(demo, who[LEADER], 90)
    await write(demo, who[LEADER], 93, now=datetime(2023, 11, 8, 10, 0, tzinfo=ZONE))
    await write(demo, who[OTHER_LEADER], 96)
    await answer(demo, who[WATER], first.instruction.id)
    found = await period_stats(demo, QueryEngine(15), today=date(2023, 11, 9), zone=ZONE)
    assert found.instructions.as_json() == {
        "total": 3,
        "open": 2,
        "overdue": 1,
        "leaders": [
            {"name": "曹临", "total": 2, "open": 1, "overdue": 0},
            {"name": "聂元科", "total": 1, "open": 1, "overdue": 1},
        ],
        "units": [{"name": "市水务局", "total": 3, "open": 2, "overdue": 1}],
    }
    assert found.as_json()["instructions"] == found.instructions.as_json()
    text = describe(found, t)
    assert text.endswith(
        "✍️ 批示 3 条：未答复 2 条，其中逾期 1 条\n"
        "按批示领导（未答复）：\n· 曹临：1 条，逾期 0 条\n· 聂元科：1 条，逾期 1 条\n"
        "按牵头单位（未答复）：\n· 市水务局：2 条，逾期 1 条"
    )


async def test_who_sees_which_instructions(demo: aiosqlite.Connection) -> None:
    who = await accounts(demo)
    mine = await write(demo, who[LEADER], 90)
    await write(demo, who[OTHER_LEADER], 96)
    await answer(demo, who[WATER], mine.instruction.id)
    assert [i.target_number for i in await service.visible(demo, who[LEADER])] == [90]
    assert await service.visible(demo, who[LEADER], only_open=True) == []
    assert [i.target_number for i in await service.visible(demo, who[ADMIN])] == [96, 90]
    assert [i.target_number for i in await service.visible(demo, who[WATER])] == [96, 90]
    assert await service.visible(demo, who[YOUTH]) == []


def test_the_listing_questions_are_recognised_and_nothing_else() -> None:
    for text in ("批示", "我的批示", " my instructions ", "My Instructions?"):
        assert asked_listing(text) is False
    for text in ("未回复的批示", "未答复批示", "unanswered instructions", "待答复的批示。"):
        assert asked_listing(text) is True
    for text in ("王昌华 滞后", "人社局", "批示 #90", "5G", "instructions for 90"):
        assert asked_listing(text) is None


async def test_a_paused_draft_is_resumed_with_its_text(demo: aiosqlite.Connection) -> None:
    who = await accounts(demo)
    target = await service.target_by_number(demo, 90)
    draft = await service.start_writing(demo, who[LEADER], target, LEADER, "x")
    draft = await service.keep_text(demo, draft, "请加快", has_assisting=False, at="x")
    assert [d.id for d in await service.active_drafts(demo)] == [draft.id]
    await service.pause(demo, LEADER)  # left idle: kept, no longer in the flow
    assert await service.active_drafts(demo) == []
    resumed = await service.start_writing(demo, who[LEADER], target, LEADER, "y")
    assert (resumed.id, resumed.step, resumed.text, resumed.paused) == (
        draft.id,
        service.PREVIEW,
        "请加快",
        False,
    )
    # Another target while the words for #90 wait: the #90 draft comes back, nothing is lost.
    target_93 = await service.target_by_number(demo, 93)
    kept = await service.start_writing(demo, who[LEADER], target_93, LEADER, "z")
    assert (kept.id, kept.target_id, kept.text) == (draft.id, target.id, "请加快")
    assert service.other_draft(kept, target_id=target_93.id)
    # Once it is cancelled, #93 gets a new draft, with a new id (no evidence carries over).
    await service.drop(demo, kept)
    other = await service.start_writing(demo, who[LEADER], target_93, LEADER, "z")
    assert other.id > draft.id
    assert (other.target_id, other.step, other.text) == (target_93.id, service.TEXT, None)
    assert not service.other_draft(other, target_id=target_93.id)
    # A draft with no words yet gives way to another target at once.
    again = await service.start_writing(demo, who[LEADER], target, LEADER, "z")
    assert (again.target_id, again.text) == (target.id, None)
