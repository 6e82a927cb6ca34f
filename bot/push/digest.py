"""A leader's digest reads only the leader's targets: their lights, as the search shows them.

The rule is bot/status/lights.py's, applied to the leader's targets with all their assignments
and the plan's latest reported period: the same lights a question shows, without the whole
plan in memory.
"""

from __future__ import annotations

import asyncio
from array import array
from datetime import date

import aiosqlite

from bot.push.planner import Light
from bot.query.index import indexed_assignments, indexed_targets
from bot.status.lights import LIGHTS, latest_period, status_view
from storage import pushes as repo
from storage.search import PlanRows


def lights_of(
    rows: PlanRows, year: int, margin: float, period: str | None, today: date
) -> list[Light]:
    """Return each target of `rows` with its light for the plan's latest period, by number."""
    assignments, of_target = indexed_assignments(rows)
    targets = indexed_targets(rows, of_target)
    period, as_of = latest_period([period] if period else [], today)
    owners = array("i", (a.target for a in assignments))
    view = status_view(
        targets, assignments, owners, period, as_of, year=year, margin=margin, carry=True
    )
    found: list[Light] = []
    for target in sorted(targets, key=lambda t: t.number):
        status = view.status_of(target.assignments)
        found.append(Light(target.number, target.content, LIGHTS[status], status))
    return found


async def leader_lights(
    conn: aiosqlite.Connection,
    plan_id: int,
    year: int,
    leader_ids: list[int],
    today: date,
    margin: float,
) -> dict[int, list[Light]]:
    """Return the lights of these leaders' targets, reading only those targets.

    The numbers in each progress text are read in a worker thread: the event loop goes on.
    """
    period = await repo.latest_period(conn, plan_id)
    found: dict[int, list[Light]] = {}
    for leader_id, target_ids in (await repo.leaders_targets(conn, plan_id, leader_ids)).items():
        rows = await repo.targets_rows(conn, target_ids)
        found[leader_id] = await asyncio.to_thread(lights_of, rows, year, margin, period, today)
    return found
