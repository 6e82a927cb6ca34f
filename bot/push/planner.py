"""Which pushes are due now: reminders, overdue notices, 催办 summaries, due dates, digests.

Pure: given the time and a picture of the world, it returns the pushes due, each with a stable
key (kind, period or target, recipient, day) so that a push is recognised when seen again.
Pushes land at the schedule's time on working days of the Chinese calendar, never in quiet
hours; a reminder that falls on a holiday or weekend moves to the working day before.

Admins hear of submissions waiting for review in gathered notices (`review_notices`): one
message once submissions stop coming for GATHER_QUIET, or GATHER_LONGEST after the first one
not yet told, whichever comes first; any day, but never in quiet hours.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from bot.push.workdays import is_workday, workday_on_or_after, workday_on_or_before
from bot.report.periods import OpenPeriod
from bot.settings import in_quiet_hours

OPEN_STATES = ("missing", "draft", "returned")  # a lead unit's update still to come
GATHER_QUIET = timedelta(minutes=5)  # no new submission this long: the writer's batch is done
GATHER_LONGEST = timedelta(minutes=30)  # the longest a submission waits to be announced


@dataclass(frozen=True)
class Schedule:
    """When pushes go out."""

    report_days: tuple[int, ...] = (7, 3, 1)
    due_days: tuple[int, ...] = (14, 3)
    at: time = time(9, 0)
    quiet: tuple[time, time] | None = (time(22, 0), time(8, 0))
    digest_weekday: int = 1  # ISO: 1 = Monday


@dataclass(frozen=True, slots=True)
class Person:
    """Someone pushes may go to."""

    telegram_id: int
    name: str
    language: str
    role: str
    unit_id: int | None = None
    leader_id: int | None = None
    active: bool = True
    digest_muted: bool = False
    binding: str = ""  # the unit or leader they are bound to
    bound_on: date | None = None  # the local day they got their role (None: long ago)


class Duty(NamedTuple):
    """A lead unit's update for one assignment, and where it stands in the open period.

    A named tuple of plain values: a hundred thousand of them are kept between the minute's
    checks, and the garbage collector stops looking at such tuples.
    """

    assignment_id: int
    target_id: int
    number: int
    content: str
    unit_id: int
    unit: str
    leader_id: int
    leader: str
    state: str  # missing, draft, returned, pending or submitted
    due_date: date | None = None
    completed: bool = False  # the latest official report says 已完成


class Light(NamedTuple):
    """A target's traffic light, for a leader's digest."""

    number: int
    content: str
    light: str
    status: str


@dataclass(frozen=True)
class Waiting:
    """A submission waiting for an admin's review."""

    report_id: int
    number: int
    unit: str
    period: str
    revision: int
    submitted_at: datetime  # aware


@dataclass(frozen=True)
class Chase:
    """A lead unit's answer to an instruction (批示) still to come: chased once overdue, and
    listed in the author's weekly digest."""

    instruction_id: int
    number: str  # the target's number as the table shows it
    content: str
    author_id: int
    author: str
    text: str
    written_on: date
    reply_due: date
    unit_id: int
    unit: str


@dataclass(frozen=True)
class World:
    """Everything the planner looks at."""

    now: datetime  # local, aware
    period: OpenPeriod | None
    duties: tuple[Duty, ...] = ()
    people: tuple[Person, ...] = ()
    lights: dict[int, list[Light]] = field(default_factory=dict)  # leader id → their targets
    last_digest: dict[int, dict[str, str]] = field(default_factory=dict)  # person → number: light
    ended: OpenPeriod | None = None  # the quarter before, its announced deadline just passed
    ended_duties: tuple[Duty, ...] = ()  # the lead units' duties for `ended`
    chases: tuple[Chase, ...] = ()  # instructions' answers still to come, oldest first


@dataclass(frozen=True, slots=True)
class Due:
    """A push due now, before it is put in words."""

    key: str
    kind: str  # remind, overdue, cuiban, due, digest, review
    to: Person
    day: date
    duties: tuple[Duty, ...] = ()
    deadline: date | None = None
    period: str | None = None
    unreachable: tuple[Person, ...] = ()
    lights: tuple[Light, ...] = ()
    changes: tuple[tuple[Light, str], ...] = ()  # (now, light before)
    compared: bool = False  # a digest with an earlier one to compare with
    waiting: tuple[Waiting, ...] = ()  # submissions waiting for review (a review notice)
    chases: tuple[Chase, ...] = ()  # an instruction chased, or a leader's open instructions


