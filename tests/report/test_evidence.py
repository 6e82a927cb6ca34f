"""佐证材料, the domain: the rules, the content-addressed store, keeping and moving on confirm."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import aiosqlite
import pytest

from bot.plan import export
from bot.plan.importer import DEMO_TABLE, import_file
from bot.report import evidence
from bot.report import service as reporting
from bot.report.evidence import (
    MAX_FILE_BYTES,
    MAX_FILES,
    EvidenceRefused,
    FileStore,
    Incoming,
    Owner,
    attach,
    check,
    precheck,
)
from bot.report.service import UpdateRefused
from bot.settings import Settings, SettingsError
from storage import evidence as rows
from storage.db import connect, transaction
from storage.evidence import Evidence
from storage.reports import Draft

MB = 1024 * 1024
LIAISON = 2002
TODAY = date(2023, 12, 20)  # 2023Q4 takes reports (no deadline announced)


def incoming(name: str = "现场.jpg", kind: str = "document", size: int | None = 10) -> Incoming:
    return Incoming(f"id-{name}", f"u-{name}", name, kind, "", size)


def kept(size: int, n: int = 1) -> Evidence:
    return Evidence(
        n, "draft", 1, n, "x" * 64, "f", f"u{n}", f"f{n}.pdf", "document", "", size, 1, ""
    )


def refusal(call: object) -> tuple[str, dict[str, object]]:
    assert isinstance(call, EvidenceRefused)
    return call.key, call.values


# ---------------------------------------------------------------------------- rules


def test_photos_and_office_documents_are_taken_other_kinds_are_refused_by_name() -> None:
    for name in (
        "验收报告.PDF",
        "台账.xlsx",
        "汇报.pptx",
        "通知.docx",
        "文件.ofd",
        "表.et",
        "a.zip",
    ):
        check(incoming(name), 10, [], 50)
    check(incoming("anything", kind="photo"), 10, [], 50)
    for name in ("setup.exe", "clip.mp4", "noextension", "voice.ogg"):
        with pytest.raises(EvidenceRefused) as refused:
            check(incoming(name), 10, [], 50)
        assert refused.value.key == "evidence.bad_kind"
        assert refused.value.values["file"] == name


def test_at_most_nine_files_each_at_most_20_mb_and_the_total_within_the_setting() -> None:
    with pytest.raises(EvidenceRefused) as refused:
        check(incoming("十.pdf"), 10, [kept(1, n) for n in range(1, MAX_FILES + 1)], 50)
    assert (refused.value.key, refused.value.values) == (
        "evidence.too_many",
        {"file": "十.pdf", "limit": 9},
    )
    check(incoming(), MAX_FILE_BYTES, [], 50)  # exactly 20 MB is taken
    with pytest.raises(EvidenceRefused) as refused:
        check(incoming("big.pdf"), MAX_FILE_BYTES + 1, [], 50)
    assert refused.value.key == "evidence.too_big"
    assert refused.value.values == {"file": "big.pdf", "size": "20.0 MB", "limit": 20}
    check(incoming(), 10 * MB, [kept(40 * MB)], 50)  # 50 MB in all is taken
    with pytest.raises(EvidenceRefused) as refused:
        check(incoming("more.pdf"), 10 * MB + 1, [kept(40 * MB)], 50)
    assert refused.value.key == "evidence.total_too_big"
    assert refused.value.values["limit"] == 50
    check(incoming(), None, [], 50)  # a size Telegram did not tell is checked after download


def test_sizes_read_as_people_read_them_and_long_names_keep_their_extension() -> None:
    assert evidence.size_words(300) == "1 KB"
    assert evidence.size_words(54_000) == "53 KB"
    assert evidence.size_words(1_258_291) == "1.2 MB"
    assert evidence.shortened("短.pdf") == "短.pdf"
    assert evidence.shortened("二〇二三年第四季度水利工程建设现场验收报告汇编.pdf") == (
        "二〇二三年第四季度水利工程建设现场验收….pdf"
    )


def test_the_evidence_total_setting_is_validated_with_one_line() -> None:
    assert Settings.from_mapping({}).evidence_max_mb == 50
    assert Settings.from_mapping({"EVIDENCE_MAX_MB": "1000"}).evidence_max_mb == 1000
    for bad in ("0", "1001", "50MB", "-1"):
        with pytest.raises(SettingsError) as refused:
            Settings.from_mapping({"EVIDENCE_MAX_MB": bad})
        assert refused.value.key == "settings.bad_int"
        assert refused.value.values["name"] == "EVIDENCE_MAX_MB"


# ---------------------------------------------------------------------------- the store


def test_the_store_writes_each_content_once_under_its_hash(tmp_path: Path) -> None:
    store = FileStore.beside(tmp_path / "data" / "targetbot.db")
    assert store.root == tmp_path / "data" / "files"
    data = b"photo" * 100
    sha = hashlib.sha256(data).hexdigest()
    path = store.keep_now(data, sha)
    assert path == tmp_path / "data" / "files" / sha[:2] / sha
    assert path.read_bytes() == data
    mtime = path.stat().st_mtime_ns
    assert store.keep_now(data, sha) == path
    assert path.stat().st_mtime_ns == mtime  # kept already: not written again
    assert [p.name for p in path.parent.iterdir()] == [sha]  # no temporary file left


# ---------------------------------------------------------------------------- keeping


@pytest.fixture
async def conn(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    db = await connect(tmp_path / "targetbot.db")
    await import_file(db, DEMO_TABLE, actor="test")
    yield db
    await db.close()


async def test_a_file_is_on_disk_before_its_row_and_duplicates_are_found(
    conn: aiosqlite.Connection, tmp_path: Path
) -> None:
    store = FileStore(tmp_path / "files")
    owner = Owner("draft", LIAISON)
    data = b"scan" * 1000
    first = await attach(conn, store, owner, incoming("a.pdf"), data, added_by=LIAISON, total_mb=50)
    assert (first.count, first.duplicate, first.item.position) == (1, False, 1)
    assert store.path_of(first.item.sha256).read_bytes() == data
    assert first.item.size == len(data)  # the real size, not the declared one
    assert first.item.mime == "application/pdf"
    # The same file again: by Telegram's unique id before the download, by content after.
    same = await precheck(conn, owner, incoming("a.pdf"), 50)
    assert same is not None
    assert (same.duplicate, same.item.id) == (True, first.item.id)
    renamed = Incoming("other", "other-unique", "b.pdf", "document", "", len(data))
    again = await attach(conn, store, owner, renamed, data, added_by=LIAISON, total_mb=50)
    assert (again.duplicate, again.item.id, again.count) == (True, first.item.id, 1)
    # A refusal after the download (the real size) changes nothing.
    with pytest.raises(EvidenceRefused):
        await attach(conn, store, owner, incoming("c.pdf"), b"x" * (MB + 1), added_by=1, total_mb=1)
    assert [item.name for item in await evidence.listing(conn, owner)] == ["a.pdf"]


async def test_a_failure_after_the_file_is_written_leaves_no_row(
    conn: aiosqlite.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileStore(tmp_path / "files")

    async def broken(*args: object) -> Evidence:
        raise OSError("disk full")

    monkeypatch.setattr(rows, "add", broken)
    with pytest.raises(OSError, match="disk full"):
        await attach(conn, store, Owner("draft", 1), incoming(), b"bytes", added_by=1, total_mb=50)
    assert await evidence.listing(conn, Owner("draft", 1)) == []
    # The bytes may stay (content-addressed, harmless); a row never names a missing file.
    assert store.has(hashlib.sha256(b"bytes").hexdigest())


async def test_remove_takes_only_the_owners_own_file(
    conn: aiosqlite.Connection, tmp_path: Path
) -> None:
    store = FileStore(tmp_path / "files")
    mine = await attach(
        conn, store, Owner("draft", 1), incoming("a.pdf"), b"a", added_by=1, total_mb=50
    )
    theirs = await attach(
        conn, store, Owner("draft", 2), incoming("b.pdf"), b"b", added_by=2, total_mb=50
    )
    assert await evidence.remove(conn, Owner("draft", 1), theirs.item.id) is None
    removed = await evidence.remove(conn, Owner("draft", 1), mine.item.id)
    assert removed is not None
    assert removed.name == "a.pdf"
    assert await evidence.listing(conn, Owner("draft", 1)) == []
    assert len(await evidence.listing(conn, Owner("draft", 2))) == 1


async def test_move_appends_in_order_inside_the_callers_transaction(
    conn: aiosqlite.Connection, tmp_path: Path
) -> None:
    store = FileStore(tmp_path / "files")
    for n, owner in (
        (1, Owner("answer", 7)),
        (2, Owner("answer_draft", 5)),
        (3, Owner("answer_draft", 5)),
    ):
        await attach(conn, store, owner, incoming(f"{n}.pdf"), bytes([n]), added_by=5, total_mb=50)
    async with transaction(conn):
        moved = await rows.move(conn, "answer_draft", 5, "answer", 7)
    assert moved == 2
    listed = await evidence.listing(conn, Owner("answer", 7))
    assert [(item.position, item.name) for item in listed] == [
        (1, "1.pdf"),
        (2, "2.pdf"),
        (3, "3.pdf"),
    ]
    assert await evidence.listing(conn, Owner("answer_draft", 5)) == []
    # Rolled back with the caller's transaction.
    with pytest.raises(RuntimeError, match="rolled back"):
        await _move_and_fail(conn)
    assert len(await evidence.listing(conn, Owner("answer", 7))) == 3


async def one(conn: aiosqlite.Connection, sql: str, *params: object) -> int:
    async with conn.execute(sql, params) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def _move_and_fail(conn: aiosqlite.Connection) -> None:
    async with transaction(conn):
        await rows.move(conn, "answer", 7, "answer", 8)
        raise RuntimeError("rolled back")


async def _draft_with_file(conn: aiosqlite.Connection, tmp_path: Path) -> Draft:
    unit = await one(conn, "SELECT id FROM unit WHERE name = '市水务局'")
    task = next(t for t in await reporting.tasks(conn, unit, "2023Q4") if t.number == 90)
    draft = await reporting.begin(
        conn, telegram_id=LIAISON, chat_id=LIAISON, unit_id=unit, task=task, period="2023Q4"
    )
    draft = draft.but(progress="完成投资21.5亿元", status="on_track", step="preview")
    await reporting.store(conn, draft)
    await attach(
        conn,
        FileStore(tmp_path / "files"),
        Owner("draft", LIAISON),
        incoming("验收.pdf"),
        b"pdf",
        added_by=LIAISON,
        total_mb=50,
    )
    return draft


async def test_confirm_moves_the_drafts_files_to_the_revision_in_its_transaction(
    conn: aiosqlite.Connection, tmp_path: Path
) -> None:
    # Without evidence the export keeps the plan's own columns.
    assert "佐证材料" not in (await export.overview(conn, "2023Q4")).headers
    draft = await _draft_with_file(conn, tmp_path)
    # A refused submission (another unit's key) leaves the files with the draft.
    with pytest.raises(UpdateRefused):
        await reporting.submit(
            conn,
            draft.key,
            telegram_id=LIAISON,
            unit_id=draft.unit_id + 1,
            today=TODAY,
            days=5,
            review_required=False,
        )
    assert len(await evidence.listing(conn, Owner("draft", LIAISON))) == 1
    receipt = await reporting.submit(
        conn,
        draft.key,
        telegram_id=LIAISON,
        unit_id=draft.unit_id,
        today=TODAY,
        days=5,
        review_required=False,
    )
    assert [item.name for item in receipt.files] == ["验收.pdf"]
    report_id = await one(conn, "SELECT id FROM report WHERE draft_key = ?", draft.key)
    assert [item.name for item in await evidence.listing(conn, Owner("report", report_id))] == [
        "验收.pdf"
    ]
    assert await evidence.listing(conn, Owner("draft", LIAISON)) == []
    # A second tap returns the same receipt with the same files.
    repeated = await reporting.submit(
        conn,
        draft.key,
        telegram_id=LIAISON,
        unit_id=draft.unit_id,
        today=TODAY,
        days=5,
        review_required=False,
    )
    assert repeated.repeated
    assert [item.name for item in repeated.files] == ["验收.pdf"]
    # The details count the target's current evidence; the export names it.
    target = await one(conn, "SELECT id FROM target WHERE number = 90")
    assert await evidence.target_files(conn, target) == [(report_id, 1)]
    assert await evidence.target_json(conn, target) == [
        {"name": "验收.pdf", "size": 3, "kind": "document", "mime": "application/pdf"}
    ]
    table = await export.overview(conn, "2023Q4")
    column = table.headers.index("佐证材料")
    cells = {row.cells[0]: row.cells[column] for row in table.rows}
    assert cells["90"] == "1 份：验收.pdf"
    assert cells["93"] == ""
