"""Unit aliases admins add (人社局 → 市人力资源社会保障局), on top of derived abbreviations."""

from __future__ import annotations

import aiosqlite

from bot import clock
from bot.query.matching import match_names
from storage import audit, search, targets
from storage.db import transaction
from storage.targets import Named


async def add_alias(
    conn: aiosqlite.Connection, alias: str, unit: str, *, actor: str
) -> list[Named]:
    """Make `alias` name the unit `unit` means; return the units it may mean.

    One unit: the alias is stored (and audited). None or several: nothing is stored.
    """
    found = match_names(unit, await targets.list_units(conn))
    if len(found) == 1:
        async with transaction(conn):
            await search.set_alias(conn, alias.strip(), found[0].id)
            await audit.record(
                conn,
                actor=actor,
                action="alias",
                subject=alias.strip(),
                at=clock.stamp(),
                detail={"unit": found[0].name},
            )
    return found


async def remove_alias(conn: aiosqlite.Connection, alias: str, *, actor: str) -> bool:
    """Forget an alias; False if there was none."""
    async with transaction(conn):
        removed = await search.remove_alias(conn, alias)
        if removed:
            await audit.record(
                conn, actor=actor, action="alias_removed", subject=alias, at=clock.stamp()
            )
    return removed
