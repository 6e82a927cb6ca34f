"""Who may do what: roles, bindings to a unit or leader, invitations, revocations, rosters."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import aiosqlite

from bot import clock
from bot.i18n import LANGUAGES
from bot.people.visits import Visits, needs_writing, stale
from bot.plan.names import normalise_name
from bot.plan.tables import Row, TableError, read_sheets
from bot.query.matching import match_names
from bot.settings import Settings
from storage import audit, search, targets, users
from storage.db import transaction
from storage.targets import Named

# admin ⊃ leader ⊃ liaison ⊃ stranger (no role).
ROLE_RANK: dict[str | None, int] = {None: 0, "liaison": 1, "leader": 2, "admin": 3}
ROLE_WORDS = {
    "admin": "admin",
    "管理员": "admin",
    "leader": "leader",
    "领导": "leader",
    "市政府领导": "leader",
    "liaison": "liaison",
    "联络员": "liaison",
}
CODE_BYTES = 16  # 128 bits


@dataclass(frozen=True)
class Account:
    """A user as the bot treats them right now: role, binding and language."""

    telegram_id: int
    role: str | None
    unit_id: int | None
    unit: str | None
    leader_id: int | None
    leader: str | None
    language: str
    name: str = ""

    def has(self, role: str | None) -> bool:
        """Tell whether this account holds `role` or one above it."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


@dataclass(frozen=True)
class Redemption:
    """What opening an invitation did: `bound`, or why not (`used`, `expired`, `unknown`,
    `admin_keeps`: an admin opened an invitation to a lesser role, which stays unused).

    `replace`: the user holds another role or binding; nothing changed until they confirm
    (`account` is who they are now, `offered` the role and binding the invitation gives).
    """

    status: str
    account: Account | None = None
    previous_role: str | None = None
    fresh: bool = False  # bound just now (not the same link opened again)
    previous: Account | None = None  # who they were before, when they held a role
    offered: tuple[str, str | None] = ("", None)  # (role, unit or leader name)


@dataclass(frozen=True)
class Match:
    """What a name given to an admin's command means: the candidates, and whether it is exact."""

    found: list[Named]
    exact: bool


def hash_code(code: str) -> str:
    """Return the stored form of an invitation code."""
    return hashlib.sha256(code.encode()).hexdigest()


def pick_language(chosen: str | None, telegram_language: str | None, default: str) -> str:
    """Return the user's chosen language, else their Telegram app's, else the default."""
    if chosen in LANGUAGES:
        return chosen
    base = (telegram_language or "").split("-")[0].lower()
    return base if base in LANGUAGES else default


def _account(
    user: users.User | None, settings: Settings, telegram_id: int, tg_lang: str | None
) -> Account:
    role = "admin" if telegram_id in settings.admin_ids else (user.role if user else None)
    language = pick_language(user.language if user else None, tg_lang, settings.default_language)
    if user is None:
        return Account(telegram_id, role, None, None, None, None, language)
    return Account(
        telegram_id,
        role,
        user.unit_id if role == "liaison" else None,
        user.unit if role == "liaison" else None,
        user.leader_id if role == "leader" else None,
        user.leader if role == "leader" else None,
        language,
        user.name,
    )


async def load_account(
    conn: aiosqlite.Connection, settings: Settings, telegram_id: int, telegram_language: str | None
) -> Account:
    """Return a user's account as stored now (every check reads it afresh)."""
    return _account(
        await users.get_user(conn, telegram_id), settings, telegram_id, telegram_language
    )


async def language_of(conn: aiosqlite.Connection, settings: Settings, telegram_id: int) -> str:
    """Return the language to write to someone in: theirs if chosen, else the default."""
    return (await load_account(conn, settings, telegram_id, None)).language


async def visit(
    conn: aiosqlite.Connection,
    settings: Settings,
    telegram_id: int,
    *,
    name: str,
    username: str | None,
    telegram_language: str | None,
    visits: Visits,
) -> Account:
    """Record that a user wrote to the bot just now, and return their account as stored now.

    Usually one read: the time alone is noted in `visits` and stored later with others
    (bot/people/visits.py). A new user, one back after blocking the bot, or a changed name or
    username is written at once (pushes and admins' look-ups rely on it).
    """
    now = clock.now()
    user = await users.get_user(conn, telegram_id)
    if needs_writing(user, name, username):
        visits.forget(telegram_id)
        async with transaction(conn):
            await users.seen(conn, telegram_id, name, username, clock.stamp(now))
        user = await users.get_user(conn, telegram_id)
    elif user is not None and stale(user, now):
        visits.note(telegram_id, clock.stamp(now))
    return _account(user, settings, telegram_id, telegram_language)


