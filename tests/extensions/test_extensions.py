"""Extension requests (延期申请): who may ask and when, who decides, what approval changes."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiosqlite
import pytest

from bot.extensions import service
from bot.extensions.service import ExtensionError
from bot.i18n import Translator
from bot.plan.importer import DEMO_TABLE, import_file
from bot.push import service as pushes
from bot.query.engine import QueryEngine
from bot.settings import Settings, SettingsError
from storage import targets, users
from storage.db import transaction
from storage.extensions import Request
from storage.users import User

LIAISON = 501  # 市水务局, the lead unit of #90 and #93
OTHER = 502  # 团市委, not a unit of #93
LEADER = 503  # 曹临, leader of #93
OTHER_LEADER = 504  # 聂元科
AT = "2023-11-01T09:00:00+08:00"


async def people(conn: aiosqlite.Connection) -> dict[int, User]:
    async with transaction(conn):
        water = await targets.unit_id(conn, "市水务局")
        youth = await targets.unit_id(conn, "团市委")
        cao = await targets.leader_id(conn, "曹临")
        nie = await targets.leader_id(conn, "聂元科")
        for telegram_id, role, unit, leader in (
            (LIAISON, "liaison", water, None),
            (OTHER, "liaison", youth, None),
            (LEADER, "leader", None, cao),
            (OTHER_LEADER, "leader", None, nie),
        ):
            await users.bind(conn, telegram_id, role, unit_id=unit, leader_id=leader, at=AT)
    found = {}
    for telegram_id in (LIAISON, OTHER, LEADER, OTHER_LEADER):
        user = await users.get_user(conn, telegram_id)
        assert user is not None
        found[telegram_id] = user
    return found


async def ask_93(
    conn: aiosqlite.Connection, asker: User, today: date = date(2023, 11, 1)
) -> Request:
    target = await service.target_by_number(conn, 93)
    return await service.ask(
        conn,
        asker,
        target,
        new_due=date(2024, 3, 31),
        reason=" 动员大会推迟到明年一月 ",
        progress="已委托第三方技术服务单位",
        today=today,
        at=AT,
    )


async def audit_actions(conn: aiosqlite.Connection) -> list[tuple[str, str, dict[str, object]]]:
    async with conn.execute(
        "SELECT actor, action, detail FROM audit_log WHERE action LIKE 'extension_%' ORDER BY id"
    ) as cursor:
        return [(r[0], r[1], json.loads(r[2])) for r in await cursor.fetchall()]


async def test_the_lead_units_liaison_asks_and_the_admins_approval_moves_the_due_date(
    demo: aiosqlite.Connection,
) -> None:
    who = await people(demo)
    request = await ask_93(demo, who[LIAISON])
    assert (request.state, request.unit, request.original_due, request.new_due) == (
        "open",
        "市水务局",
        date(2023, 12, 31),
        date(2024, 3, 31),
    )
    assert request.reason == "动员大会推迟到明年一月"
    # Asking changes nothing yet.
    assert (await service.target_by_number(demo, 93)).due_date == date(2023, 12, 31)
    assert await service.open_requests(demo) == [request]

    decided = await service.decide(
        demo, request.id, approve=True, actor="user:1", comment="同意", at=AT
    )
    assert (decided.state, decided.decided_by, decided.comment) == ("approved", "user:1", "同意")
    target = await service.target_by_number(demo, 93)
    assert target.due_date == date(2024, 3, 31)
    assert target.deadline == "年底"  # the table's words stay; the original date on the request
    assert await service.extended_from(demo, target.id) == date(2023, 12, 31)
    assert await service.extended_from(demo, (await service.target_by_number(demo, 90)).id) is None
    assert await service.open_requests(demo) == []
    t = Translator("zh")
    assert t("extension.extended", deadline="年底", due="2024-03-31") == "年底 → 2024-03-31（延期）"
    assert [(a, b, d["new_due"]) for a, b, d in await audit_actions(demo)] == [
        (f"user:{LIAISON}", "extension_ask", "2024-03-31"),
        ("user:1", "extension_approve", "2024-03-31"),
    ]


async def test_reminders_and_the_overdue_rule_follow_the_new_date(
    demo: aiosqlite.Connection,
) -> None:
    who = await people(demo)
    request = await ask_93(demo, who[LIAISON])
    await service.decide(demo, request.id, approve=True, actor="cli", comment=None, at=AT)
    now = datetime(2023, 11, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    world = await pushes.world(demo, Settings(), now)
    duties = {duty.number: duty.due_date for duty in world.duties}
    assert duties[93] == date(2024, 3, 31)
    assert duties[90] == date(2023, 12, 31)
    engine = QueryEngine(15)
    await engine.refresh(demo)
    assert engine.index is not None
    assert {t.number: t.due_date for t in engine.index.targets}[93] == date(2024, 3, 31)


async def test_importing_the_table_again_keeps_an_approved_extension(
    demo: aiosqlite.Connection, tmp_path: Path
) -> None:
    who = await people(demo)
    request = await ask_93(demo, who[LIAISON])
    await service.decide(demo, request.id, approve=True, actor="cli", comment=None, at=AT)
    # The office sends the same table again: #93 still reads 年底 there, the extension stands.
    summary = await import_file(demo, DEMO_TABLE, actor="test")
    assert 93 in summary.unchanged
    assert (await service.target_by_number(demo, 93)).due_date == date(2024, 3, 31)
    # A table with another deadline for #93 is the office changing it: the table's date wins.
    lines = DEMO_TABLE.read_text(encoding="utf-8").splitlines()
    changed = [
        line.replace("年底", "2024年6月底") if line.startswith("93\t") else line for line in lines
    ]
    assert changed != lines
    moved = tmp_path / "heze.tsv"
    moved.write_text("\n".join(changed) + "\n", encoding="utf-8")
    summary = await import_file(demo, moved, actor="test")
    assert 93 in summary.changed
    assert (await service.target_by_number(demo, 93)).due_date == date(2024, 6, 30)


async def test_a_refusal_needs_a_reason_and_leaves_the_due_date(demo: aiosqlite.Connection) -> None:
    who = await people(demo)
    request = await ask_93(demo, who[LIAISON])
    with pytest.raises(ExtensionError) as refused:
        await service.decide(demo, request.id, approve=False, actor="cli", comment=" ", at=AT)
    assert refused.value.key == "extension.error.comment_needed"
    decided = await service.decide(
        demo, request.id, approve=False, actor="cli", comment="理由不充分", at=AT
    )
    assert (decided.state, decided.comment) == ("refused", "理由不充分")
    assert (await service.target_by_number(demo, 93)).due_date == date(2023, 12, 31)
    with pytest.raises(ExtensionError) as again:
        await service.decide(demo, request.id, approve=True, actor="cli", comment=None, at=AT)
    assert again.value.key == "extension.error.decided"
    # Once decided, the unit may ask again.
    assert (await ask_93(demo, who[LIAISON])).state == "open"


async def test_who_may_ask_and_when(demo: aiosqlite.Connection) -> None:
    who = await people(demo)
    t = Translator("zh")
    for asker in (who[OTHER], who[LEADER]):
        with pytest.raises(ExtensionError) as not_lead:
            await ask_93(demo, asker)
        assert t(not_lead.value.key, **not_lead.value.values) == (
            "只有第 93 号目标牵头单位的联络员可以申请延期。"
        )
    with pytest.raises(ExtensionError) as late:
        await ask_93(demo, who[LIAISON], today=date(2024, 1, 1))
    assert t(late.value.key, **late.value.values) == (
        "第 93 号目标的完成时限 2023-12-31 已过，不能再申请延期。延期须在完成时限之前申请。"
    )
    assert await ask_93(demo, who[LIAISON], today=date(2023, 12, 31))  # the due day itself
    with pytest.raises(ExtensionError) as twice:
        await ask_93(demo, who[LIAISON])
    assert twice.value.key == "extension.error.already_open"
    target = await service.target_by_number(demo, 90)
    with pytest.raises(ExtensionError) as earlier:
        await service.ask(
            demo,
            who[LIAISON],
            target,
            new_due=date(2023, 12, 1),
            reason="r",
            progress="p",
            today=date(2023, 11, 1),
            at=AT,
        )
    assert t(earlier.value.key, **earlier.value.values) == (
        "新的完成日期 2023-12-01 应晚于目前的完成时限 2023-12-31。"
    )
    with pytest.raises(ExtensionError) as empty:
        await service.ask(
            demo,
            who[LIAISON],
            target,
            new_due=date(2024, 1, 31),
            reason="  ",
            progress="p",
            today=date(2023, 11, 1),
            at=AT,
        )
    assert empty.value.key == "extension.error.empty"
    with pytest.raises(ExtensionError) as missing:
        await service.target_by_number(demo, 999)
    assert missing.value.key == "extension.error.no_target"
    # Nothing refused was stored.
    assert [r.target_number for r in await service.all_requests(demo)] == [93]


async def test_who_may_decide(demo: aiosqlite.Connection) -> None:
    who = await people(demo)
    leaders = ("曹临",)
    assert service.may_decide(None, True, leaders, "admin")
    assert not service.may_decide(who[LEADER], False, leaders, "admin")
    assert service.may_decide(who[LEADER], False, leaders, "leader")
    assert not service.may_decide(who[OTHER_LEADER], False, leaders, "leader")
    assert not service.may_decide(who[LIAISON], False, leaders, "leader")


def test_the_approval_setting() -> None:
    assert Settings.from_mapping({}).extension_approval == "admin"
    assert Settings.from_mapping({"EXTENSION_APPROVAL": "Leader"}).extension_approval == "leader"
    with pytest.raises(SettingsError) as bad:
        Settings.from_mapping({"EXTENSION_APPROVAL": "everyone"})
    assert bad.value.key == "settings.bad_extension_approval"


async def test_a_co_responsible_units_liaison_may_not_ask(demo: aiosqlite.Connection) -> None:
    """#86 is 市工业和信息化局's (lead) with 市信息通信发展办公室: only the lead unit asks."""
    async with transaction(demo):
        office = await targets.unit_id(demo, "市信息通信发展办公室")
        await users.bind(demo, 505, "liaison", unit_id=office, leader_id=None, at=AT)
    asker = await users.get_user(demo, 505)
    assert asker is not None
    target = await service.target_by_number(demo, 86)
    with pytest.raises(ExtensionError) as not_lead:
        await service.may_ask(demo, asker, target, date(2023, 11, 1))
    assert Translator("zh")(not_lead.value.key, **not_lead.value.values) == (
        "只有第 86 号目标牵头单位的联络员可以申请延期。"
    )
