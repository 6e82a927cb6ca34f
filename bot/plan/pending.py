"""Imports waiting for an admin's confirmation: the file kept on disk, named by a random key.

Held in memory only (no migration): after a restart the keys are gone and a preview's buttons
say it expired, so the admin sends the file again. Each admin has at most one import waiting
(a new file replaces the previous one) and the process at most MAX_PENDING, so the files kept
are bounded; they live in one temporary folder removed when the bot stops.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path

MAX_PENDING = 20  # imports waiting at once, over all admins
REMEMBERED = 200  # finished keys remembered, so a late second press is told what happened
MAX_NAME_CHARS = 120
KEY_BYTES = 12  # 96 random bits: 16 URL-safe characters in a button's data

# What became of an import no longer waiting.
IMPORTED = "imported"
CANCELLED = "cancelled"
REPLACED = "replaced"
FAILED = "failed"


@dataclass(frozen=True)
class PendingImport:
    """A file an admin sent, kept until they confirm or cancel its import."""

    key: str
    owner: int  # the Telegram id of the admin who sent it: only they can confirm it
    path: Path
    columns: tuple[tuple[str, str], ...] = ()  # a by-hand mapping role → header, if any

    @property
    def file(self) -> str:
        """Return the file's name as the admin sent it (made safe for a path)."""
        return self.path.name


def safe_name(name: str) -> str:
    """Return a sent file's name fit to be one path component, its suffix kept."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].replace("\x00", "").strip()
    if base in ("", ".", ".."):
        base = "table"
    if len(base) > MAX_NAME_CHARS:
        suffix = Path(base).suffix[:10]
        base = base[: MAX_NAME_CHARS - len(suffix)] + suffix
    return base


class PendingImports:
    """The imports waiting for confirmation, and what became of recent ones."""

    def __init__(self) -> None:
        self._root: Path | None = None
        self._waiting: OrderedDict[str, PendingImport] = OrderedDict()
        self._finished: OrderedDict[str, str] = OrderedDict()

    def reserve(self, owner: int, file_name: str) -> PendingImport:
        """Return a new pending import of `owner` (its path to download to), replacing theirs."""
        for key, pending in list(self._waiting.items()):
            if pending.owner == owner:
                self.finish(key, REPLACED)
        while len(self._waiting) >= MAX_PENDING:
            self.finish(next(iter(self._waiting)), REPLACED)
        key = secrets.token_urlsafe(KEY_BYTES)
        folder = self._folder() / key
        folder.mkdir()
        pending = PendingImport(key, owner, folder / safe_name(file_name))
        self._waiting[key] = pending
        return pending

    def get(self, key: str | None, owner: int) -> PendingImport | None:
        """Return the import waiting under `key` if `owner` sent it, else None."""
        pending = self._waiting.get(key) if key is not None else None
        return pending if pending is not None and pending.owner == owner else None

    def remap(self, key: str | None, owner: int, role: str, header: str) -> PendingImport | None:
        """Take the column `header` as `role` by hand (replacing what either had); None if gone."""
        pending = self.get(key, owner)
        if pending is None:
            return None
        kept = tuple((r, h) for r, h in pending.columns if r != role and h != header)
        changed = replace(pending, columns=(*kept, (role, header)))
        self._waiting[pending.key] = changed
        return changed

    def claim(self, key: str | None, owner: int) -> PendingImport | None:
        """Take the import waiting under `key` out of waiting (a second claim gets None)."""
        pending = self.get(key, owner)
        if pending is not None:
            del self._waiting[pending.key]
        return pending

    def finish(self, key: str, outcome: str) -> None:
        """Record what became of an import and delete its file."""
        self._waiting.pop(key, None)
        self._finished[key] = outcome
        while len(self._finished) > REMEMBERED:
            self._finished.popitem(last=False)
        if self._root is not None:
            shutil.rmtree(self._root / key, ignore_errors=True)

    def outcome(self, key: str | None) -> str | None:
        """Return what became of a finished import, or None (unknown: expired or forged)."""
        return self._finished.get(key) if key is not None else None

    def clear(self) -> None:
        """Forget every waiting import and delete the folder of files (the bot stops)."""
        self._waiting.clear()
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    def _folder(self) -> Path:
        if self._root is None or not self._root.is_dir():
            self._root = Path(tempfile.mkdtemp(prefix="targetbot-imports-"))
        return self._root