def may_push(now: datetime, schedule: Schedule) -> bool:
    """Tell whether pushes may go out at this moment: a working day, time come, not quiet."""
    return (
        is_workday(now.date())
        and now.time() >= schedule.at
        and not in_quiet_hours(now.time(), schedule.quiet)
    )


PLANNED_KINDS = ("remind", "due", "overdue", "cuiban", "digest", "inchase")  # the planner's pushes


def may_send(kind: str, now: datetime, schedule: Schedule) -> bool:
    """Tell whether a push of this kind may go out now, a retry as much as a first try.

    The planner's pushes keep to `may_push` (working days, from the push time, never in quiet
    hours); notices to admins (reviews waiting, people unreachable, failures) go out any day,
    but never in quiet hours.
    """
    if kind in PLANNED_KINDS:
        return may_push(now, schedule)
    return not in_quiet_hours(now.time(), schedule.quiet)


def reminder_day(deadline: date, days: tuple[int, ...], today: date) -> date | None:
    """Return the day of the latest reminder before `deadline` that is due by `today`.

    A reminder's day is `days` before the deadline, moved back to a working day. Only the
    latest one is returned: after a pause the bot sends one reminder, not every missed one.
    """
    if today > deadline:
        return None
    days_due = [workday_on_or_before(deadline - timedelta(days=k)) for k in days]
    passed = [day for day in days_due if day <= today]
    return max(passed) if passed else None


def plan(world: World, schedule: Schedule) -> list[Due]:
    """Return every push due at `world.now` (whether or not it was sent before)."""
    if not may_push(world.now, schedule):
        return []
    return [
        *_report_pushes(world, world.period, world.duties, schedule),
        *_report_pushes(world, world.ended, world.ended_duties, schedule, remind=False),
        *_due_date_pushes(world, schedule),
        *_instruction_chases(world),
        *_digests(world, schedule),
    ]


def _liaisons(world: World) -> dict[int, list[Person]]:
    found: defaultdict[int, list[Person]] = defaultdict(list)
    for person in world.people:
        if person.role == "liaison" and person.unit_id is not None and person.active:
            found[person.unit_id].append(person)
    return found


def _report_pushes(
    world: World,
    period: OpenPeriod | None,
    duties_of_period: tuple[Duty, ...],
    schedule: Schedule,
    *,
    remind: bool = True,
) -> list[Due]:
    """Reminders before a period's deadline, then its overdue notice and 催办 summaries.

    `remind=False` for a quarter that already ended (only what follows its deadline is due).
    """
    if period is None or period.deadline is None:
        return []
    today, deadline = world.now.date(), period.deadline
    open_duties = [d for d in duties_of_period if d.state in OPEN_STATES]
    by_unit: defaultdict[int, list[Duty]] = defaultdict(list)
    for duty in open_duties:
        by_unit[duty.unit_id].append(duty)
    liaisons = _liaisons(world)
    pushes: list[Due] = []
    day = reminder_day(deadline, schedule.report_days, today) if remind else None
    if day is not None:
        for unit_id, duties in by_unit.items():
            for person in liaisons.get(unit_id, []):
                key = f"remind:{period.period}:{person.telegram_id}:{day.isoformat()}"
                pushes.append(
                    Due(key, "remind", person, day, tuple(duties), deadline, period.period)
                )
    overdue = workday_on_or_after(deadline + timedelta(days=1))
    if today < overdue:
        return pushes
    for unit_id, duties in by_unit.items():
        for person in liaisons.get(unit_id, []):
            key = f"overdue:{period.period}:{person.telegram_id}"
            pushes.append(
                Due(key, "overdue", person, overdue, tuple(duties), deadline, period.period)
            )
    unreachable = tuple(p for p in world.people if not p.active and p.role is not None)
    for person in world.people:
        if not person.active:
            continue
        if person.role == "leader":
            mine = tuple(d for d in open_duties if d.leader_id == person.leader_id)
            extra: tuple[Person, ...] = ()
        elif person.role == "admin":
            mine, extra = tuple(open_duties), unreachable
        else:
            continue
        if mine or extra:
            key = f"cuiban:{period.period}:{person.telegram_id}"
            pushes.append(Due(key, "cuiban", person, overdue, mine, deadline, period.period, extra))
    return pushes