async def ensure_admins(conn: aiosqlite.Connection, settings: Settings) -> None:
    """Make every ADMIN_IDS user an admin in the store, so lists and pushes know them."""
    async with transaction(conn):
        for telegram_id in sorted(settings.admin_ids):
            user = await users.get_user(conn, telegram_id)
            if user is not None and user.role == "admin":
                continue
            now = clock.stamp()
            await users.bind(conn, telegram_id, "admin", unit_id=None, leader_id=None, at=now)
            await audit.record(
                conn,
                actor="ADMIN_IDS",
                action="role_change",
                subject=f"user:{telegram_id}",
                at=now,
                detail={"from": user.role if user else None, "to": "admin"},
            )


async def candidates(conn: aiosqlite.Connection, role: str, name: str) -> list[Named]:
    """Return the units (for liaisons) or leaders (for leaders) that `name` may mean."""
    if role == "liaison":
        return match_names(name, await targets.list_units(conn))
    if role == "leader":
        return match_names(name, await targets.list_leaders(conn))
    return []


async def match_target(conn: aiosqlite.Connection, role: str, name: str) -> Match:
    """Return the units (liaisons) or leaders `name` may mean, and whether it names one exactly.

    Exact: the full name, the full name without its leading 市 (`水务局`), or a unit alias
    admins added. Anything else (an abbreviation, a part of a name, a typo) is loose, and an
    admin confirms before anything binding is made of it.
    """
    wanted = normalise_name(name)
    if role == "liaison":
        aliases = {
            normalise_name(alias): unit for alias, unit in (await search.aliases(conn)).items()
        }
        if wanted in aliases:
            return Match([aliases[wanted]], True)
    found = await candidates(conn, role, name)
    return Match(found, len(found) == 1 and found[0].name in (wanted, f"市{wanted}"))


def names_user_exactly(query: str, user: users.User) -> bool:
    """Tell whether a query names this user beyond doubt: their Telegram id or @username.

    A display name is never enough to act at once: people choose it themselves, two may share
    it, and `王` may be the city leader 王昌华's; a name always asks first.
    """
    text = query.strip()
    if text.startswith("@"):
        return (user.username or "").lower() == text[1:].lower()
    return text == str(user.telegram_id)


async def binding_name(
    conn: aiosqlite.Connection, unit_id: int | None, leader_id: int | None
) -> str | None:
    """Return the name of the unit or leader a binding is to (None: no binding)."""
    if unit_id is not None:
        items, wanted = await targets.list_units(conn), unit_id
    elif leader_id is not None:
        items, wanted = await targets.list_leaders(conn), leader_id
    else:
        return None
    return next((item.name for item in items if item.id == wanted), None)


def _binding(role: str, binding_id: int | None) -> tuple[int | None, int | None]:
    """Return (unit_id, leader_id) for a role bound to the unit or leader `binding_id`."""
    return (binding_id if role == "liaison" else None, binding_id if role == "leader" else None)


async def create_invite(
    conn: aiosqlite.Connection,
    *,
    role: str,
    binding_id: int | None,
    actor: str,
    days: int,
) -> tuple[str, datetime]:
    """Store a new single-use invitation; return its code (never stored) and expiry."""
    code = secrets.token_urlsafe(CODE_BYTES)
    now = clock.now()
    expires = now + timedelta(days=days)
    unit_id, leader_id = _binding(role, binding_id)
    async with transaction(conn):
        invite_id = await users.create_invite(
            conn,
            hash_code(code),
            role,
            unit_id=unit_id,
            leader_id=leader_id,
            created_by=actor,
            at=clock.stamp(now),
            expires_at=clock.stamp(expires),
        )
        await audit.record(
            conn,
            actor=actor,
            action="invite",
            subject=f"invite:{invite_id}",
            at=clock.stamp(now),
            detail={
                "role": role,
                "unit_id": unit_id,
                "leader_id": leader_id,
                "expires_at": clock.stamp(expires),
            },
        )
    return code, expires


