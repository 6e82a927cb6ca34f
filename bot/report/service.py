"""The quarterly update: the open period, a unit's targets, drafts step by step, submission.

No Telegram here: the chat flow (handlers/report.py) calls these, and tests call them directly.
Every change is one transaction; every refusal is an `UpdateRefused` naming what is wrong.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import aiosqlite

from bot import clock
from bot.query.parse import ParsedQuery
from bot.report.periods import OpenPeriod, choose_open_period, just_ended, parse_period
from storage import audit, reports, targets
from storage import evidence as evidence_rows
from storage import extensions as extension_requests
from storage.db import transaction
from storage.evidence import Evidence
from storage.reports import Draft, Revision, TaskRow
from storage.targets import Plan, Report

MAX_PROGRESS = 2000  # characters of progress text, all messages joined
MAX_REASON = 500  # characters of a reason or a remedy

# The steps of the flow; a draft is always at one of them. EVIDENCE (optional, from the
# preview) takes photos and documents; a file sent at any other step is taken all the same.
PROGRESS, STATUS, REASON, REMEDY, PREVIEW = "progress", "status", "reason", "remedy", "preview"
EVIDENCE = "evidence"


class UpdateRefused(Exception):
    """The update cannot go on as asked; `key` and `values` render the reason for the user."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key, values)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class Window:
    """The current plan and the period open for reports in it (None: an admin closed it)."""

    plan: Plan
    open: OpenPeriod | None
    ended: OpenPeriod | None = None  # the quarter before, its announced deadline just passed

    def accepting(self, today: date) -> OpenPeriod:
        """Return the open period if it still takes reports today, or say why not."""
        if self.open is None:
            raise UpdateRefused("report.closed")
        if not self.open.accepts(today):
            assert self.open.deadline is not None
            raise UpdateRefused(
                "report.deadline_passed",
                period=self.open.period,
                deadline=self.open.deadline.isoformat(),
            )
        return self.open


@dataclass(frozen=True)
class Task(TaskRow):
    """One of a unit's targets in a period, and where the unit's update for it stands."""

    state: str  # draft (being written), else the report state
    report_state: str  # missing, submitted, pending (awaits review) or returned
    latest: Report | None  # the unit's latest revision for the period
    comment: str | None = None  # the reviewer's words when that revision was returned

    @property
    def done(self) -> bool:
        """Tell whether the unit has submitted something that was not sent back."""
        return self.report_state in ("submitted", "pending")


@dataclass(frozen=True)
class Receipt:
    """What was stored: the target, period, revision and time; `repeated` for a second tap."""

    number: int
    content: str
    period: str
    revision: int
    at: str
    status: str
    pending_review: bool
    assignment_id: int = 0
    repeated: bool = False
    files: tuple[Evidence, ...] = ()  # the evidence kept with the revision


@dataclass(frozen=True)
class Background:
    """What a liaison sees while writing: last period's text, other units' parts, own revisions."""

    previous: Report | None
    others: list[tuple[str, Report]]  # (unit, latest revision) of the other units this period
    mine: list[Revision]  # own revisions this period with their review
    extended: bool = False  # an approved extension request (延期) moved the due date
    units: tuple[str, ...] = ()  # the assignment's units, lead unit first


async def window(conn: aiosqlite.Connection, today: date, days: int) -> Window | None:
    """Return the current plan and its open period as of `today`; None without a plan."""
    plan = await targets.current_plan(conn)
    if plan is None:
        return None
    decisions = await reports.decisions(conn, plan.id)
    chosen = choose_open_period(
        plan_year=plan.year,
        today=today,
        latest_reported=await reports.latest_reported(conn, plan.id),
        decisions=decisions,
        days=days,
    )
    return Window(plan, chosen, just_ended(chosen, today=today, decisions=decisions))


async def tasks(
    conn: aiosqlite.Connection, unit_id: int, period: str, *, only: int | None = None
) -> list[Task]:
    """Return a unit's targets in the current plan for a period: still to do first, by number.

    `only` narrows it to one assignment (every step of the flow checks its own). A constant
    number of queries, whatever the number of targets: the list, not a query per target.
    """
    drafts = await reports.drafts_of_unit(conn, unit_id, period)
    latest_revisions = await reports.latest_of_unit(conn, unit_id, period, only=only)
    found: list[Task] = []
    for row in await reports.unit_assignments(conn, unit_id, only=only):
        aid = row.assignment_id
        revision = latest_revisions.get(aid)
        latest = revision.report if revision else None
        state = (
            report_state(latest.needs_review, revision.decision)
            if latest is not None and revision is not None
            else "missing"
        )
        found.append(
            Task(
                **vars(row),
                state="draft" if aid in drafts else state,
                report_state=state,
                latest=latest,
                comment=revision.comment if revision and state == "returned" else None,
            )
        )
    order = {"returned": 0, "draft": 1, "missing": 2, "pending": 3, "submitted": 4}
    return sorted(found, key=lambda task: (order[task.state], task.number))


