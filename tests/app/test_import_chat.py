"""Importing a table from the chat, in process: preview, confirm, cancel, refusals, old buttons."""

from __future__ import annotations

import html
import io
import sqlite3
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from bot.i18n import Translator
from bot.people.accounts import set_role
from storage import targets as plans
from tests.harness import Harness, Person, running_bot
from tests.harness import shown as sent

zh = Translator("zh")
en = Translator("en")
ADMIN = Person(1001, "督查")
OTHER_ADMIN = Person(1002, "督查二")
LIAISON = Person(2002, "水务")
LEADER = Person(4004, "王")
STRANGER = Person(3003, "路人")

Calls = list[tuple[str, dict[str, Any]]]

TITLE = "某市人民政府2024年经济社会发展责任目标一季度工作推进情况一览表"
PLAN = "某市人民政府2024年经济社会发展责任目标"
HEADER = [
    "序号",
    "市政府领导",
    "责任目标内容",
    "完成时限",
    "一季度完成情况",
    "是否按计划完成进度",
    "责任单位",
]
ROWS = [
    [
        "1",
        "王昌华",
        "建成口袋公园30个",
        "年底",
        "已建成口袋公园12个",
        "是",
        "市住房城乡建设局 市城市管理局",
    ],
    ["2", "王昌华", "新建城市绿道50公里", "10月底", "完成绿道18公里", "否", "市城市管理局"],
    ["3", "曹临", "改造老旧小区120个", "年底", "开工改造老旧小区40个", "是", "市住房城乡建设局"],
]


def table_tsv(rows: list[list[str]] = ROWS) -> bytes:
    """Return a small table in the demo's layout, as a .tsv file's bytes."""
    lines = [TITLE, "\t".join(HEADER), *("\t".join(row) for row in rows)]
    return ("\n".join(lines) + "\n").encode()


def table_xlsx(rows: list[list[str]] = ROWS) -> bytes:
    """Return the same table as an .xlsx workbook's bytes."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([TITLE])
    sheet.append(HEADER)
    for row in rows:
        sheet.append([int(row[0]), *row[1:]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def shown(calls: Calls) -> list[str]:
    """Return the texts shown as the user reads them (the HTML entities rendered)."""
    return [html.unescape(text) for text in sent(calls)]


def buttons(calls: Calls) -> dict[str, str]:
    """Return the buttons of the last message shown: label → callback data."""
    for _, params in reversed(calls):
        markup = params.get("reply_markup")
        if markup:
            return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}
    return {}


def alerts(calls: Calls) -> list[str]:
    """Return the texts of the button answers shown as alerts."""
    return [str(p["text"]) for name, p in calls if name == "answerCallbackQuery" and p.get("text")]


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def stored(harness: Harness) -> list[tuple[Any, ...]]:
    """Return the imported plan's targets as stored: (number, content, deadline)."""
    return rows(
        harness.db_path,
        "SELECT t.number, t.content, t.deadline FROM target t JOIN plan p ON p.id = t.plan_id "
        f"WHERE p.title = '{PLAN}' ORDER BY t.number",
    )


def methods(calls: Calls) -> list[str]:
    return [name for name, _ in calls]


async def bind(harness: Harness) -> None:
    db = harness.app.bot_data.db
    units = {u.name: u.id for u in await plans.list_units(db)}
    wang = next(x for x in await plans.list_leaders(db) if x.name == "王昌华")
    await set_role(
        db, telegram_id=LIAISON.id, role="liaison", binding_id=units["市水务局"], actor="t"
    )
    await set_role(db, telegram_id=LEADER.id, role="leader", binding_id=wang.id, actor="t")
    await set_role(db, telegram_id=OTHER_ADMIN.id, role="admin", binding_id=None, actor="t")