async def redeem_invite(
    conn: aiosqlite.Connection,
    settings: Settings,
    code: str,
    *,
    telegram_id: int,
    name: str,
    username: str | None,
    telegram_language: str | None,
    replace: bool = False,
) -> Redemption:
    """Bind a user by an invitation code, once; an unknown, used or expired code binds nothing.

    A user who holds another role or binding is asked first (`replace` status) unless
    `replace` says they confirmed.
    """
    now = clock.now()
    async with transaction(conn):
        await users.seen(conn, telegram_id, name, username, clock.stamp(now))
        invite = await users.invite_by_hash(conn, hash_code(code))
        if invite is None:
            return Redemption("unknown")
        if invite.used_by == telegram_id:
            # The same link opened again by its user (or the update delivered twice): no change.
            account = await load_account(conn, settings, telegram_id, telegram_language)
            if (account.role, account.unit_id, account.leader_id) == (
                invite.role,
                invite.unit_id,
                invite.leader_id,
            ):
                return Redemption("bound", account, account.role)
            return Redemption("used")  # revoked or changed since: the link is spent
        if invite.used_at is not None:
            return Redemption("used")
        if datetime.fromisoformat(invite.expires_at) <= now:
            return Redemption("expired")
        before = await users.get_user(conn, telegram_id)
        previous = await load_account(conn, settings, telegram_id, telegram_language)
        offered = (invite.role, await binding_name(conn, invite.unit_id, invite.leader_id))
        changes = (previous.role, previous.unit_id, previous.leader_id) != (
            invite.role,
            invite.unit_id,
            invite.leader_id,
        )
        if previous.role == "admin" and invite.role != "admin":
            # An admin keeps the admin role: the link stays unused, for the one it was made for.
            return Redemption("admin_keeps", offered=offered)
        if previous.role is not None and changes and not replace:
            return Redemption("replace", previous, previous.role, offered=offered)
        if not await users.use_invite(conn, invite.id, telegram_id, clock.stamp(now)):
            return Redemption("used")
        await users.bind(
            conn,
            telegram_id,
            invite.role,
            unit_id=invite.unit_id,
            leader_id=invite.leader_id,
            at=clock.stamp(now),
        )
        await audit.record(
            conn,
            actor=f"user:{telegram_id}",
            action="bind",
            subject=f"user:{telegram_id}",
            at=clock.stamp(now),
            detail={
                "invite": invite.id,
                "role": invite.role,
                "unit_id": invite.unit_id,
                "leader_id": invite.leader_id,
                "from": before.role if before else None,
            },
        )
    account = await load_account(conn, settings, telegram_id, telegram_language)
    return Redemption(
        "bound",
        account,
        before.role if before else None,
        fresh=True,
        previous=previous if previous.role is not None and changes else None,
        offered=offered,
    )


async def set_role(
    conn: aiosqlite.Connection,
    *,
    telegram_id: int,
    role: str,
    binding_id: int | None,
    actor: str,
    name: str | None = None,
) -> None:
    """Give a user a role and binding directly (admins' command line)."""
    async with transaction(conn):
        await _bind(conn, telegram_id, role, binding_id, actor=actor, at=clock.stamp(), name=name)


async def _bind(
    conn: aiosqlite.Connection,
    telegram_id: int,
    role: str,
    binding_id: int | None,
    *,
    actor: str,
    at: str,
    name: str | None,
    **detail: object,
) -> None:
    """Bind a user to a role and its unit or leader, and audit the change (in the caller's
    transaction); `detail` adds to the audit record."""
    unit_id, leader_id = _binding(role, binding_id)
    before = await users.get_user(conn, telegram_id)
    await users.bind(
        conn, telegram_id, role, unit_id=unit_id, leader_id=leader_id, at=at, name=name
    )
    await audit.record(
        conn,
        actor=actor,
        action="role_change",
        subject=f"user:{telegram_id}",
        at=at,
        detail={
            "from": before.role if before else None,
            "to": role,
            "unit_id": unit_id,
            "leader_id": leader_id,
            **detail,
        },
    )


async def revoke(
    conn: aiosqlite.Connection, settings: Settings, telegram_id: int, *, actor: str
) -> str:
    """Take a user's role away; return `revoked`, `not_bound`, or `configured` (ADMIN_IDS)."""
    if telegram_id in settings.admin_ids:
        return "configured"
    now = clock.stamp()
    async with transaction(conn):
        user = await users.get_user(conn, telegram_id)
        if user is None or user.role is None:
            return "not_bound"
        await users.unbind(conn, telegram_id)
        await audit.record(
            conn,
            actor=actor,
            action="revoke",
            subject=f"user:{telegram_id}",
            at=now,
            detail={"role": user.role, "unit_id": user.unit_id, "leader_id": user.leader_id},
        )
    return "revoked"


