"""Pushes from the database: the picture of the world, the schedule, and claiming what is due.

No Telegram here: handlers/jobs.py sends what `claim_due` hands it and reports back with
`settled`; `targetbot remind` uses the same functions.
"""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import Awaitable, Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import aiosqlite

from bot import clock
from bot.i18n import Translator
from bot.instructions import service as instructions
from bot.limits import MESSAGE_LIMIT, units
from bot.people.accounts import admin_ids, language_of
from bot.push.digest import leader_lights
from bot.push.planner import (
    Chase,
    Due,
    Duty,
    Light,
    Person,
    Schedule,
    Waiting,
    World,
    digest_keys,
    may_push,
    may_send,
    plan,
    review_notices,
)
from bot.push.text import render
from bot.report.service import Window, lead_states, window
from bot.settings import Settings, SettingsError, in_quiet_hours, parse_days, parse_int, parse_time
from storage import audit, users
from storage import pushes as repo
from storage import reports as reviews
from storage.db import open_reader, read_snapshot, transaction
from storage.pushes import DutyRow, Push

PARTS_SENT, PARTS_GROUP = "parts_sent", "parts_group"  # a split push's progress, in its payload
RETRY_AFTER = (60, 300, 1800, 7200)  # seconds before each further try of a failed push
STALE_SENDING = timedelta(minutes=10)  # a send this old was interrupted by a crash: try again


def schedule_of(settings: Settings, overrides: dict[str, Any]) -> Schedule:
    """Return the schedule: the settings, with what admins changed in chat on top."""
    base = Schedule(
        report_days=settings.remind_days,
        due_days=settings.due_remind_days,
        at=settings.remind_time,
        quiet=settings.quiet_hours,
        digest_weekday=settings.digest_weekday,
    )
    changed: dict[str, Any] = {}
    if "report_days" in overrides:
        changed["report_days"] = tuple(int(d) for d in overrides["report_days"])
    if "due_days" in overrides:
        changed["due_days"] = tuple(int(d) for d in overrides["due_days"])
    if "at" in overrides:
        changed["at"] = datetime.strptime(str(overrides["at"]), "%H:%M").time()
    if "digest_weekday" in overrides:
        changed["digest_weekday"] = int(overrides["digest_weekday"])
    return replace(base, **changed)


async def schedule(conn: aiosqlite.Connection, settings: Settings) -> Schedule:
    """Return the schedule in force."""
    stored = await users.get_meta(conn, repo.SCHEDULE_KEY)
    return schedule_of(settings, json.loads(stored) if stored else {})


SCHEDULE_FIELDS = {
    "remind": "report_days",
    "due": "due_days",
    "time": "at",
    "digest": "digest_weekday",
}


def schedule_value(word: str, raw: str) -> tuple[str, object]:
    """Return the schedule field an admin's word names and its value (SettingsError if bad)."""
    field = SCHEDULE_FIELDS.get(word)
    if field is None:
        raise SettingsError("settings.bad_schedule_field", value=word)
    if field in ("report_days", "due_days"):
        return field, list(parse_days(word, raw))
    if field == "at":
        return field, parse_time(word, raw).strftime("%H:%M")
    return field, parse_int(word, raw, 1, 7)


async def change_schedule(
    conn: aiosqlite.Connection, settings: Settings, field: str, value: object, *, actor: str
) -> Schedule:
    """Change one part of the schedule (admins), audited; return the schedule now in force."""
    stored = await users.get_meta(conn, repo.SCHEDULE_KEY)
    overrides = json.loads(stored) if stored else {}
    overrides[field] = value
    result = schedule_of(settings, overrides)
    if in_quiet_hours(result.at, result.quiet):
        raise SettingsError("settings.time_in_quiet_hours", value=result.at.strftime("%H:%M"))
    async with transaction(conn):
        await users.set_meta(conn, repo.SCHEDULE_KEY, json.dumps(overrides))
        await audit.record(
            conn,
            actor=actor,
            action="schedule_change",
            subject="schedule",
            at=clock.stamp(),
            detail={field: value},
        )
    return result