def _due_date_pushes(world: World, schedule: Schedule) -> list[Due]:
    """Remind the lead unit's liaisons of targets nearing their own due date, one push a day."""
    today = world.now.date()
    liaisons = _liaisons(world)
    grouped: defaultdict[tuple[int, date], list[Duty]] = defaultdict(list)
    people: dict[int, Person] = {}
    for duty in world.duties:
        if duty.due_date is None or duty.completed:
            continue
        day = reminder_day(duty.due_date, schedule.due_days, today)
        if day is None:
            continue
        for person in liaisons.get(duty.unit_id, []):
            grouped[(person.telegram_id, day)].append(duty)
            people[person.telegram_id] = person
    return [
        Due(f"due:{telegram_id}:{day.isoformat()}", "due", people[telegram_id], day, tuple(duties))
        for (telegram_id, day), duties in sorted(grouped.items())
    ]


def _instruction_chases(world: World) -> list[Due]:
    """Chase the lead unit's liaisons once for an instruction unanswered past its due day.

    Like a missing report's overdue notice: one push per liaison and instruction, on the first
    working day after the due day (or when the bot runs again), never repeated; the author's
    weekly digest goes on listing it until the unit answers.
    """
    today = world.now.date()
    liaisons = _liaisons(world)
    return [
        Due(
            f"inchase:{chase.instruction_id}:{chase.unit_id}:{person.telegram_id}",
            "inchase",
            person,
            today,
            chases=(chase,),
        )
        for chase in world.chases
        if today > chase.reply_due
        for person in liaisons.get(chase.unit_id, [])
    ]


def digest_day(today: date, weekday: int) -> date | None:
    """Return this week's digest day: the weekday, or the next working day of the same week."""
    day = today - timedelta(days=today.isoweekday() - weekday)
    while day.isocalendar()[:2] == today.isocalendar()[:2]:
        if is_workday(day):
            return day
        day += timedelta(days=1)
    return None


def digest_keys(people: tuple[Person, ...], schedule: Schedule, today: date) -> dict[int, str]:
    """Return the leaders a digest is due to today, each with the digest's key."""
    if digest_day(today, schedule.digest_weekday) != today:
        return {}  # on its day only: a digest late in the week would be stale
    year, week, _ = today.isocalendar()
    return {
        person.telegram_id: f"digest:{year}W{week:02d}:{person.telegram_id}"
        for person in people
        if person.role == "leader"
        and person.active
        and not person.digest_muted
        # bound today: the first digest comes on the next digest day
        and (person.bound_on is None or person.bound_on < today)
    }


def _digests(world: World, schedule: Schedule) -> list[Due]:
    today = world.now.date()
    keys = digest_keys(world.people, schedule, today)
    pushes: list[Due] = []
    for person in world.people:
        key = keys.get(person.telegram_id)
        if key is None:
            continue
        lights = tuple(world.lights.get(person.leader_id or 0, []))
        chases = tuple(c for c in world.chases if c.author_id == person.telegram_id)
        if not lights and not chases:
            continue
        before = world.last_digest.get(person.telegram_id, {})
        changes = tuple(
            (light, before[str(light.number)])
            for light in lights
            if str(light.number) in before and before[str(light.number)] != light.light
        )
        pushes.append(
            Due(
                key,
                "digest",
                person,
                today,
                lights=lights,
                changes=changes,
                compared=bool(before),
                chases=chases,
            )
        )
    return pushes


def review_notices(
    now: datetime,
    schedule: Schedule,
    admins: tuple[Person, ...],
    waiting: tuple[Waiting, ...],
    announced: dict[int, int],
) -> list[Due]:
    """Return the gathered notices of submissions waiting for review, one per admin at most.

    `announced` holds, per admin, the newest report id an earlier notice told them of. A notice
    lists everything still waiting; it goes out once the submissions not yet told have stopped
    coming for GATHER_QUIET (or the first of them has waited GATHER_LONGEST), never in quiet
    hours, and its key (the newest report id) makes it once only.
    """
    if not waiting or in_quiet_hours(now.time(), schedule.quiet):
        return []
    notices: list[Due] = []
    for admin in admins:
        if not admin.active:
            continue
        new = [w for w in waiting if w.report_id > announced.get(admin.telegram_id, 0)]
        if not new:
            continue
        newest = max(w.submitted_at for w in new)
        oldest = min(w.submitted_at for w in new)
        if now - newest < GATHER_QUIET and now - oldest < GATHER_LONGEST:
            continue  # more may be on the way: tell them all in one message
        upto = max(w.report_id for w in new)
        key = f"review:{admin.telegram_id}:{upto}"
        notices.append(Due(key, "review", admin, now.date(), waiting=waiting))
    return notices