def report_state(needs_review: bool, decision: str | None) -> str:
    """Return where a revision stands: returned, pending (awaits review) or submitted."""
    if decision == "returned":
        return "returned"
    if needs_review and decision is None:
        return "pending"
    return "submitted"


async def lead_states(conn: aiosqlite.Connection, period: str) -> dict[int, str]:
    """Return, per assignment, where its lead unit's update for a period stands (or draft)."""
    states = {
        assignment_id: report_state(needs_review, decision)
        for assignment_id, (needs_review, decision) in (
            await reports.lead_revisions(conn, period)
        ).items()
    }
    for assignment_id in await reports.lead_drafts(conn, period):
        states.setdefault(assignment_id, "draft")
    return states


def _own(revision: Revision, unit_id: int, lead: bool) -> bool:
    """Tell whether a revision is the unit's (imported rows are the lead unit's)."""
    return revision.report.unit_id == unit_id or (lead and revision.report.unit_id is None)


async def task_for(
    conn: aiosqlite.Connection, unit_id: int, assignment_id: int, period: str
) -> Task | None:
    """Return the unit's task for an assignment, or None when the unit has no part in it."""
    found = await tasks(conn, unit_id, period, only=assignment_id)
    return found[0] if found else None


async def background(
    conn: aiosqlite.Connection, task: Task, unit_id: int, period: str
) -> Background:
    """Return what the writer sees beside the form: last period, other units, own revisions."""
    revisions = await reports.unit_reports(conn, task.assignment_id, period)
    others: list[tuple[str, Report]] = []
    units = await reports.assignment_units(conn, task.assignment_id)
    for other in units:
        if other.id == unit_id:
            continue
        theirs = [r.report for r in revisions if r.report.unit_id == other.id]
        if theirs:
            others.append((other.name, theirs[-1]))
    mine = [r for r in revisions if _own(r, unit_id, task.lead)]
    previous = await reports.latest_before(conn, task.assignment_id, period)
    moved = await extension_requests.list_requests(conn, state="approved", target_id=task.target_id)
    return Background(
        previous, others, mine, extended=bool(moved), units=tuple(u.name for u in units)
    )


# ---------------------------------------------------------------------------- drafts


async def begin(
    conn: aiosqlite.Connection,
    *,
    telegram_id: int,
    chat_id: int,
    unit_id: int,
    task: Task,
    period: str,
) -> Draft:
    """Start (and store) a draft for a task; a revision starts from the unit's latest text.

    A revision also starts with the latest revision's evidence (copies of its rows, the same
    files): what is not removed in the draft is carried to the new revision.
    """
    now = clock.stamp()
    latest = task.latest
    draft = Draft(
        telegram_id=telegram_id,
        key=secrets.token_urlsafe(9),
        chat_id=chat_id,
        assignment_id=task.assignment_id,
        unit_id=unit_id,
        period=period,
        step=PROGRESS,
        progress=latest.progress if latest else "",
        status=latest.status if latest else None,
        reason=latest.reason if latest else None,
        remedy=latest.remedy if latest else None,
        replace_next=latest is not None,
        started_at=now,
        updated_at=now,
    )
    async with transaction(conn):
        await evidence_rows.drop(conn, "draft", telegram_id)
        if latest is not None:
            await evidence_rows.copy(
                conn, "report", latest.id, "draft", telegram_id, added_by=telegram_id, added_at=now
            )
        await reports.save_draft(conn, draft)
    return draft


async def store(conn: aiosqlite.Connection, draft: Draft) -> None:
    """Keep the draft as it is now, in one transaction."""
    async with transaction(conn):
        await reports.save_draft(conn, draft.but(updated_at=clock.stamp()))