# Audited actions that leave the plan's targets, assignments, units and leaders as they were:
# after them the duties read before still hold. After any other, they are read again.
PLAN_UNCHANGED = frozenset(
    {
        "report_submit",
        "review_approved",
        "review_returned",
        "period_open",
        "period_closed",
        "period_announced",
        "bind",
        "invite",
        "revoke",
        "role_change",
        "instruction_write",
        "instruction_answer",
        "extension_ask",
        "extension_refuse",
        "schedule_change",
        "alias",
        "alias_removed",
    }
)


@dataclass
class Minute:
    """What the minute's check keeps from one check to the next (one per running bot).

    The pushes planned, with the basis they were planned from: the day, the schedule, the
    current plan, the newest report and audit entry (both append-only, and every change of
    plans, periods, roles, reviews and instructions is audited), the report drafts and the
    people. While the basis holds, a check plans nothing and only asks which planned pushes are
    claimed; after a change it plans again, off the event loop. The plan's duties (its live
    assignments, by far the largest read) are read again only when the plan itself changed.
    The check reads through a connection of its own, in one snapshot, so that what it planned
    and the basis it remembers agree, and questions never queue behind its reads.
    """

    basis: tuple[object, ...] | None = None
    planned: list[Due] = field(default_factory=list)
    rows: list[DutyRow] | None = None
    made: dict[str, dict[int, Duty]] = field(default_factory=dict)  # period → duties made
    rows_new: bool = False  # the duties were read anew since the last plan
    rows_read_at: tuple[int | None, int] = (None, 0)  # (plan, audit entry) the rows hold as of
    _reader: aiosqlite.Connection | None = None

    async def reader(self, conn: aiosqlite.Connection) -> aiosqlite.Connection:
        """Return the connection the check reads through: its own, on the same database file."""
        if self._reader is None:
            async with conn.execute("PRAGMA database_list") as cursor:
                files = {str(row[1]): str(row[2]) for row in await cursor.fetchall()}
            if not files.get("main"):
                return conn  # an in-memory database: nothing else can open it
            self._reader = await open_reader(files["main"])
        return self._reader

    async def close(self) -> None:
        """Close the check's own connection, if it opened one."""
        if self._reader is not None:
            await self._reader.close()
            self._reader = None

    async def duty_rows(
        self, conn: aiosqlite.Connection, plan_id: int, audited: int
    ) -> list[DutyRow]:
        """Return the plan's duties: those read before while the plan is unchanged, else anew."""
        read_plan, read_audit = self.rows_read_at
        if (
            self.rows is None
            or read_plan != plan_id
            or (
                read_audit != audited
                and not await audit.actions_since(conn, read_audit) <= PLAN_UNCHANGED
            )
        ):
            self.rows = await repo.lead_duties(conn, plan_id)
            self.made = {}
            self.rows_new = True
        self.rows_read_at = (plan_id, audited)
        return self.rows


Wanted = Callable[[Iterable[str]], Awaitable[set[str]]]  # of these push keys, those to plan


async def _everything(keys: Iterable[str]) -> set[str]:
    return set(keys)


def _duties(
    rows: list[DutyRow], states: dict[int, str], completed: set[int], made: dict[int, Duty]
) -> tuple[Duty, ...]:
    """Return the duties of `rows`; those `made` before and unchanged are used again (a
    replan after one update makes one new duty, not a hundred thousand for the collector)."""
    duties: list[Duty] = []
    for row in rows:
        aid = row.assignment_id
        state, done = states.get(aid, "missing"), aid in completed
        duty = made.get(aid)
        if duty is None or duty.state != state or duty.completed != done:
            duty = made[aid] = Duty(
                assignment_id=aid,
                target_id=row.target_id,
                number=row.number,
                content=row.content,
                unit_id=row.unit_id,
                unit=row.unit,
                leader_id=row.leader_id,
                leader=row.leader,
                state=state,
                due_date=date.fromisoformat(row.due_date) if row.due_date else None,
                completed=done,
            )
        duties.append(duty)
    return tuple(duties)


