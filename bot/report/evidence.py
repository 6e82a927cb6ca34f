"""佐证材料 (evidence): the rules for files sent with a report or an answer, and where they live.

No Telegram here. The flow that takes a file (handlers/evidence.py) calls, in this order:

1. `precheck(conn, owner, incoming, total_mb)` before downloading: the kind, the count, the size
   Telegram declared, the total; a file already attached (same `file_unique_id`) comes back as
   `Attached(duplicate=True)`. A refusal raises `EvidenceRefused(key, **values)`: one line for
   the user (which file, what is wrong, the limit), and nothing changes.
2. `attach(conn, store, owner, incoming, data, added_by=…, total_mb=…)` with the bytes
   downloaded: the same rules on the real size, a duplicate by content (sha256), then the bytes
   are written to the content-addressed `FileStore` (temporary file, fsync, rename, fsync of the
   folder) and only then the row is committed — so by the time the user is told "已收到", both
   the bytes and the row are on disk, and a kill -9 at any moment loses nothing the user was told.

An owner is `Owner(kind, id)` with kind `draft` (a /report draft: id = the drafter's Telegram
id), `report` (a revision: report.id), `answer_draft` (an answer being written: its draft's
id, never reused) or `answer` (a stored answer: its id). Other flows keep evidence the same way:
take files into their draft owner, then `storage.evidence.move(conn, draft_kind, draft_id,
kind, id)` in the very transaction that stores their row; `listing(conn, owner)` and
`remove(conn, owner, evidence_id)` serve their previews; when a draft is thrown away (or a new
one begun), `storage.evidence.drop(conn, draft_kind, draft_id)` in that transaction forgets its
rows (the bytes stay: content-addressed, maybe named by other rows or backups).

With /report (bot/report/service.py): `begin` starts a revision's draft with copies of the
previous revision's rows (what is not removed is carried on), `discard` drops the draft's,
`submit` moves them to the new report row in the transaction that stores it.

Where the bytes are: `FileStore.beside(database_path)` is `<database folder>/files`, each file at
`files/<sha[:2]>/<sha>`; backups carry the folder (bot/backup.py).

Rules (pure functions below): at most MAX_FILES (9) per owner; each file at most
MAX_FILE_BYTES (20 MB, what the Bot API lets a bot download); all files of one owner at most
EVIDENCE_MAX_MB (a setting, default 50); photos, and documents of the kinds in DOCUMENT_KINDS
(office files incl. WPS and OFD, PDF, text, images, zip/rar archives) — no videos or programs.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path, PurePath

import aiosqlite

from bot import clock
from bot.people.accounts import Account
from bot.query.service import may_see
from storage import evidence as rows
from storage import targets as plans
from storage.db import transaction
from storage.evidence import Evidence, NewEvidence

__all__ = [
    "DOCUMENT_KINDS",
    "MAX_FILES",
    "MAX_FILE_BYTES",
    "Attached",
    "Evidence",
    "EvidenceRefused",
    "FileStore",
    "Incoming",
    "Owner",
    "attach",
    "check",
    "current_files",
    "listing",
    "photo_name",
    "precheck",
    "remove",
    "report_files",
    "shortened",
    "size_words",
    "target_files",
]

MAX_FILES = 9
MAX_FILE_BYTES = 20 * 1024 * 1024  # the Bot API's getFile limit
MB = 1024 * 1024
MAX_CAPTION_NAME = 40  # characters of a photo's caption kept as its name

# Documents taken, by the name's extension → the type stored when Telegram tells none.
DOCUMENT_KINDS: dict[str, str] = {
    "pdf": "application/pdf",
    "ofd": "application/ofd",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "wps": "application/vnd.ms-works",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "et": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "dps": "application/vnd.ms-powerpoint",
    "txt": "text/plain",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "heic": "image/heic",
    "zip": "application/zip",
    "rar": "application/vnd.rar",
}


class EvidenceRefused(Exception):
    """A file is not taken; `key` and `values` render the one line that says why."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key, values)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class Owner:
    """Whose files: a draft, a report revision, an answer or an answer's draft."""

    kind: str
    id: int


