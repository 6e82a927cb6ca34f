"""`/export` in the chat, in process: the document each role gets, and the refusals."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook

from bot.people.accounts import set_role
from storage import targets as plans
from tests.harness import Harness, Person, running_bot
from tests.harness import shown as sent

ADMIN = Person(1001, "督查")
LEADER = Person(4004, "刘")
LIAISON = Person(2002, "退役军人")
STRANGER = Person(3003, "路人")
PLAN = "菏泽市人民政府2023年经济社会发展责任目标"


async def _roles(harness: Harness) -> None:
    db = harness.app.bot_data.db
    leaders = {n.name: n.id for n in await plans.list_leaders(db)}
    units = {n.name: n.id for n in await plans.list_units(db)}
    await set_role(
        db, telegram_id=LEADER.id, role="leader", binding_id=leaders["刘连栋"], actor="t"
    )
    await set_role(
        db, telegram_id=LIAISON.id, role="liaison", binding_id=units["市退役军人事务局"], actor="t"
    )


def _sheet_rows(data: bytes) -> list[tuple[object, ...]]:
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return list(sheet.iter_rows(values_only=True))


async def test_an_admin_gets_the_whole_table_named_after_the_plan_and_period(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        calls = await harness.send(ADMIN, "/export")
        documents = [params for method, params in calls if method == "sendDocument"]
        assert len(documents) == 1
        assert "59" in str(documents[0]["caption"])
        [(method, name, data)] = harness.request.uploads
        assert method == "sendDocument"
        assert name == f"{PLAN}_2023Q3.xlsx"
        rows = _sheet_rows(data)
        assert rows[0][0] == f"{PLAN}三季度工作推进情况一览表"
        assert len(rows) == 2 + 59


async def test_a_leader_gets_their_own_targets_and_a_chosen_format(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await _roles(harness)
        await harness.send(LEADER, "/export 2023Q3 csv")
        [(_, name, data)] = harness.request.uploads
        assert name == f"{PLAN}_2023Q3.csv"
        lines = data.decode("utf-8-sig").splitlines()[2:]
        assert lines
        assert all(",刘连栋," in line for line in lines if line.count(",") >= 6)


async def test_a_liaison_gets_their_unit_and_is_refused_another(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await _roles(harness)
        await harness.send(LIAISON, "/export docx")
        [(_, name, _data)] = harness.request.uploads
        assert name.endswith(".docx")
        calls = await harness.send(LIAISON, "/export 市人力资源社会保障局")
        assert not [c for c in calls if c[0] == "sendDocument"]
        assert any("只能导出本单位（市退役军人事务局）" in text for text in sent(calls))
        assert len(harness.request.uploads) == 1


async def test_a_stranger_gets_no_file_and_nonsense_is_explained(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        calls = await harness.send(STRANGER, "/export")
        assert not harness.request.uploads
        assert sent(calls)
        calls = await harness.send(ADMIN, "/export 火星")
        assert any("不明白“火星”" in text for text in sent(calls))
        assert not harness.request.uploads


async def test_a_light_keeps_the_rows_with_it(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        calls = await harness.send(ADMIN, "/export 2023Q3 红灯")
        assert not harness.request.uploads  # the demo's third quarter has no red row
        assert any("没有符合条件" in text for text in sent(calls))
        await harness.send(ADMIN, "/export 2023Q3 🟢 csv")
        [(_, _name, data)] = harness.request.uploads
        assert len(data.decode("utf-8-sig").splitlines()) > 2
