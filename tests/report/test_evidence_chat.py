"""佐证材料 in chat, in process: files with /report, listed, shown, re-sent; forged buttons."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from bot.i18n import Translator
from bot.people.accounts import Account
from bot.report import evidence
from bot.report import service as reporting
from bot.report.evidence import Evidence
from handlers import evidence as files
from tests.harness import Harness, Person, running_bot, shown
from tests.report.test_report_chat import (
    ADMIN,
    INDUSTRY,
    LEADER,
    LIAISON,
    bind,
    buttons,
    choose_90,
    keyed,
    rows,
    walk_to_preview,
)

zh = Translator("zh")
en = Translator("en")
Calls = list[tuple[str, dict[str, Any]]]
PHOTO = b"\xff\xd8\xff\xe0" + b"site photo " * 20_000  # about 220 KB
REPORT_PDF = b"%PDF-1.7 acceptance report " * 2_000


def methods(calls: Calls) -> list[str]:
    return [name for name, _ in calls]


def sent_files(calls: Calls) -> list[tuple[str, str]]:
    """Return the files the bot sent: (method, file id or attach)."""
    return [
        (name, str(params.get("photo") or params.get("document")))
        for name, params in calls
        if name in ("sendPhoto", "sendDocument")
    ]


def draft_files(harness: Harness, person: Person) -> list[tuple[Any, ...]]:
    return rows(
        harness.db_path,
        "SELECT position, name, kind, size FROM evidence "
        f"WHERE owner_kind = 'draft' AND owner_id = {person.id} ORDER BY position",
    )


def target_id(harness: Harness, number: int) -> int:
    return int(rows(harness.db_path, f"SELECT id FROM target WHERE number = {number}")[0][0])


async def test_a_liaison_attaches_files_and_they_are_listed_kept_shown_and_re_sent(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        preview = await walk_to_preview(harness)
        step = await harness.press(LIAISON, buttons(preview)["📎 佐证材料"])
        assert shown(step)[0].startswith("📎 佐证材料（0/9）：\n（还没有）\n\n请发送照片或文件")

        photo = await harness.send_photo(LIAISON, PHOTO)
        assert shown(photo) == ["📎 已收到 1/9：照片1.jpg（0.2 MB）"]
        # The largest size was downloaded, not the thumbnail.
        downloaded = [p["file_id"] for name, p in photo if name == "getFile"]
        assert downloaded == [next(f for f, d in harness.request.files.items() if d == PHOTO)]
        pdf = await harness.send_document(
            LIAISON, "验收报告.pdf", REPORT_PDF, mime_type="application/pdf"
        )
        assert shown(pdf) == ["📎 已收到 2/9：验收报告.pdf（53 KB）"]
        assert list(buttons(pdf)) == ["✅ 完成"]

        # Too big (Telegram says so before any download): one line, nothing else changes.
        big = await harness.send_document(LIAISON, "航拍.zip", b"PK", file_size=21 * 1024 * 1024)
        assert shown(big) == [zh("evidence.too_big", file="航拍.zip", size="21.0 MB", limit=20)]
        assert "getFile" not in methods(big)
        # A kind evidence cannot be.
        exe = await harness.send_document(LIAISON, "setup.exe", b"MZ")
        assert len(shown(exe)) == 1
        assert shown(exe)[0].startswith("❌ setup.exe 没有收下")
        # The same photo again (Telegram's file_unique_id): attached already.
        photo_id = str(rows(harness.db_path, "SELECT file_unique_id FROM evidence")[0][0])
        again = await harness.send_photo(LIAISON, PHOTO, unique_id=photo_id.removesuffix("-1"))
        assert shown(again) == [zh("evidence.already", file="照片1.jpg", position=1)]
        assert draft_files(harness, LIAISON) == [
            (1, "照片1.jpg", "photo", len(PHOTO)),
            (2, "验收报告.pdf", "document", len(REPORT_PDF)),
        ]
        # The draft kept its text through all of it.
        assert rows(harness.db_path, "SELECT step, status, reason FROM draft") == [
            ("evidence", "behind", "汛期停工两个月")
        ]

        done = await harness.press(LIAISON, keyed(harness, LIAISON, "rp:evdone"))
        text = shown(done)[0]
        assert "📎 佐证材料 2 份：\n1. 照片1.jpg（0.2 MB）\n2. 验收报告.pdf（53 KB）" in text
        assert "📎 佐证材料（2）" in buttons(done)
        receipt = shown(await harness.press(LIAISON, buttons(done)["✅ 确认提交"]))[0]
        assert receipt.startswith("✅ 已保存：#90")
        assert receipt.endswith(
            "📎 佐证材料 2 份：\n1. 照片1.jpg（0.2 MB）\n2. 验收报告.pdf（53 KB）"
        )

        # Kept with the revision; the bytes in the content-addressed folder next to the database.
        report_id = rows(harness.db_path, "SELECT id FROM report WHERE source = 'chat'")[0][0]
        kept = rows(
            harness.db_path,
            "SELECT owner_kind, owner_id, sha256 FROM evidence ORDER BY position",
        )
        assert [(k, o) for k, o, _ in kept] == [("report", report_id), ("report", report_id)]
        for (_, _, sha), data in zip(kept, (PHOTO, REPORT_PDF), strict=True):
            assert sha == hashlib.sha256(data).hexdigest()
            assert (tmp_path / "files" / sha[:2] / sha).read_bytes() == data
        assert draft_files(harness, LIAISON) == []

        # The leader's details say so, and the button sends them by file_id.
        details = await harness.press(LEADER, f"qd:{target_id(harness, 90)}")
        assert "📎 佐证材料 2 份（点下面的按钮查看）" in shown(details)[0]
        send = buttons(details)["📎 佐证材料 2 份"]
        assert send == f"ev:t:{target_id(harness, 90)}"
        sent = await harness.press(LEADER, send)
        ids = [str(x[0]) for x in rows(harness.db_path, "SELECT file_id FROM evidence")]
        assert sent_files(sent) == [("sendPhoto", ids[0]), ("sendDocument", ids[1])]
        assert all(p["chat_id"] == LEADER.id for n, p in sent if n.startswith("send"))
        # The liaison who may see the target may press it too; from the one-target answer too.
        answer = await harness.send(LIAISON, "#90")
        assert buttons(answer)["📎 佐证材料 2 份"] == send
        assert len(sent_files(await harness.press(LIAISON, send))) == 2


async def test_forged_evidence_buttons_are_refused_with_an_alert(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        preview = await walk_to_preview(harness)
        await harness.send_photo(LIAISON, PHOTO)
        await harness.press(LIAISON, buttons(preview)["✅ 确认提交"])
        report_id = rows(harness.db_path, "SELECT id FROM report WHERE source = 'chat'")[0][0]
        evidence_id = rows(harness.db_path, "SELECT id FROM evidence")[0][0]
        stranger = Person(9009, "路人")
        # 工信局's liaison may not see #90: neither by the target nor by the revision.
        for data in (f"ev:t:{target_id(harness, 90)}", f"ev:r:{report_id}"):
            calls = await harness.press(INDUSTRY, data)
            assert shown(calls) == [zh("evidence.not_found")]
            assert sent_files(calls) == []
        for data in ("ev:r:999999", "ev:t:0", "ev:x:1", "ev:r:abc", f"ev:r:{report_id}:1"):
            calls = await harness.press(LEADER, data)
            assert shown(calls) == [zh("evidence.not_found")], data
            assert sent_files(calls) == []
        assert shown(await harness.press(stranger, f"ev:r:{report_id}")) == [zh("access.stranger")]
        # Removing a file from a draft that is not the presser's (or is gone) changes nothing.
        for person in (INDUSTRY, LIAISON):
            calls = await harness.press(person, f"rp:evdel:{evidence_id}:{'k' * 12}")
            assert shown(calls) == [zh("report.stale_button")]
        assert rows(harness.db_path, "SELECT COUNT(*) FROM evidence") == [(1,)]


async def test_an_album_is_taken_whole_in_order_and_a_tenth_file_is_refused(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        await choose_90(harness)
        await harness.send(LIAISON, "1-11月完成投资21.5亿元")
        # Files at the progress step are evidence too: an album of 9 arrives as 9 updates.
        answers = []
        for n in range(1, 10):
            calls = await harness.send_document(
                LIAISON, f"现场{n}.png", bytes([n]) * 5000, media_group_id="album-1"
            )
            answers += shown(calls)
        assert answers == [f"📎 已收到 {n}/9：现场{n}.png（5 KB）" for n in range(1, 10)]
        # The album's last file delivered again by Telegram adds nothing and is said to be in.
        assert shown(await harness.replay()) == [
            zh("evidence.already", file="现场9.png", position=9)
        ]
        assert len(draft_files(harness, LIAISON)) == 9
        tenth = await harness.send_photo(LIAISON, PHOTO)
        assert shown(tenth) == [zh("evidence.too_many", file="照片10.jpg", limit=9)]
        assert [r[1] for r in draft_files(harness, LIAISON)] == [
            f"现场{n}.png" for n in range(1, 10)
        ]
        assert rows(harness.db_path, "SELECT step, progress FROM draft") == [
            ("progress", "1-11月完成投资21.5亿元")
        ]


async def test_the_total_per_report_is_bounded_by_the_setting(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), EVIDENCE_MAX_MB="1") as harness:
        await bind(harness)
        await choose_90(harness)
        first = await harness.send_document(LIAISON, "a.pdf", b"a" * 600_000)
        assert shown(first) == ["📎 已收到 1/9：a.pdf（0.6 MB）"]
        second = await harness.send_document(LIAISON, "b.pdf", b"b" * 600_000)
        assert shown(second) == [zh("evidence.total_too_big", file="b.pdf", size="0.6 MB", limit=1)]
        assert [r[1] for r in draft_files(harness, LIAISON)] == ["a.pdf"]


async def test_a_revision_carries_the_evidence_and_a_file_can_be_removed(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        preview = await walk_to_preview(harness)
        await harness.send_photo(LIAISON, PHOTO)
        await harness.send_document(LIAISON, "验收报告.pdf", REPORT_PDF)
        await harness.press(LIAISON, buttons(preview)["✅ 确认提交"])
        # Revising starts with the revision's files.
        revising = await harness.send(LIAISON, "/report 90")
        assert [r[1] for r in draft_files(harness, LIAISON)] == ["照片1.jpg", "验收报告.pdf"]
        await harness.send(LIAISON, "1-11月完成投资22亿元")
        await harness.press(LIAISON, keyed(harness, LIAISON, "rp:ready"))
        preview = await harness.press(LIAISON, keyed(harness, LIAISON, "rp:status:on_track"))
        assert "📎 佐证材料 2 份：" in shown(preview)[0]
        step = await harness.press(LIAISON, buttons(preview)["📎 佐证材料（2）"])
        assert list(buttons(step))[:3] == ["🗑 1. 照片1.jpg", "🗑 2. 验收报告.pdf", "✅ 完成"]
        removed = await harness.press(LIAISON, buttons(step)["🗑 1. 照片1.jpg"])
        assert shown(removed)[0].startswith(
            "🗑 已移除：照片1.jpg\n\n📎 佐证材料（1/9）：\n1. 验收报告.pdf"
        )
        typed = await harness.send(LIAISON, "好了")
        assert shown(typed)[0].startswith(zh("evidence.step_hint"))
        done = await harness.press(LIAISON, keyed(harness, LIAISON, "rp:evdone"))
        await harness.press(LIAISON, buttons(done)["✅ 确认提交"])
        assert revising
        counts = rows(
            harness.db_path,
            "SELECT r.revision, COUNT(e.id), GROUP_CONCAT(e.name) FROM report r "
            "JOIN evidence e ON e.owner_kind = 'report' AND e.owner_id = r.id "
            "GROUP BY r.id ORDER BY r.revision",
        )
        assert counts == [(1, 2, "照片1.jpg,验收报告.pdf"), (2, 1, "验收报告.pdf")]
        # The details count the current revision's files only.
        details = await harness.press(LEADER, f"qd:{target_id(harness, 90)}")
        assert "📎 佐证材料 1 份" in buttons(details)


async def test_discarding_the_draft_drops_its_files_and_the_bytes_stay(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        await choose_90(harness)
        await harness.send_photo(LIAISON, PHOTO)
        await harness.send(LIAISON, "/cancel")
        assert rows(harness.db_path, "SELECT COUNT(*) FROM evidence") == [(0,)]
        sha = hashlib.sha256(PHOTO).hexdigest()
        assert (tmp_path / "files" / sha[:2] / sha).is_file()
        # A new draft starts with none.
        await choose_90(harness)
        assert draft_files(harness, LIAISON) == []


async def test_a_file_id_telegram_forgot_is_sent_from_the_kept_copy(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        preview = await walk_to_preview(harness)
        await harness.send_document(LIAISON, "验收报告.pdf", REPORT_PDF)
        await harness.press(LIAISON, buttons(preview)["✅ 确认提交"])
        file_id = str(rows(harness.db_path, "SELECT file_id FROM evidence")[0][0])
        harness.request.forgotten.add(file_id)
        harness.request.refused.clear()
        await harness.press(LEADER, f"ev:t:{target_id(harness, 90)}")
        assert harness.request.refused == [("sendDocument", "wrong file identifier")]
        assert harness.request.uploads[-1] == ("sendDocument", "验收报告.pdf", REPORT_PDF)


async def test_the_review_lists_the_files_with_a_button_that_sends_them(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), REVIEW_REQUIRED="true") as harness:
        await bind(harness)
        preview = await walk_to_preview(harness)
        await harness.send_photo(LIAISON, PHOTO)
        await harness.press(LIAISON, buttons(preview)["✅ 确认提交"])
        review = await harness.send(ADMIN, "/review")
        assert "📎 佐证材料 1 份：\n1. 照片1.jpg（0.2 MB）" in shown(review)[0]
        report_id = rows(harness.db_path, "SELECT id FROM report WHERE source = 'chat'")[0][0]
        assert buttons(review)["📎 佐证材料 1 份"] == f"ev:r:{report_id}"
        sent = await harness.press(ADMIN, f"ev:r:{report_id}")
        assert [n for n, _ in sent_files(sent)] == ["sendPhoto"]
        assert "✅ 通过" in buttons(review)
        # Leaders see no files of an update still waiting for review, as they see not its text.
        details = await harness.press(LEADER, f"qd:{target_id(harness, 90)}")
        assert "📎" not in shown(details)[0]
        assert not [label for label in buttons(details) if label.startswith("📎")]
        refused = await harness.press(LEADER, f"ev:t:{target_id(harness, 90)}")
        assert sent_files(refused) == []
        assert shown(refused) == ["这份佐证材料已不存在，或者您无权查看。"]
        await harness.press(ADMIN, buttons(review)["✅ 通过"])
        details = await harness.press(LEADER, f"qd:{target_id(harness, 90)}")
        assert "📎 佐证材料 1 份（点下面的按钮查看）" in shown(details)[0]
        assert buttons(details)["📎 佐证材料 1 份"] == f"ev:t:{target_id(harness, 90)}"


async def test_in_english_the_same_steps_read_in_english(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        english = Person(LIAISON.id, "Water", "en")
        await harness.send(english, "/lang en")
        listing = await harness.send(english, "/report")
        pick = next(data for label, data in buttons(listing).items() if "#90" in label)
        await harness.press(english, pick)
        await harness.send(english, "Invested 21.5 bn yuan by November")
        taken = await harness.send_photo(english, PHOTO)
        assert shown(taken) == ["📎 Received 1/9: photo-1.jpg (0.2 MB)"]
        big = await harness.send_document(english, "plan.docx", b"x", file_size=30 * 1024 * 1024)
        assert shown(big) == [en("evidence.too_big", file="plan.docx", size="30.0 MB", limit=20)]
        assert shown(big)[0].startswith("❌ plan.docx was not taken")
        await harness.press(english, keyed(harness, english, "rp:ready"))
        preview = await harness.press(english, keyed(harness, english, "rp:status:on_track"))
        assert "📎 Evidence, 1 file:\n1. photo-1.jpg (0.2 MB)" in shown(preview)[0]
        step = await harness.press(english, buttons(preview)["📎 Evidence (1)"])
        assert shown(step)[0].startswith("📎 Evidence (1/9):\n1. photo-1.jpg (0.2 MB)")
        done = await harness.press(english, buttons(step)["✅ Done"])
        receipt = shown(await harness.press(english, buttons(done)["✅ Confirm"]))[0]
        assert receipt.endswith("📎 Evidence, 1 file:\n1. photo-1.jpg (0.2 MB)")


async def test_a_photos_caption_names_it_escaped_in_messages_and_as_it_is_on_buttons(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        await walk_to_preview(harness)
        # What a file name may not hold (/ < > …) is left out; the rest is the name.
        taken = await harness.send_photo(LIAISON, PHOTO, caption="泵站 <B> & 现场/1")
        assert shown(taken) == ["📎 已收到 1/9：泵站 B &amp; 现场1.jpg（0.2 MB）"]
        assert "📎 佐证材料（1）" in buttons(taken)  # the preview's buttons, counting it
        step = await harness.press(LIAISON, keyed(harness, LIAISON, "rp:ev"))
        assert "🗑 1. 泵站 B & 现场1.jpg" in buttons(step)
        assert "1. 泵站 B &amp; 现场1.jpg（0.2 MB）" in shown(step)[0]
        done = await harness.press(LIAISON, keyed(harness, LIAISON, "rp:evdone"))
        assert "📎 佐证材料 1 份：\n1. 泵站 B &amp; 现场1.jpg（0.2 MB）" in shown(done)[0]
        receipt = shown(await harness.press(LIAISON, buttons(done)["✅ 确认提交"]))[0]
        assert receipt.endswith("📎 佐证材料 1 份：\n1. 泵站 B &amp; 现场1.jpg（0.2 MB）")


async def test_a_file_after_the_flow_paused_and_a_restart_goes_into_the_draft(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        await choose_90(harness)
        await harness.send(LIAISON, "1-11月完成投资21.5亿元")
        await reporting.pause(harness.app.bot_data.db, LIAISON.id)
    async with running_bot(tmp_path, frozenset({ADMIN.id}), load_demo=False) as harness:
        taken = await harness.send_photo(LIAISON, PHOTO, caption="泵站现场")
        assert shown(taken) == ["📎 已收到 1/9：泵站现场.jpg（0.2 MB）"]
        assert rows(harness.db_path, "SELECT paused, step FROM draft") == [(0, "progress")]
        # The flow goes on where it was: the next words are progress text.
        more = await harness.send(LIAISON, "受汛期影响两处工程停工")
        assert shown(more)[0].startswith("已记入 #90 的进展")
        # Others' files outside a flow are what they were before.
        assert shown(await harness.send_photo(LEADER, PHOTO)) == [zh("fallback.unknown")]
        assert shown(await harness.send_document(LEADER, "a.pdf", b"%PDF")) == [
            zh("import.chat.not_admin")
        ]
        assert shown(await harness.send_photo(Person(9009, "路人"), PHOTO)) == [
            zh("access.stranger")
        ]
        assert rows(harness.db_path, "SELECT COUNT(*) FROM evidence") == [(1,)]


async def test_a_download_that_fails_is_said_in_one_line_and_sending_again_works(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        await choose_90(harness)
        harness.request.failing_downloads = 1
        failed = await harness.send_document(LIAISON, "验收报告.pdf", REPORT_PDF)
        assert shown(failed) == [zh("evidence.download_failed", file="验收报告.pdf")]
        assert draft_files(harness, LIAISON) == []
        again = await harness.send_document(LIAISON, "验收报告.pdf", REPORT_PDF)
        assert shown(again) == ["📎 已收到 1/9：验收报告.pdf（53 KB）"]


async def test_another_flow_adds_its_own_evidence_button_with_may_send(tmp_path: Path) -> None:
    """How the 批示 answers reuse the button: `ev:<verb>:<id>` with their own check."""

    async def admins_only(conn: Any, account: Account, report_id: int) -> list[Evidence] | None:
        return (
            await evidence.report_files(conn, account, report_id) if account.has("admin") else None
        )

    files.may_send("z", admins_only)
    try:
        async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
            await bind(harness)
            preview = await walk_to_preview(harness)
            await harness.send_photo(LIAISON, PHOTO)
            await harness.press(LIAISON, buttons(preview)["✅ 确认提交"])
            report_id = rows(harness.db_path, "SELECT id FROM report WHERE source = 'chat'")[0][0]
            refused = await harness.press(LIAISON, f"ev:z:{report_id}")
            assert shown(refused) == [zh("evidence.not_found")]
            assert sent_files(refused) == []
            sent = await harness.press(ADMIN, f"ev:z:{report_id}")
            assert [name for name, _ in sent_files(sent)] == ["sendPhoto"]
    finally:
        files.FINDERS.pop("z")