@dataclass(frozen=True)
class Incoming:
    """A file as Telegram describes it in a message, before its bytes are read."""

    file_id: str
    file_unique_id: str
    name: str
    kind: str  # photo or document
    mime: str
    size: int | None  # declared by Telegram; None when it did not say


@dataclass(frozen=True)
class Attached:
    """A file taken (or found attached already): its row and how many the owner has now."""

    item: Evidence
    count: int
    duplicate: bool = False


def size_words(size: int) -> str:
    """Return a size as people read it: 0.3 MB, 1.2 MB, 12 KB."""
    if size < 100 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / MB:.1f} MB"


def shortened(name: str, limit: int = 24) -> str:
    """Return a file name cut to fit on a button, keeping its extension."""
    if len(name) <= limit:
        return name
    suffix = PurePath(name).suffix[:8]
    return name[: limit - len(suffix) - 1] + "…" + suffix


def photo_name(caption: str | None, fallback: str) -> str:
    """Return a photo's name: its caption (`现场照片` → `现场照片.jpg`), else `fallback`."""
    words = " ".join((caption or "").split())[:MAX_CAPTION_NAME].strip()
    cleaned = "".join(c for c in words if c not in '/\\:*?"<>|')
    return f"{cleaned}.jpg" if cleaned else fallback


def extension(name: str) -> str:
    """Return a file name's extension, lower case, without the dot."""
    return PurePath(name).suffix.lower().lstrip(".")


def accepted(incoming: Incoming) -> bool:
    """Tell whether the file's kind is one evidence may be: a photo, or a listed document."""
    return incoming.kind == "photo" or extension(incoming.name) in DOCUMENT_KINDS


def mime_of(incoming: Incoming) -> str:
    """Return the file's type: Telegram's, else the one its extension names."""
    if incoming.mime:
        return incoming.mime
    if incoming.kind == "photo":
        return "image/jpeg"
    return DOCUMENT_KINDS.get(extension(incoming.name), "application/octet-stream")


def check(incoming: Incoming, size: int | None, existing: list[Evidence], total_mb: int) -> None:
    """Refuse a file that breaks a rule: its kind, the count, its size, the owner's total."""
    name = incoming.name
    if not accepted(incoming):
        raise EvidenceRefused(
            "evidence.bad_kind", file=name, kinds=", ".join(sorted(set(DOCUMENT_KINDS)))
        )
    if len(existing) >= MAX_FILES:
        raise EvidenceRefused("evidence.too_many", file=name, limit=MAX_FILES)
    if size is None:
        return
    if size > MAX_FILE_BYTES:
        raise EvidenceRefused(
            "evidence.too_big", file=name, size=size_words(size), limit=MAX_FILE_BYTES // MB
        )
    total = sum(item.size for item in existing) + size
    if total > total_mb * MB:
        raise EvidenceRefused(
            "evidence.total_too_big", file=name, size=size_words(size), limit=total_mb
        )


def _same(existing: list[Evidence], *, unique_id: str = "", sha: str = "") -> Evidence | None:
    return next(
        (
            item
            for item in existing
            if (unique_id and item.file_unique_id == unique_id) or (sha and item.sha256 == sha)
        ),
        None,
    )


async def listing(conn: aiosqlite.Connection, owner: Owner) -> list[Evidence]:
    """Return an owner's files in the order they were sent."""
    return await rows.list_for(conn, owner.kind, owner.id)


async def precheck(
    conn: aiosqlite.Connection, owner: Owner, incoming: Incoming, total_mb: int
) -> Attached | None:
    """Check a file before it is downloaded; return it if attached already, else None."""
    existing = await listing(conn, owner)
    same = _same(existing, unique_id=incoming.file_unique_id)
    if same is not None:
        return Attached(same, len(existing), duplicate=True)
    check(incoming, incoming.size, existing, total_mb)
    return None