async def people(
    conn: aiosqlite.Connection, settings: Settings, now: datetime
) -> tuple[Person, ...]:
    """Return everyone with a role, as pushes see them."""
    muted = await repo.digest_muted(conn)
    return tuple(
        Person(
            telegram_id=user.telegram_id,
            name=user.name,
            language=user.language or settings.default_language,
            role=user.role or "",
            unit_id=user.unit_id,
            leader_id=user.leader_id,
            active=user.active,
            digest_muted=user.telegram_id in muted,
            binding=user.unit or user.leader or "",
            bound_on=(
                datetime.fromisoformat(user.bound_at).astimezone(now.tzinfo).date()
                if user.bound_at
                else None
            ),
        )
        for user in await users.list_users(conn)
    )


async def world(
    conn: aiosqlite.Connection,
    settings: Settings,
    now: datetime,
    *,
    minute: Minute | None = None,
    in_force: Schedule | None = None,
    wanted: Wanted = _everything,
    everyone: tuple[Person, ...] | None = None,
) -> World:
    """Return the picture of the world the planner needs, as of `now` (local time).

    The lights of leaders' targets are read only for the digests `wanted` keeps (a digest
    already claimed is not put in words again); the plan's duties come from `minute` when it
    holds them.
    """
    today = now.date()
    current = await window(conn, today, settings.report_deadline_days)
    if current is None:
        return World(now, None)
    in_force = in_force or await schedule(conn, settings)
    period = current.open
    plan_id, _, audited = await repo.marks(conn)
    rows = (
        await minute.duty_rows(conn, current.plan.id, audited)
        if minute is not None and plan_id == current.plan.id
        else await repo.lead_duties(conn, current.plan.id)
    )
    if minute is not None and minute.rows_new:
        _freeze()  # before the digests' reads below make the collector walk them
    states = await lead_states(conn, period.period) if period else {}
    ended = current.ended
    ended_states = await lead_states(conn, ended.period) if ended else None
    completed = await repo.completed_assignments(conn, current.plan.id)
    everyone = everyone if everyone is not None else await people(conn, settings, now)
    lights, last = await _digest_lights(conn, settings, current, everyone, in_force, today, wanted)
    chases = tuple(
        Chase(
            instruction_id=i.id,
            number=i.shown_number,
            content=i.target_content,
            author_id=i.author_id,
            author=i.author_name,
            text=i.text,
            written_on=i.written_on,
            reply_due=i.reply_due,
            unit_id=unit.unit_id,
            unit=unit.unit,
        )
        for i in await instructions.open_instructions(conn)
        for unit in instructions.waiting_units(i)
    )

    made = minute.made if minute is not None else {}

    def making() -> World:  # a hundred thousand duties are gone through in a worker thread
        duties = _duties(
            rows, states, completed, made.setdefault(period.period, {}) if period else {}
        )
        ended_duties = (
            _duties(rows, ended_states, completed, made.setdefault(ended.period, {}))
            if ended is not None and ended_states is not None
            else ()
        )
        for kept in [
            p for p in made if p not in {period and period.period, ended and ended.period}
        ]:
            del made[kept]
        return World(now, period, duties, everyone, lights, last, ended, ended_duties, chases)

    return await asyncio.to_thread(making)


