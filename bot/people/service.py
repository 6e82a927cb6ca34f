"""People as chat shows them: who is listed, who gets a menu, what may be bound to a role."""

from __future__ import annotations

import aiosqlite

from storage import targets as plans
from storage import users
from storage.targets import Named
from storage.users import User

__all__ = ["Named", "User", "bindable", "everyone", "menu_holders", "user"]


async def everyone(conn: aiosqlite.Connection) -> list[User]:
    """Return the users bound to a role, as /users lists them."""
    return await users.list_users(conn)


async def user(conn: aiosqlite.Connection, telegram_id: int) -> User | None:
    """Return one user, if known."""
    return await users.get_user(conn, telegram_id)


async def menu_holders(conn: aiosqlite.Connection) -> set[int]:
    """Return who has (or had) a role or a binding: the users whose menu is set at start-up."""
    known = await users.list_users(conn, bound_only=False)
    return {u.telegram_id for u in known if u.role is not None or u.bound_at is not None}


async def bindable(conn: aiosqlite.Connection, role: str) -> list[Named]:
    """Return what a role binds to: the units for a liaison, else the leaders."""
    return await (plans.list_units(conn) if role == "liaison" else plans.list_leaders(conn))