async def test_an_admin_previews_confirms_and_a_leader_finds_the_new_targets(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        calls = await harness.send_document(ADMIN, "2024一季度.xlsx", table_xlsx())
        assert "getFile" in methods(calls)
        assert "download" in methods(calls)
        [preview] = shown(calls)
        assert preview.splitlines()[:3] == [
            "📋 导入预览：2024一季度.xlsx（尚未写入）",
            f"目标计划：{PLAN}（2024 年）",
            "期次：2024Q1",
        ]
        assert (
            "导入后：新增目标 3 个，变更 0 个，停用 0 个，未变 0 个；新增进度记录 3 条。" in preview
        )
        assert "前 3 个目标（共 3 个），按导入后保存的样子：" in preview
        assert (
            "#1 建成口袋公园30个（年底）：王昌华 · 市住房城乡建设局、市城市管理局 · 按计划"
            in preview.splitlines()
        )
        assert (
            "#2 新建城市绿道50公里（10月底）：王昌华 · 市城市管理局 · 滞后" in preview.splitlines()
        )
        assert list(buttons(calls)) == ["✅ 确认导入", "✖️ 取消", "🔧 更正某列"]
        assert stored(harness) == []  # a preview stores nothing

        confirm = buttons(calls)["✅ 确认导入"]
        done = await harness.press(ADMIN, confirm)
        assert shown(done)[0] == (
            f"已导入《{PLAN}》2024Q1：新增目标 3 个，变更 0 个，未变 0 个；新增进度记录 3 条。\n"
            "新登记领导 0 位、责任单位 2 个。"
        )
        assert [name for name in methods(done) if name != "answerCallbackQuery"] == [
            "editMessageText"  # the preview becomes the summary: its buttons are gone
        ]
        assert stored(harness) == [
            (1, "建成口袋公园30个", "年底"),
            (2, "新建城市绿道50公里", "10月底"),
            (3, "改造老旧小区120个", "年底"),
        ]
        assert rows(
            harness.db_path, "SELECT actor, subject FROM audit_log WHERE action = 'import'"
        )[-1] == (f"user:{ADMIN.id}", PLAN)

        # A second press imports nothing twice, and is answered once.
        again = await harness.press(ADMIN, confirm)
        assert alerts(again) == [zh("import.chat.already_imported")]
        assert len(rows(harness.db_path, "SELECT 1 FROM audit_log WHERE action = 'import'")) == 2

        # The query engine sees the new plan's targets at once.
        answer = shown(await harness.send(LEADER, "口袋公园"))[0]
        assert "#1 建成口袋公园30个" in answer
        answer = shown(await harness.send(LEADER, "绿道 滞后"))[0]
        assert "新建城市绿道50公里" in answer


async def test_the_preview_in_english_and_a_tsv_file(tmp_path: Path) -> None:
    admin_en = Person(1003, "Office", "en")
    async with running_bot(tmp_path, frozenset({ADMIN.id, admin_en.id})) as harness:
        await harness.send(admin_en, "/lang en")
        calls = await harness.send_document(admin_en, "q1.tsv", table_tsv())
        [preview] = shown(calls)
        assert preview.startswith("📋 Import preview: q1.tsv (nothing written yet)\n")
        assert (
            "#3 改造老旧小区120个 (due 年底): 曹临 · 市住房城乡建设局 · on track"
            in preview.splitlines()
        )
        assert list(buttons(calls)) == ["✅ Import", "✖️ Cancel", "🔧 Correct a column"]


async def test_cancel_stores_nothing_and_a_later_confirm_says_so(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        calls = await harness.send_document(ADMIN, "q1.tsv", table_tsv(), caption="/import")
        choices = buttons(calls)
        cancelled = await harness.press(ADMIN, choices["✖️ 取消"])
        assert shown(cancelled) == [zh("import.chat.cancelled", file="q1.tsv")]
        late = await harness.press(ADMIN, choices["✅ 确认导入"])
        assert alerts(late) == [zh("import.chat.already_cancelled")]
        assert stored(harness) == []
        assert rows(harness.db_path, "SELECT COUNT(*) FROM plan") == [(1,)]  # the demo's only


async def test_a_bad_file_gets_one_message_naming_row_and_column_and_changes_nothing(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        before = rows(harness.db_path, "SELECT COUNT(*) FROM target")
        bad = [*ROWS[:2], ["三", *ROWS[2][1:]]]
        calls = await harness.send_document(ADMIN, "bad.tsv", table_tsv(bad))
        assert shown(calls) == ["bad.tsv 第 5 行 A 列（序号）：序号 “三” 不是数字。"]
        assert buttons(calls) == {}
        assert rows(harness.db_path, "SELECT COUNT(*) FROM target") == before
        # A workbook that is no workbook: the importer's one line too.
        calls = await harness.send_document(ADMIN, "broken.xlsx", b"PK\x03\x04 not really")
        [line] = shown(calls)
        assert line.startswith("broken.xlsx：")
        assert rows(harness.db_path, "SELECT COUNT(*) FROM target") == before


async def test_files_too_big_or_of_the_wrong_kind_are_refused_before_download(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        big = await harness.send_document(ADMIN, "big.xlsx", b"PK", file_size=25 * 2**20)
        assert shown(big) == [
            "big.xlsx：" + zh("import.chat.too_big", size_mb="25.0", limit_mb="20")
        ]
        photo = await harness.send_document(ADMIN, "photo.jpg", b"\xff\xd8\xff")
        assert shown(photo) == ["photo.jpg：" + zh("import.error.unsupported", suffix=".jpg")]
        old = await harness.send_document(ADMIN, "2023.xls", b"\xd0\xcf\x11\xe0")
        assert shown(old) == ["2023.xls：" + zh("import.error.old_xls")]
        for calls in (big, photo, old):
            assert "getFile" not in methods(calls)
        usage = await harness.send(ADMIN, "/import")
        assert shown(usage) == [zh("import.chat.usage")]


async def test_liaisons_leaders_and_strangers_are_refused(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        for person in (LIAISON, LEADER):
            calls = await harness.send_document(person, "q1.xlsx", table_xlsx())
            assert shown(calls) == [zh("import.chat.not_admin")]
            assert "getFile" not in methods(calls)
            assert shown(await harness.send(person, "/import")) == [zh("access.denied")]
        calls = await harness.send_document(STRANGER, "q1.xlsx", table_xlsx())
        assert shown(calls) == [zh("access.stranger")]
        assert stored(harness) == []


async def test_a_document_inside_a_report_draft_is_the_drafts_evidence(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        listing = await harness.send(LIAISON, "/report")
        pick = next(data for label, data in buttons(listing).items() if "#90" in label)
        await harness.press(LIAISON, pick)
        calls = await harness.send_document(LIAISON, "佐证.xlsx", table_xlsx())
        assert zh("import.chat.not_admin") not in shown(calls)
        assert shown(calls)[0].startswith("📎 已收到 1/9：佐证.xlsx")


async def test_old_forged_and_other_admins_buttons_do_nothing(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        calls = await harness.send_document(ADMIN, "q1.tsv", table_tsv())
        confirm = buttons(calls)["✅ 确认导入"]
        # Another admin cannot confirm someone else's import; a liaison is refused outright.
        assert alerts(await harness.press(OTHER_ADMIN, confirm)) == [zh("import.chat.expired")]
        assert alerts(await harness.press(LIAISON, confirm)) == [zh("access.denied")]
        for forged in ("imp:ok:nokey", "imp:ok:../../etc", "imp:zap:1"):
            assert alerts(await harness.press(ADMIN, forged)) == [zh("import.chat.expired")]
        # A second file replaces the first: the first preview's buttons expire.
        second = await harness.send_document(ADMIN, "q1-fixed.tsv", table_tsv())
        assert alerts(await harness.press(ADMIN, confirm)) == [zh("import.chat.expired")]
        assert stored(harness) == []
        still = buttons(second)["✅ 确认导入"]
    # After a restart the pending file is forgotten: the button says the preview expired.
    async with running_bot(tmp_path, frozenset({ADMIN.id}), load_demo=False) as harness:
        assert alerts(await harness.press(ADMIN, still)) == [zh("import.chat.expired")]
        assert stored(harness) == []


async def test_a_file_that_changes_nothing_has_no_buttons(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        demo = (Path(__file__).parents[2] / "bot/plan/demo/heze-2023-q3.tsv").read_bytes()
        calls = await harness.send_document(ADMIN, "heze-2023-q3.tsv", demo)
        [preview] = shown(calls)
        assert zh("import.preview.nothing_to_do") in preview.splitlines()
        assert buttons(calls) == {}


async def test_an_admin_corrects_a_column_read_wrongly_before_confirming(tmp_path: Path) -> None:
    # 完成时限 read as the deadline; the admin says the column is only a remark (其他).
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        first = await harness.send_document(ADMIN, "2024一季度.tsv", table_tsv())
        assert "D 列 完成时限 → 完成时限" in shown(first)[0]
        columns = await harness.press(ADMIN, buttons(first)["🔧 更正某列"])
        assert shown(columns) == ["哪一列识别错了？请选择："]
        roles = await harness.press(ADMIN, buttons(columns)["D 列 完成时限 → 完成时限"])
        assert shown(roles) == ["“完成时限” 这一列应当是："]
        again = await harness.press(ADMIN, buttons(roles)["其他（随目标保存）"])
        [preview] = shown(again)
        assert "D 列 完成时限 → 其他（随目标保存）" in preview
        assert list(buttons(again)) == ["✅ 确认导入", "✖️ 取消", "🔧 更正某列"]
        # Another admin cannot correct or confirm this admin's file.
        other = await harness.press(OTHER_ADMIN, buttons(again)["🔧 更正某列"])
        assert alerts(other) == [zh("import.chat.expired")]
        await harness.press(ADMIN, buttons(again)["✅ 确认导入"])
        # Stored without deadlines: the column was taken as a remark, by hand.
        assert stored(harness) == [
            (1, "建成口袋公园30个", ""),
            (2, "新建城市绿道50公里", ""),
            (3, "改造老旧小区120个", ""),
        ]


async def test_a_header_with_markup_characters_is_shown_as_written(tmp_path: Path) -> None:
    # 备注<A&B> is the table's own header: shown as written, never as &lt;A&amp;B&gt;.
    data = table_tsv().replace("是否按计划完成进度".encode(), "备注<A&B>".encode())
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        first = await harness.send_document(ADMIN, "2024一季度.tsv", data)
        columns = await harness.press(ADMIN, buttons(first)["🔧 更正某列"])
        [label] = [b for b in buttons(columns) if "备注" in b]
        roles = await harness.press(ADMIN, buttons(columns)[label])
        assert shown(roles) == ["“备注<A&B>” 这一列应当是："]
