"""Open the SQLite database with the settings every connection needs."""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO
from weakref import WeakKeyDictionary

import aiosqlite

from storage.migrations import migrate

CORRUPTION = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def is_corrupt(error: BaseException) -> bool:
    """Return True if `error` says the database file is damaged (not merely busy or missing)."""
    if not isinstance(error, sqlite3.DatabaseError):
        return False
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in CORRUPTION


async def check_integrity(conn: aiosqlite.Connection) -> None:
    """Read every page once (PRAGMA quick_check); raise sqlite3.DatabaseError if one is damaged."""
    async with conn.execute("PRAGMA quick_check") as cursor:
        rows = [str(row[0]) for row in await cursor.fetchall()]
    if rows != ["ok"]:
        error = sqlite3.DatabaseError("; ".join(rows[:3]))
        error.sqlite_errorcode = sqlite3.SQLITE_CORRUPT
        raise error


class DatabaseInUse(Exception):
    """Another process holds the database's run lock; `pid` is what it wrote there."""

    def __init__(self, pid: str) -> None:
        super().__init__(pid)
        self.pid = pid


def lock_for_running(path: Path) -> IO[str] | None:
    """Take the lock that lets one bot at a time run on the database at `path`; keep it open.

    An flock on `<database>.lock`: the kernel drops it when the process ends in any way (exit,
    crash, kill -9), so it never goes stale. Raise DatabaseInUse when another process holds it.
    """
    if str(path) == ":memory:":
        return None
    lock_path = Path(f"{path}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    handle = lock_path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip()
        handle.close()
        raise DatabaseInUse(holder) from None
    handle.truncate(0)
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


async def connect(path: Path | str) -> aiosqlite.Connection:
    """Open (creating if needed) and migrate the database at `path`."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: no implicit transactions; `transaction()` says where they are.
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA busy_timeout = 5000")
        await conn.execute(f"PRAGMA synchronous = {DURABLE}")  # see `transaction`
        _synchronous[conn] = DURABLE
        await migrate(conn)
    except BaseException:
        await conn.close()
        raise
    return conn


async def open_reader(path: Path | str) -> aiosqlite.Connection:
    """Open a connection that only reads, beside the one that writes (same database file)."""
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA busy_timeout = 5000")
        await conn.execute("PRAGMA query_only = ON")
    except BaseException:
        await conn.close()
        raise
    return conn


@asynccontextmanager
async def read_snapshot(conn: aiosqlite.Connection) -> AsyncIterator[aiosqlite.Connection]:
    """Read the block in one snapshot: the database as at one moment (a reader's own connection,
    never one that `transaction()` writes through)."""
    await conn.execute("BEGIN")
    try:
        yield conn
    finally:
        await conn.execute("COMMIT")


# One transaction at a time per connection: the job queue's pushes run beside the handlers on
# the same connection, and SQLite has no nested transactions. A task already inside a
# transaction joins it.
_locks: WeakKeyDictionary[aiosqlite.Connection, asyncio.Lock] = WeakKeyDictionary()
_owners: WeakKeyDictionary[aiosqlite.Connection, asyncio.Task[object]] = WeakKeyDictionary()

# Durability (the promise: a crash at any moment loses nothing the user was told is saved).
# Under WAL, synchronous=FULL syncs the WAL file at every commit: the commit survives an
# application crash, an OS crash and a power cut. NORMAL syncs only at checkpoints: it never
# corrupts the database and loses nothing when the process dies (kill -9: the WAL is in the
# OS's cache), but an OS crash or a power cut may take the last commits with it. So a
# connection stays FULL, and every transaction is durable unless it says otherwise: only
# writes nobody was told about (last-seen times, a question kept for its page buttons) run
# with NORMAL and skip the fsync. The setting is per connection and may not change inside a
# transaction, so it is set before BEGIN, and only when it differs from the one in force (a
# run of questions switches once). A later FULL commit syncs the whole WAL, and with it any
# NORMAL commit before it. Every write goes through `transaction`: a write in autocommit
# mode after a NORMAL transaction would not be synced.
DURABLE, LIGHT = "FULL", "NORMAL"
_synchronous: WeakKeyDictionary[aiosqlite.Connection, str] = WeakKeyDictionary()


@asynccontextmanager
async def transaction(
    conn: aiosqlite.Connection, *, durable: bool = True
) -> AsyncIterator[aiosqlite.Connection]:
    """Run the block in one write transaction: commit on success, roll back on any error.

    `durable=False`: the commit is not synced to disk (see above), for writes the user was
    never told are saved. Joining a transaction keeps its durability.
    """
    task = asyncio.current_task()
    if task is not None and _owners.get(conn) is task:
        yield conn  # already in this task's transaction
        return
    lock = _locks.setdefault(conn, asyncio.Lock())
    async with lock:
        if task is not None:
            _owners[conn] = task
        try:
            wanted = DURABLE if durable else LIGHT
            if _synchronous.get(conn) != wanted:  # None: not known (being changed, or never set)
                _synchronous.pop(conn, None)
                await conn.execute(f"PRAGMA synchronous = {wanted}")
                _synchronous[conn] = wanted
            await _begin(conn)
            try:
                yield conn
            except BaseException:
                await conn.rollback()
                raise
            await conn.commit()
        finally:
            _owners.pop(conn, None)


def in_own_transaction(conn: aiosqlite.Connection) -> bool:
    """Tell whether the running task is inside its own transaction on the connection."""
    task = asyncio.current_task()
    return task is not None and _owners.get(conn) is task


@asynccontextmanager
async def settled(conn: aiosqlite.Connection) -> AsyncIterator[aiosqlite.Connection]:
    """Run the block's reads when no other task's transaction is open on the connection.

    Reads on a connection share its open transaction: without this, a task could read what
    another task has written but not yet committed (and may still roll back). A task inside its
    own transaction reads its own writes.
    """
    task = asyncio.current_task()
    if task is not None and _owners.get(conn) is task:
        yield conn
        return
    async with _locks.setdefault(conn, asyncio.Lock()):
        yield conn


BEGIN_WAIT = 5.0  # seconds a write waits to begin at most: the busy timeout's


async def _begin(conn: aiosqlite.Connection) -> None:
    """Begin a write transaction, waiting while another task's open read is behind.

    Handlers run side by side on one connection: a cursor another task has open reads an older
    snapshot when another connection (PTB's persistence) has written since, and SQLite then
    refuses to begin writing at once (SQLITE_BUSY_SNAPSHOT), without the busy timeout. That
    read ends in a moment: try again.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + BEGIN_WAIT
    while True:
        try:
            await conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            code = getattr(error, "sqlite_errorcode", None)
            if code is None or code & 0xFF != sqlite3.SQLITE_BUSY or loop.time() > deadline:
                raise
            await asyncio.sleep(0.005)