def add_text(draft: Draft, text: str, message_id: int) -> Draft:
    """Return the draft with a progress message added (or replacing, after an edit request).

    A message already taken (the same update delivered twice) changes nothing.
    """
    if message_id and message_id <= draft.last_message_id:
        return draft
    piece = text.strip()
    if not piece:
        raise UpdateRefused("report.empty_text")
    alone = draft.replace_next or not draft.progress
    joined = piece if alone else f"{draft.progress}\n{piece}"
    if len(joined) > MAX_PROGRESS:
        if alone:
            raise UpdateRefused("report.too_long_alone", length=len(piece), limit=MAX_PROGRESS)
        raise UpdateRefused(
            "report.too_long", length=len(joined), limit=MAX_PROGRESS, piece=len(piece)
        )
    return draft.but(
        progress=joined,
        replace_next=False,
        last_message_id=message_id,
        held_text=None,
        held_message_id=0,
    )


def complete(draft: Draft) -> bool:
    """Tell whether the draft holds everything a submission needs."""
    if not draft.progress.strip() or draft.status is None:
        return False
    return draft.status != "behind" or bool(draft.reason and draft.remedy)


def _onward(draft: Draft, step: str) -> Draft:
    """Return the draft at `step`, or at the preview when it came from there and is complete."""
    if draft.back_to_preview and complete(draft):
        return draft.but(step=PREVIEW, back_to_preview=False)
    return draft.but(step=step, back_to_preview=draft.back_to_preview and step != PREVIEW)


def back_to_preview(draft: Draft) -> Draft:
    """Return the draft back at its preview, unchanged (a step opened from there and left)."""
    if not complete(draft):
        raise UpdateRefused("report.incomplete")
    return draft.but(step=PREVIEW, back_to_preview=False, replace_next=False)


def to_evidence(draft: Draft) -> Draft:
    """Return the draft at its evidence step (opened from the preview, which it returns to)."""
    if not complete(draft):
        raise UpdateRefused("report.incomplete")
    return draft.but(step=EVIDENCE, back_to_preview=False, replace_next=False)


def hold(draft: Draft, text: str, message_id: int) -> Draft:
    """Return the draft keeping a message that read as a question until the writer places it."""
    if message_id and (message_id <= draft.last_message_id or message_id == draft.held_message_id):
        return draft
    return draft.but(held_text=text, held_message_id=message_id)


def place_held(draft: Draft) -> Draft:
    """Return the draft with the held message placed where the writer is: progress, or reasons."""
    text, held_id = draft.held_text, draft.held_message_id
    if text is None:
        raise UpdateRefused("report.stale_button")
    if draft.step == PROGRESS:
        placed = add_text(draft, text, 0)
    elif draft.step in (REASON, REMEDY):
        placed = set_reason(draft, text, 0, remedy=draft.step == REMEDY)
    else:
        raise UpdateRefused("report.stale_button")
    return placed.but(last_message_id=max(draft.last_message_id, held_id))


def next_task(tasks: list[Task], done_assignment: int) -> Task | None:
    """Return the unit's next target still to do after one was submitted (list order)."""
    return next(
        (t for t in tasks if not t.done and t.assignment_id != done_assignment),
        None,
    )


def reads_as_question(parsed: ParsedQuery) -> str | None:
    """Tell how a message typed in the middle of an update reads.

    `question`: it names only targets, leaders, units, periods or "my" targets (`#96 进展`,
    `水务局`, `我的`), or is only a courtesy (`谢谢`), which no progress text is; `maybe`: it has
    status or deadline words (`已完成`, `96号已完成`), which a short progress text may have too;
    None: anything else, taken as the writer's text.
    """
    if parsed.keywords or parsed.unplaced:
        return None
    if parsed.statuses or parsed.deadline:
        return "maybe"
    named = parsed.numbers or parsed.leaders or parsed.units or parsed.ambiguous or parsed.period
    if named or parsed.mine:
        return "question"
    return "question" if parsed.courtesy else None


def set_status(draft: Draft, status: str) -> Draft:
    """Return the draft with its status chosen and the next step: reasons when behind."""
    if status not in targets.STATUSES:
        raise UpdateRefused("report.stale_button")
    if not draft.progress.strip():
        raise UpdateRefused("report.no_progress")
    chosen = draft.but(status=status)
    if status == "behind" and not draft.reason:
        return chosen.but(step=REASON)
    if status == "behind" and not draft.remedy:
        return chosen.but(step=REMEDY)
    return chosen.but(step=PREVIEW, back_to_preview=False)


