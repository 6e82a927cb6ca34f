"""Repository of people: Telegram users with their role and binding, invitations, bot facts."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

ROLES = ("admin", "leader", "liaison")


@dataclass(frozen=True)
class User:
    """A Telegram user the bot has seen or been told about, with what they are bound to."""

    telegram_id: int
    role: str | None
    unit_id: int | None
    unit: str | None
    leader_id: int | None
    leader: str | None
    name: str
    username: str | None
    language: str | None
    active: bool
    created_at: str
    last_seen_at: str | None
    bound_at: str | None = None  # when they got their current role (None: before this was kept)


@dataclass(frozen=True)
class Invite:
    """A single-use invitation, known only by the hash of its code."""

    id: int
    role: str
    unit_id: int | None
    leader_id: int | None
    created_by: str
    created_at: str
    expires_at: str
    used_by: int | None
    used_at: str | None


_USER_SELECT = """
    SELECT u.*, un.name AS unit, l.name AS leader
    FROM user u LEFT JOIN unit un ON un.id = u.unit_id LEFT JOIN leader l ON l.id = u.leader_id
"""


def _user(row: aiosqlite.Row) -> User:
    return User(
        telegram_id=row["telegram_id"],
        role=row["role"],
        unit_id=row["unit_id"],
        unit=row["unit"],
        leader_id=row["leader_id"],
        leader=row["leader"],
        name=row["name"],
        username=row["username"],
        language=row["language"],
        active=bool(row["active"]),
        created_at=row["created_at"],
        last_seen_at=row["last_seen_at"],
        bound_at=row["bound_at"],
    )


async def get_user(conn: aiosqlite.Connection, telegram_id: int) -> User | None:
    """Return the user with this Telegram id, if known (one round trip: every update asks)."""
    rows = await conn.execute_fetchall(f"{_USER_SELECT} WHERE u.telegram_id = ?", (telegram_id,))
    return next((_user(row) for row in rows), None)


async def list_users(conn: aiosqlite.Connection, *, bound_only: bool = True) -> list[User]:
    """Return users by role (admins first), then name; only those with a role unless told."""
    where = "WHERE u.role IS NOT NULL" if bound_only else ""
    order = "CASE u.role WHEN 'admin' THEN 0 WHEN 'leader' THEN 1 ELSE 2 END, u.name, u.telegram_id"
    async with conn.execute(f"{_USER_SELECT} {where} ORDER BY {order}") as cursor:
        return [_user(row) for row in await cursor.fetchall()]


async def seen(
    conn: aiosqlite.Connection, telegram_id: int, name: str, username: str | None, at: str
) -> None:
    """Record that a user wrote to the bot: they exist, are reachable, and were seen now."""
    await conn.execute(
        """
        INSERT INTO user (telegram_id, name, username, created_at, last_seen_at)
        VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (telegram_id) DO UPDATE SET
            name = CASE WHEN excluded.name != '' THEN excluded.name ELSE user.name END,
            username = excluded.username, last_seen_at = excluded.last_seen_at, active = 1
        """,
        (telegram_id, name, username, at, at),
    )


async def seen_at(conn: aiosqlite.Connection, times: list[tuple[int, str]]) -> None:
    """Record when known users were last seen: (Telegram id, time) pairs, in one statement."""
    await conn.executemany(
        "UPDATE user SET last_seen_at = ? WHERE telegram_id = ?",
        [(at, telegram_id) for telegram_id, at in times],
    )


async def bind(
    conn: aiosqlite.Connection,
    telegram_id: int,
    role: str,
    *,
    unit_id: int | None,
    leader_id: int | None,
    at: str,
    name: str | None = None,
) -> None:
    """Give a user a role and its binding, creating the user if needed."""
    await conn.execute(
        """
        INSERT INTO user (telegram_id, role, unit_id, leader_id, name, created_at, bound_at)
        VALUES (?, ?, ?, ?, COALESCE(?, ''), ?, ?)
        ON CONFLICT (telegram_id) DO UPDATE SET
            role = excluded.role, unit_id = excluded.unit_id, leader_id = excluded.leader_id,
            name = COALESCE(?, user.name), bound_at = excluded.bound_at
        """,
        (telegram_id, role, unit_id, leader_id, name, at, at, name),
    )


async def unbind(conn: aiosqlite.Connection, telegram_id: int) -> None:
    """Take a user's role and binding away; they become a stranger."""
    await conn.execute(
        "UPDATE user SET role = NULL, unit_id = NULL, leader_id = NULL WHERE telegram_id = ?",
        (telegram_id,),
    )


async def set_language(conn: aiosqlite.Connection, telegram_id: int, language: str) -> None:
    """Remember the language a user chose."""
    await conn.execute(
        "UPDATE user SET language = ? WHERE telegram_id = ?", (language, telegram_id)
    )


async def set_active(conn: aiosqlite.Connection, telegram_id: int, active: bool) -> None:
    """Mark a user reachable or not (a user who blocked the bot is inactive)."""
    await conn.execute(
        "UPDATE user SET active = ? WHERE telegram_id = ?", (int(active), telegram_id)
    )


async def create_invite(
    conn: aiosqlite.Connection,
    code_hash: str,
    role: str,
    *,
    unit_id: int | None,
    leader_id: int | None,
    created_by: str,
    at: str,
    expires_at: str,
) -> int:
    """Store an invitation by its code's hash; return its id."""
    async with conn.execute(
        """
        INSERT INTO invite (code_hash, role, unit_id, leader_id, created_by, created_at, expires_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        """,
        (code_hash, role, unit_id, leader_id, created_by, at, expires_at),
    ) as cursor:
        assert cursor.lastrowid is not None
        return cursor.lastrowid


async def invite_by_hash(conn: aiosqlite.Connection, code_hash: str) -> Invite | None:
    """Return the invitation whose code has this hash, if any."""
    async with conn.execute("SELECT * FROM invite WHERE code_hash = ?", (code_hash,)) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    return Invite(
        id=row["id"],
        role=row["role"],
        unit_id=row["unit_id"],
        leader_id=row["leader_id"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        used_by=row["used_by"],
        used_at=row["used_at"],
    )


async def use_invite(conn: aiosqlite.Connection, invite_id: int, telegram_id: int, at: str) -> bool:
    """Mark an invitation used by this user; False if someone used it first."""
    async with conn.execute(
        "UPDATE invite SET used_by = ?, used_at = ? WHERE id = ? AND used_at IS NULL",
        (telegram_id, at, invite_id),
    ) as cursor:
        return cursor.rowcount == 1


async def get_meta(conn: aiosqlite.Connection, key: str) -> str | None:
    """Return a stored fact about the bot, such as its username."""
    async with conn.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row else None


async def set_meta(conn: aiosqlite.Connection, key: str, value: str) -> None:
    """Store a fact about the bot."""
    await conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