async def attach(
    conn: aiosqlite.Connection,
    store: FileStore,
    owner: Owner,
    incoming: Incoming,
    data: bytes,
    *,
    added_by: int,
    total_mb: int,
) -> Attached:
    """Keep a downloaded file with an owner: the bytes on disk first, then its row, one commit."""
    sha = hashlib.sha256(data).hexdigest()
    async with transaction(conn):
        existing = await listing(conn, owner)
        same = _same(existing, unique_id=incoming.file_unique_id, sha=sha)
        if same is not None:
            return Attached(same, len(existing), duplicate=True)
        check(incoming, len(data), existing, total_mb)
        await store.keep(data, sha)  # durable before the row that names it is committed
        item = await rows.add(
            conn,
            owner.kind,
            owner.id,
            NewEvidence(
                sha256=sha,
                file_id=incoming.file_id,
                file_unique_id=incoming.file_unique_id,
                name=incoming.name,
                kind=incoming.kind,
                mime=mime_of(incoming),
                size=len(data),
                added_by=added_by,
                added_at=clock.stamp(),
            ),
        )
    return Attached(item, len(existing) + 1)


async def remove(conn: aiosqlite.Connection, owner: Owner, evidence_id: int) -> Evidence | None:
    """Take one file off an owner's list; return it, or None when it is not the owner's."""
    async with transaction(conn):
        item = await rows.by_id(conn, evidence_id)
        if item is None or (item.owner_kind, item.owner_id) != (owner.kind, owner.id):
            return None
        await rows.drop(conn, owner.kind, owner.id, evidence_id)
    return item


# ---------------------------------------------------------------------------- who may see


async def report_files(
    conn: aiosqlite.Connection, account: Account, report_id: int
) -> list[Evidence] | None:
    """Return a report revision's files, or None when the account may not see its target."""
    target_id = await rows.target_of_report(conn, report_id)
    target = await plans.target_by_id(conn, target_id) if target_id is not None else None
    if target is None or not may_see(account, target):
        return None
    return await rows.list_for(conn, "report", report_id)


async def target_files(conn: aiosqlite.Connection, target_id: int) -> list[tuple[int, int]]:
    """Return (report id, file count) of the target's current revisions that carry evidence."""
    return await rows.current_with_files(conn, target_id)


async def current_files(conn: aiosqlite.Connection, target_id: int) -> list[Evidence]:
    """Return the files of a target's current revisions, revision by revision, in order."""
    found: list[Evidence] = []
    for report_id, _ in await rows.current_with_files(conn, target_id):
        found += await rows.list_for(conn, "report", report_id)
    return found


async def target_json(conn: aiosqlite.Connection, target_id: int) -> list[dict[str, object]]:
    """Return a target's current evidence in the JSON outputs' shape: name, size, kind."""
    return [
        {"name": item.name, "size": item.size, "kind": item.kind, "mime": item.mime}
        for item in await current_files(conn, target_id)
    ]


# ---------------------------------------------------------------------------- the bytes


class FileStore:
    """The content-addressed folder of evidence: `<root>/<sha[:2]>/<sha>`, written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def beside(cls, database: Path) -> FileStore:
        """Return the store next to a database: `<database folder>/files`."""
        return cls(database.parent / "files")

    def path_of(self, sha: str) -> Path:
        """Return where the file with this sha256 is (or would be)."""
        return self.root / sha[:2] / sha

    def has(self, sha: str) -> bool:
        """Tell whether the file is kept."""
        return self.path_of(sha).is_file()

    async def keep(self, data: bytes, sha: str) -> Path:
        """Write the bytes durably under their hash (nothing to do when kept already)."""
        return await asyncio.to_thread(self.keep_now, data, sha)

    def keep_now(self, data: bytes, sha: str) -> Path:
        """Write the bytes: a temporary file, fsync, rename, fsync of the folder."""
        target = self.path_of(sha)
        if target.is_file() and target.stat().st_size == len(data):
            return target
        new_root = not self.root.is_dir()
        created = not target.parent.is_dir()
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{sha}.{os.getpid()}.tmp")
        try:
            with temporary.open("wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        sync_folder(target.parent)
        if created:
            sync_folder(self.root)
        if new_root:
            sync_folder(self.root.parent)
        return target

    async def read(self, sha: str) -> bytes | None:
        """Return the kept bytes, or None when the file is missing."""
        path = self.path_of(sha)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None


def sync_folder(folder: Path) -> None:
    """Make the names in `folder` durable (fsync of the directory)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