def set_reason(draft: Draft, text: str, message_id: int, *, remedy: bool) -> Draft:
    """Return the draft with the reason (or the remedy) of a delay, and the next step."""
    if message_id and message_id <= draft.last_message_id:
        return draft
    value = text.strip()
    if not value:
        raise UpdateRefused("report.empty_text")
    if len(value) > MAX_REASON:
        raise UpdateRefused("report.reason_too_long", length=len(value), limit=MAX_REASON)
    taken = draft.but(last_message_id=message_id, held_text=None, held_message_id=0)
    if remedy:
        return taken.but(remedy=value, step=PREVIEW, back_to_preview=False)
    return _onward(taken.but(reason=value), REMEDY if not draft.remedy else PREVIEW)


def edit(draft: Draft, step: str) -> Draft:
    """Return the draft sent back to one step from the preview; it returns there when done.

    Progress is replaced by the next message.
    """
    if step not in (PROGRESS, STATUS, REASON, REMEDY):
        raise UpdateRefused("report.stale_button")
    if step in (REASON, REMEDY) and draft.status != "behind":
        raise UpdateRefused("report.stale_button")
    return draft.but(
        step=step, replace_next=step == PROGRESS or draft.replace_next, back_to_preview=True
    )


def ready(draft: Draft) -> Draft:
    """Return the draft moved from writing progress on to choosing a status (or its preview)."""
    if not draft.progress.strip():
        raise UpdateRefused("report.no_progress")
    return _onward(draft.but(replace_next=False), STATUS)


def idle(draft: Draft, now: datetime, limit: timedelta) -> bool:
    """Tell whether a draft was left alone longer than `limit` (the flow then pauses)."""
    return bool(draft.updated_at) and now - datetime.fromisoformat(draft.updated_at) > limit


def equals_previous(draft: Draft, previous: Report | None) -> bool:
    """Tell whether the progress text is last period's, word for word (spaces aside)."""
    return previous is not None and "".join(draft.progress.split()) == "".join(
        previous.progress.split()
    )


async def discard(conn: aiosqlite.Connection, telegram_id: int) -> bool:
    """Throw a user's draft (and the evidence taken into it) away; False if there was none."""
    async with transaction(conn):
        await evidence_rows.drop(conn, "draft", telegram_id)
        return await reports.delete_draft(conn, telegram_id)


async def pause(conn: aiosqlite.Connection, telegram_id: int) -> Draft | None:
    """Mark a user's draft as left idle: kept, and resumed only by /report.

    Return the draft paused now; None when there is none or it was paused already.
    """
    async with transaction(conn):
        draft = await reports.get_draft(conn, telegram_id)
        if draft is None or draft.paused:
            return None
        paused = draft.but(paused=True, updated_at=clock.stamp())
        await reports.save_draft(conn, paused)
    return paused


async def idle_drafts(conn: aiosqlite.Connection, now: datetime, limit: timedelta) -> list[Draft]:
    """Return the drafts in the flow that were left alone longer than `limit`."""
    return [d for d in await reports.active_drafts(conn) if idle(d, now, limit)]


# ---------------------------------------------------------------------------- submitting


