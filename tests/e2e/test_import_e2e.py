"""End to end: an admin sends a table to the running bot, confirms its preview, leaders find it."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

from openpyxl import Workbook

from bot.i18n import Translator
from tests.e2e.botapi import FakeBotAPI, Sent, User
from tests.e2e.conftest import ADMIN, LEADER, LIAISON, OTHER, BotProcess

zh = Translator("zh")
PLAN = "某县人民政府2024年重点工作责任目标"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook() -> bytes:
    """Return a small table in the demo's layout (merged title, a continuation row) as .xlsx."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([f"{PLAN}二季度工作推进情况一览表"])
    sheet.merge_cells("A1:G1")
    sheet.append(
        [
            "序号",
            "市政府领导",
            "责任目标内容",
            "完成时限",
            "二季度完成情况",
            "是否按计划完成进度",
            "责任单位",
        ]
    )
    sheet.append([1, "王昌华", "建设智慧停车泊位3000个", "年底", "已建成1200个", "是", "市公安局"])
    sheet.append([None, "曹 临", None, None, "完成选址", "是", "市城市管理局"])
    sheet.append([2, "王昌华", "新建城市书房20处", "9月底", "建成5处", "否", "市文化和旅游局"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def bind(api: FakeBotAPI, user: User, invite: str) -> None:
    await api.user_sends(ADMIN, invite)
    answer = await api.reply(ADMIN.id)
    code = answer.text.rsplit("start=", 1)[1].strip()
    await api.user_sends(user, f"/start {code}")
    await api.reply(user.id)
    await api.reply(ADMIN.id)  # the admin is told the invite was accepted


async def ask(api: FakeBotAPI, user: User, text: str) -> Sent:
    await api.user_sends(user, text)
    return await api.reply(user.id)


def stored(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT t.number, t.content FROM target t JOIN plan p ON p.id = t.plan_id "
            "WHERE p.title = ? ORDER BY t.number",
            (PLAN,),
        ).fetchall()


async def test_an_admin_imports_an_xlsx_from_the_chat_and_a_leader_finds_it(
    api: FakeBotAPI, bot: BotProcess, tmp_path: Path
) -> None:
    await bind(api, LEADER, "/invite leader 王昌华")
    await bind(api, LIAISON, "/invite liaison 水务局")
    db = tmp_path / "targetbot.db"

    # A liaison's file outside a report draft is refused, and kept nowhere.
    await api.user_uploads(LIAISON, "重点工作.xlsx", workbook(), mime=XLSX)
    assert (await api.reply(LIAISON.id)).text == zh("import.chat.not_admin")
    await api.user_uploads(OTHER, "重点工作.xlsx", workbook(), mime=XLSX)
    assert (await api.reply(OTHER.id)).text == zh("access.stranger")

    await api.user_uploads(ADMIN, "重点工作.xlsx", workbook(), mime=XLSX)
    preview = await api.reply(ADMIN.id)
    lines = preview.text.splitlines()
    assert lines[:3] == [
        "📋 导入预览：重点工作.xlsx（尚未写入）",
        f"目标计划：{PLAN}（2024 年）",
        "期次：2024Q2",
    ]
    assert "导入后：新增目标 2 个，变更 0 个，停用 0 个，未变 0 个；新增进度记录 3 条。" in lines
    assert (
        "#1 建设智慧停车泊位3000个（年底）：王昌华 · 市公安局 · 按计划；"
        "曹临 · 市城市管理局 · 按计划"
    ) in lines
    assert "#2 新建城市书房20处（9月底）：王昌华 · 市文化和旅游局 · 滞后" in lines
    assert [label for label, _ in preview.buttons] == ["✅ 确认导入", "✖️ 取消", "🔧 更正某列"]
    assert stored(db) == []

    confirm = dict(preview.buttons)["✅ 确认导入"]
    await api.press(ADMIN, preview, confirm)
    summary = await api.reply(ADMIN.id)
    assert summary.method == "editMessageText"
    assert summary.text.startswith(
        f"已导入《{PLAN}》2024Q2：新增目标 2 个，变更 0 个，未变 0 个；新增进度记录 3 条。"
    )
    assert summary.buttons == []
    assert stored(db) == [(1, "建设智慧停车泊位3000个"), (2, "新建城市书房20处")]
    with sqlite3.connect(db) as conn:
        audit = conn.execute(
            "SELECT actor FROM audit_log WHERE action = 'import' AND subject = ?", (PLAN,)
        ).fetchall()
    assert audit == [(f"user:{ADMIN.id}",)]

    # A second press of the same button imports nothing again.
    query = await api.press(ADMIN, preview, confirm)
    answer = await api.callback_answer(query)
    assert answer.get("text") == zh("import.chat.already_imported")

    found = await ask(api, LEADER, "城市书房")
    assert "#2 新建城市书房20处" in found.text
    found = await ask(api, LEADER, "停车泊位")
    assert "#1 建设智慧停车泊位3000个" in found.text