async def _digest_lights(
    conn: aiosqlite.Connection,
    settings: Settings,
    current: Window,
    everyone: tuple[Person, ...],
    in_force: Schedule,
    today: date,
    wanted: Wanted,
) -> tuple[dict[int, list[Light]], dict[int, dict[str, str]]]:
    """Return the lights of the targets of leaders a digest is due to, and their last digest.

    Only for the digests `wanted` keeps: each reads its leader's own targets, nothing more.
    """
    keys = digest_keys(everyone, in_force, today)
    keep = await wanted(keys.values())
    leaders = [p for p in everyone if p.leader_id is not None and keys.get(p.telegram_id) in keep]
    if not leaders:
        return {}, {}
    lights = await leader_lights(
        conn,
        current.plan.id,
        current.plan.year,
        sorted({p.leader_id for p in leaders if p.leader_id is not None}),
        today,
        settings.at_risk_margin / 100,
    )
    last: dict[int, dict[str, str]] = {}
    for person in leaders:
        payload = await repo.last_payload(conn, person.telegram_id, "digest")
        if payload:
            last[person.telegram_id] = dict(payload.get("lights", {}))
    return lights, last


async def waiting_reviews(
    conn: aiosqlite.Connection, settings: Settings, now: datetime, in_force: Schedule
) -> list[Due]:
    """Return the gathered notices to admins of submissions waiting for review, due now."""
    if in_quiet_hours(now.time(), in_force.quiet):
        return []
    pending = await reviews.pending_reviews(conn)
    if not pending:
        return []
    waiting = tuple(
        Waiting(
            report_id=item.report.id,
            number=item.number,
            unit=item.unit,
            period=item.report.period,
            revision=item.report.revision,
            submitted_at=datetime.fromisoformat(item.report.submitted_at),
        )
        for item in pending
    )
    admins = tuple(
        [
            Person(admin, "", await language_of(conn, settings, admin), "admin")
            for admin in await admin_ids(conn, settings)
        ]
    )
    told = await repo.latest_payloads(conn, "review")
    announced = {admin: int(payload.get("upto", 0)) for admin, payload in told.items()}
    return review_notices(now, in_force, admins, waiting, announced)


async def planned(
    conn: aiosqlite.Connection,
    settings: Settings,
    now: datetime,
    in_force: Schedule,
    minute: Minute | None = None,
) -> list[Due]:
    """Return the planner's pushes due at `now` (claimed before or not), not yet in words.

    With `minute`, what it planned before is returned while nothing it was planned from moved,
    and digests already claimed are not planned again (their leaders' targets are not read).
    """
    if minute is None:
        return await asyncio.to_thread(plan, await world(conn, settings, now), in_force)
    if minute.basis is None and minute.rows is None:
        _freeze()  # the bot's first check
    reader = await minute.reader(conn)
    async with read_snapshot(reader) if reader is not conn else nullcontext(conn):
        everyone = await people(reader, settings, now)
        basis = (
            now.date(),
            in_force,
            await repo.marks(reader),
            await repo.draft_marks(reader),
            everyone,
        )
        if basis != minute.basis:

            async def unclaimed(keys: Iterable[str]) -> set[str]:
                wanted = list(keys)
                return set(wanted) - await repo.known(reader, wanted)

            found = await world(
                reader,
                settings,
                now,
                minute=minute,
                in_force=in_force,
                wanted=unclaimed,
                everyone=everyone,
            )
            minute.planned = await asyncio.to_thread(plan, found, in_force)
            minute.basis = basis
            if minute.rows_new:
                minute.rows_new = False
                _freeze()
    return minute.planned


def _freeze() -> None:
    """Move what the process holds for good out of the garbage collector's sight.

    Called before the bot's first check (the libraries' tables: pinyin alone is two hundred
    thousand lists) and after the plan's duties were read anew. A full collection looks at
    every object it tracks, holding the GIL: that was most of a second in which the event loop
    stood still. Frozen objects are still freed when no longer used; only cycles among the
    objects alive at that moment would stay.
    """
    gc.freeze()