async def submit(
    conn: aiosqlite.Connection,
    key: str,
    *,
    telegram_id: int,
    unit_id: int,
    today: date,
    days: int,
    review_required: bool,
) -> Receipt:
    """Store the draft `key` as the next revision, in one transaction, and forget the draft.

    Submitting the same draft again (a double tap, an update delivered twice) stores nothing
    and returns the first receipt.
    """
    async with transaction(conn):
        done = await reports.report_by_draft(conn, key)
        if done is not None and done.submitted_by != telegram_id:
            raise UpdateRefused("report.stale_button")  # another's key: show nothing of it
        if done is not None:
            target = await reports.target_of(conn, done.assignment_id)
            files = await evidence_rows.list_for(conn, "report", done.id)
            return _receipt(target, done, repeated=True, files=files)
        draft = await reports.get_draft(conn, telegram_id)
        if draft is None or draft.key != key:
            raise UpdateRefused("report.stale_button")
        if draft.unit_id != unit_id:
            raise UpdateRefused("report.not_your_target")
        current = await window(conn, today, days)
        if current is None:
            raise UpdateRefused("report.closed")
        period = current.accepting(today)
        if period.period != draft.period:
            raise UpdateRefused("report.period_changed", period=draft.period)
        task = await task_for(conn, unit_id, draft.assignment_id, draft.period)
        if task is None:
            raise UpdateRefused("report.not_your_target")
        if not draft.progress.strip() or draft.status is None:
            raise UpdateRefused("report.incomplete")
        behind = draft.status == "behind"
        if behind and not (draft.reason and draft.remedy):
            raise UpdateRefused("report.incomplete")
        now = clock.stamp()
        revision = await targets.append_report(
            conn,
            draft.assignment_id,
            draft.period,
            draft.progress,
            draft.status,
            source="chat",
            at=now,
            submitted_by=telegram_id,
            reason=draft.reason if behind else None,
            remedy=draft.remedy if behind else None,
            unit_id=unit_id,
            needs_review=review_required,
            draft_key=key,
        )
        stored = await reports.report_by_draft(conn, key)
        assert stored is not None
        # The draft's evidence becomes the revision's in this same transaction.
        await evidence_rows.move(conn, "draft", telegram_id, "report", stored.id)
        files = await evidence_rows.list_for(conn, "report", stored.id)
        await reports.delete_draft(conn, telegram_id)
        await audit.record(
            conn,
            actor=f"user:{telegram_id}",
            action="report_submit",
            subject=f"assignment:{draft.assignment_id}",
            at=now,
            detail={
                "target": task.number,
                "period": draft.period,
                "revision": revision,
                "status": draft.status,
                "unit_id": unit_id,
                "lead": task.lead,
                "needs_review": review_required,
                "evidence": [item.name for item in files],
            },
        )
        target = await reports.target_of(conn, draft.assignment_id)
    return _receipt(target, stored, repeated=False, files=files)


def _receipt(
    target: tuple[int, str], report: Report, *, repeated: bool, files: list[Evidence]
) -> Receipt:
    return Receipt(
        number=target[0],
        content=target[1],
        period=report.period,
        revision=report.revision,
        at=report.submitted_at,
        status=report.status,
        pending_review=report.needs_review,
        assignment_id=report.assignment_id,
        repeated=repeated,
        files=tuple(files),
    )


# ---------------------------------------------------------------------------- admins


@dataclass(frozen=True)
class Decision:
    """A review made: the report, its target, and whom to tell."""

    report: Report
    number: int
    content: str
    decision: str
    comment: str | None


async def decide_review(
    conn: aiosqlite.Connection,
    report_id: int,
    decision: str,
    comment: str | None,
    *,
    reviewer: int,
) -> Decision:
    """Approve or return a submission waiting for review, once."""
    if decision not in ("approved", "returned"):
        raise UpdateRefused("review.stale")
    now = clock.stamp()
    async with transaction(conn):
        report = await reports.report_by_id(conn, report_id)
        if report is None or not report.needs_review:
            raise UpdateRefused("review.stale")
        if not await reports.record_review(
            conn, report_id, decision, comment, reviewer=reviewer, at=now
        ):
            raise UpdateRefused("review.already", decision=await reports.review_of(conn, report_id))
        number, content = await reports.target_of(conn, report.assignment_id)
        await audit.record(
            conn,
            actor=f"user:{reviewer}",
            action=f"review_{decision}",
            subject=f"report:{report_id}",
            at=now,
            detail={"target": number, "period": report.period, "comment": comment},
        )
    return Decision(report, number, content, decision, comment)


async def period_state(conn: aiosqlite.Connection, period: str) -> str | None:
    """Return what an admin (or an announcement) decided for a period of the plan, if anything."""
    plan = await targets.current_plan(conn)
    if plan is None:
        return None
    decided = (await reports.decisions(conn, plan.id)).get(period)
    return decided[0] if decided else None


async def set_period(
    conn: aiosqlite.Connection,
    period: str,
    state: str,
    deadline: date | None,
    *,
    actor: str,
) -> Plan:
    """Open (with an optional deadline) or close a period of the current plan, audited."""
    parse_period(period)
    plan = await targets.current_plan(conn)
    if plan is None:
        raise UpdateRefused("period.no_plan")
    now = clock.stamp()
    async with transaction(conn):
        await reports.decide(conn, plan.id, period, state, deadline, by=actor, at=now)
        await audit.record(
            conn,
            actor=actor,
            action=f"period_{state}",
            subject=f"plan:{plan.id}:{period}",
            at=now,
            detail={"deadline": deadline.isoformat() if deadline else None},
        )
    return plan