async def find_users(conn: aiosqlite.Connection, query: str) -> list[users.User]:
    """Return the bound users a query names: a Telegram id, an @username, or a name."""
    text = query.strip()
    everyone = await users.list_users(conn)
    if text.isdigit():
        return [u for u in everyone if u.telegram_id == int(text)]
    if text.startswith("@"):
        return [u for u in everyone if (u.username or "").lower() == text[1:].lower()]
    # A name: the person's own, or the leader or unit they are bound to (`/revoke 王昌华`).
    exact = [u for u in everyone if text in (u.name, u.leader, u.unit)]
    return exact or [
        u for u in everyone if text and any(text in (n or "") for n in (u.name, u.leader, u.unit))
    ]


async def choose_language(conn: aiosqlite.Connection, telegram_id: int, language: str) -> None:
    """Remember the language a user chose for every later reply."""
    async with transaction(conn):
        await users.set_language(conn, telegram_id, language)


async def admin_ids(conn: aiosqlite.Connection, settings: Settings) -> list[int]:
    """Return every admin to tell things: ADMIN_IDS and the reachable admins in the store."""
    stored = {u.telegram_id for u in await users.list_users(conn) if u.role == "admin" and u.active}
    return sorted(stored | set(settings.admin_ids))


async def liaisons_to_tell(conn: aiosqlite.Connection) -> list[users.User]:
    """Return the reachable liaisons (those told when a period closes)."""
    return [u for u in await users.list_users(conn) if u.role == "liaison" and u.active]


async def mark_unreachable(conn: aiosqlite.Connection, telegram_id: int) -> None:
    """Mark a user who blocked the bot as inactive."""
    async with transaction(conn):
        await users.set_active(conn, telegram_id, False)


# ---------------------------------------------------------------------------- rosters


@dataclass(frozen=True)
class RosterEntry:
    """One checked row of a roster file."""

    telegram_id: int
    role: str
    binding_id: int | None  # the unit (liaison) or leader (leader); None for an admin
    name: str


async def import_roster(conn: aiosqlite.Connection, path: Path, *, actor: str) -> int:
    """Bind every user of a roster (telegram_id, role, unit or leader, name), all or nothing."""
    sheets = read_sheets(path)
    rows = [row for row in sheets[0].rows if not row.is_blank]
    if rows and not re.fullmatch(r"\d+", rows[0].cell(0)):
        rows = rows[1:]  # a header row
    if not rows:
        raise TableError("roster.error.empty", file=path.name)
    entries = [await _roster_entry(conn, path.name, row) for row in rows]
    seen: dict[int, int] = {}
    for entry, row in zip(entries, rows, strict=True):
        if entry.telegram_id in seen:
            raise TableError(
                "roster.error.duplicate",
                file=path.name,
                row=row.number,
                column=0,
                header="telegram_id",
                telegram_id=entry.telegram_id,
                first_row=seen[entry.telegram_id],
            )
        seen[entry.telegram_id] = row.number
    now = clock.stamp()
    async with transaction(conn):
        for entry in entries:
            await _bind(
                conn,
                entry.telegram_id,
                entry.role,
                entry.binding_id,
                actor=actor,
                at=now,
                name=entry.name or None,
                roster=path.name,
            )
    return len(entries)


async def _roster_entry(conn: aiosqlite.Connection, file: str, row: Row) -> RosterEntry:
    def fail(key: str, column: int, header: str, **values: object) -> TableError:
        return TableError(key, file=file, row=row.number, column=column, header=header, **values)

    raw_id = row.cell(0)
    if not re.fullmatch(r"\d+", raw_id):
        raise fail("roster.error.bad_id", 0, "telegram_id", value=raw_id)
    role = ROLE_WORDS.get(row.cell(1).strip().lower())
    if role is None:
        raise fail("roster.error.bad_role", 1, "role", value=row.cell(1))
    binding_id: int | None = None
    if role != "admin":
        name = row.cell(2)
        if not name:
            raise fail("import.error.empty_cell", 2, "unit / leader")
        found = await candidates(conn, role, name)
        if len(found) != 1:
            raise fail(
                "roster.error.no_match" if not found else "roster.error.ambiguous",
                2,
                "unit / leader",
                value=name,
                choices=tuple(f.name for f in found),  # joined in the reader's language
            )
        binding_id = found[0].id
    return RosterEntry(int(raw_id), role, binding_id, row.cell(3))