def _rendered(due: list[Due], t: Translator, today: date) -> list[Push]:
    return [render(d, t, today) for d in due]


async def due_all(
    conn: aiosqlite.Connection,
    settings: Settings,
    now: datetime,
    t: Translator,
) -> list[tuple[Push, bool]]:
    """Return every push due at `now`, in words, each with whether it was claimed before."""
    in_force = await schedule(conn, settings)
    due = await waiting_reviews(conn, settings, now, in_force)
    if may_push(now, in_force):  # else a holiday, the night, or before the push time
        due = await planned(conn, settings, now, in_force) + due
    seen = await repo.known(conn, [d.key for d in due])
    pushes = await asyncio.to_thread(_rendered, due, t, now.date())
    return [(push, push.key in seen) for push in pushes]


KIND_ORDER = (
    "remind",
    "due",
    "overdue",
    "inchase",
    "cuiban",
    "review",
    "digest",
    "blocked",
    "unstarted",
    "failed",
)
BUTTON_LIMIT = 100  # inline buttons in one message


def gathered(batch: list[Push]) -> list[list[Push]]:
    """Return the pushes to send together: those to the same person make one message.

    A report reminder and a due-date reminder due in the same minute reach a liaison as one
    message (texts one after the other, every button kept); a message that would pass
    Telegram's limits is started anew.
    """
    groups: dict[int, list[list[Push]]] = {}
    order = {kind: index for index, kind in enumerate(KIND_ORDER)}
    for push in sorted(batch, key=lambda p: order.get(p.kind, len(order))):
        mine = groups.setdefault(push.recipient, [[]])
        if mine[-1] and not _fits([*mine[-1], push]):
            mine.append([])
        mine[-1].append(push)
    return [group for of_one in groups.values() for group in of_one]


def _fits(group: list[Push]) -> bool:
    joined = together(group)
    buttons = sum(len(row) for row in joined.buttons)
    # Measured as Telegram does (UTF-16 units); a longer push alone is split when it is sent.
    return units(joined.text) <= MESSAGE_LIMIT and buttons <= BUTTON_LIMIT


def together(group: list[Push]) -> Push:
    """Return the one message a group of pushes makes: texts joined, buttons kept (once each)."""
    if len(group) == 1:
        return group[0]
    seen: set[str] = set()
    rows: list[list[tuple[str, str]]] = []
    for push in group:
        for row in push.buttons:
            kept = [(label, data) for label, data in row if data not in seen]
            seen.update(data for _, data in kept)
            if kept:
                rows.append(kept)
    return replace(group[0], text="\n\n".join(p.text for p in group), buttons=rows)


async def admin_notices(
    conn: aiosqlite.Connection,
    settings: Settings,
    troubles: list[tuple[str, Push]],
    now: datetime,
    t: Translator,
) -> list[Push]:
    """Claim notices to admins of pushes `blocked` (403) or `failed`; return the new ones.

    One notice a day per person who cannot be reached (`blocked`, or `unstarted`: a roster
    user who never opened the bot, "chat not found"); one per push that failed for good
    (`failed` after every retry, `refused` at once by a 400).
    """
    wanted: list[Push] = []
    admins = await admin_ids(conn, settings)
    for kind, push in troubles:
        user = await users.get_user(conn, push.recipient)
        name = user.name if user else ""
        binding = (user.unit or user.leader or user.role or "") if user else ""
        unreachable = kind in ("blocked", "unstarted")
        about = f"{push.recipient}:{now.date().isoformat()}" if unreachable else push.key
        for admin in admins:
            if admin == push.recipient:
                continue
            lang = await language_of(conn, settings, admin)
            who = (
                t("push.person", lang, name=name, detail=push.recipient) if name else push.recipient
            )
            text = t(f"push.{kind}_admin", lang, who=who, binding=binding, error=push.error or "")
            wanted.append(
                Push(key=f"{kind}:{about}:{admin}", kind=kind, recipient=admin, text=text)
            )
    at = _stamp(now)
    async with transaction(conn):
        return [push for push in wanted if await repo.claim(conn, push, at)]


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


async def claim_due(
    conn: aiosqlite.Connection,
    settings: Settings,
    now: datetime,
    t: Translator,
    minute: Minute | None = None,
) -> list[Push]:
    """Claim every push due now (once: a key claimed elsewhere is left alone) and the retries.

    Only pushes not claimed before are put in words, in a worker thread; `minute` keeps what
    was planned from one check to the next (see `Minute`).
    """
    in_force = await schedule(conn, settings)
    due = await waiting_reviews(conn, settings, now, in_force)
    if may_push(now, in_force):  # else a holiday, the night, or before the push time
        due = await planned(conn, settings, now, in_force, minute) + due
    seen = await repo.known(conn, [d.key for d in due])
    candidates = await asyncio.to_thread(
        _rendered, [d for d in due if d.key not in seen], t, now.date()
    )
    at = _stamp(now)
    async with transaction(conn):
        claimed = [push for push in candidates if await repo.claim(conn, push, at)]
        for push in await repo.due_again(conn, at, _stamp(now - STALE_SENDING)):
            # A retry keeps to the hours of its kind: it waits for the morning (or working day).
            if may_send(push.kind, now, in_force) and await repo.retake(conn, push.key, at):
                claimed.append(push)
    return claimed


def _group_mark(group: list[Push]) -> str:
    return "|".join(sorted(push.key for push in group))


def parts_sent_before(group: list[Push]) -> int:
    """Return how many messages of this group's split text an interrupted try sent already."""
    mark = _group_mark(group)
    if not group or any(push.payload.get(PARTS_GROUP) != mark for push in group):
        return 0  # never split, or sent together with other pushes then: send it all
    return min(int(push.payload.get(PARTS_SENT, 0)) for push in group)


async def settled(
    conn: aiosqlite.Connection,
    push: Push,
    outcome: str,
    now: datetime,
    *,
    error: str | None = None,
    group: list[Push] | None = None,
    done: int = 0,
) -> str:
    """Record a send's outcome; return the state it left.

    `sent`; `blocked` (403) and `unstarted` (chat not found) mark the person inactive and are
    not tried again; `bad` (a 400) fails for good at once; `error` is tried again later, and the
    `done` messages of a split text that went out are not sent again.
    """
    at = _stamp(now)
    attempts = push.attempts + 1  # this try included
    if outcome == "sent":
        state, next_try = "sent", None
    elif outcome in ("blocked", "unstarted"):
        state, next_try = "blocked", None
    elif outcome == "error" and attempts <= len(RETRY_AFTER):
        state, next_try = "retry", _stamp(now + timedelta(seconds=RETRY_AFTER[attempts - 1]))
    else:
        state, next_try = "failed", None
    async with transaction(conn):
        await repo.settle(conn, push.key, state, at=at, error=error, next_try_at=next_try)
        if state == "retry" and done:
            await repo.remember_parts(conn, push.key, done, _group_mark(group or [push]))
        if state == "blocked":
            await users.set_active(conn, push.recipient, False)
    return state


async def record_check(conn: aiosqlite.Connection) -> None:
    """Remember when pushes were last checked, by the real clock (awaited by tests)."""
    async with transaction(conn):
        await users.set_meta(conn, "last_push_check", datetime.now(UTC).isoformat())


async def digest_is_muted(conn: aiosqlite.Connection, telegram_id: int) -> bool:
    """Return whether this leader muted the weekly digest."""
    return telegram_id in await repo.digest_muted(conn)


async def mute_digest(conn: aiosqlite.Connection, telegram_id: int, muted: bool) -> None:
    """Mute or resume the weekly digest of this leader."""
    async with transaction(conn):
        await repo.set_digest_muted(conn, telegram_id, muted)
