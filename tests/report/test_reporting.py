"""The quarterly update's domain: open periods, drafts, submission, revisions, official rows."""

from __future__ import annotations

from datetime import date

import aiosqlite
import pytest

from bot.report import service as reporting
from bot.report.periods import choose_open_period, parse_day
from bot.report.service import MAX_PROGRESS, UpdateRefused
from storage import reports, targets
from storage.db import transaction
from tests.conftest import scalar

LIAISON = 2002
TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("today", "latest", "decisions", "expected"),
    [
        # Within the plan's year the calendar decides; deadline 5 days after the quarter.
        (date(2023, 8, 15), "2023Q2", {}, ("2023Q3", date(2023, 10, 5), "calendar")),
        # The first days after a quarter still report on it.
        (date(2023, 10, 3), "2023Q3", {}, ("2023Q3", date(2023, 10, 5), "calendar")),
        (date(2023, 10, 6), "2023Q3", {}, ("2023Q4", date(2024, 1, 5), "calendar")),
        # A plan imported before its year starts opens its first quarter.
        (date(2022, 12, 20), None, {}, ("2023Q1", date(2023, 4, 5), "calendar")),
        # The year is over (the 2023 demo table in 2026): the quarter after the latest reported
        # stays open without a deadline until an admin closes it.
        (TODAY, "2023Q3", {}, ("2023Q4", None, "plan")),
        (TODAY, "2023Q4", {}, ("2023Q4", None, "plan")),
        # An admin's decision wins.
        (
            TODAY,
            "2023Q3",
            {"2023Q3": ("open", date(2026, 12, 1))},
            ("2023Q3", date(2026, 12, 1), "admin"),
        ),
        (TODAY, "2023Q3", {"2023Q4": ("closed", None)}, None),
    ],
)
def test_the_open_period_and_its_deadline(
    today: date,
    latest: str | None,
    decisions: dict[str, tuple[str, date | None]],
    expected: tuple[str, date | None, str] | None,
) -> None:
    chosen = choose_open_period(
        plan_year=2023, today=today, latest_reported=latest, decisions=decisions
    )
    assert (chosen and (chosen.period, chosen.deadline, chosen.how)) == expected


def test_deadlines_are_read_as_written() -> None:
    assert parse_day("2024-01-05") == date(2024, 1, 5)
    assert parse_day("2024/1/5") == date(2024, 1, 5)
    assert parse_day("2024年1月5日") == date(2024, 1, 5)
    assert parse_day("2024-02-30") is None
    assert parse_day("下周") is None


async def _water(db: aiosqlite.Connection) -> int:
    """Return the id of 市水务局 in the demo table."""
    unit = next(u for u in await targets.list_units(db) if u.name == "市水务局")
    return unit.id


async def _draft_for(db: aiosqlite.Connection, unit_id: int, number: int) -> reports.Draft:
    period = "2023Q4"
    task = next(t for t in await reporting.tasks(db, unit_id, period) if t.number == number)
    return await reporting.begin(
        db, telegram_id=LIAISON, chat_id=LIAISON, unit_id=unit_id, task=task, period=period
    )


async def test_a_units_tasks_are_its_own_targets_with_the_lead_marked(
    demo: aiosqlite.Connection,
) -> None:
    unit_id = await _water(demo)
    tasks = await reporting.tasks(demo, unit_id, "2023Q4")
    assert [(t.number, t.lead, t.state) for t in tasks] == [
        (90, True, "missing"),
        (93, True, "missing"),
        (96, True, "missing"),
    ]
    # #53 is led by 市工业和信息化局; 东明县人民政府 assists and sees it as assisting.
    units = {u.name: u.id for u in await targets.list_units(demo)}
    industry = {
        t.number: t.lead for t in await reporting.tasks(demo, units["市工业和信息化局"], "2023Q4")
    }
    assert len(industry) == 20
    assert industry[53] is True
    county = {
        t.number: t.lead for t in await reporting.tasks(demo, units["东明县人民政府"], "2023Q4")
    }
    assert county == {53: False}


async def test_progress_text_joins_messages_and_refuses_what_is_too_long_or_empty(
    demo: aiosqlite.Connection,
) -> None:
    draft = await _draft_for(demo, await _water(demo), 90)
    draft = reporting.add_text(draft, "第一段", 10)
    draft = reporting.add_text(draft, "第二段", 11)
    assert draft.progress == "第一段\n第二段"
    assert reporting.add_text(draft, "第二段", 11) is draft  # the same message again
    with pytest.raises(UpdateRefused) as empty:
        reporting.add_text(draft, "   ", 12)
    assert empty.value.key == "report.empty_text"
    with pytest.raises(UpdateRefused) as long:
        reporting.add_text(draft, "字" * MAX_PROGRESS, 13)
    assert long.value.key == "report.too_long"
    assert long.value.values["length"] == MAX_PROGRESS + 8


async def _submit(
    db: aiosqlite.Connection, draft: reports.Draft, *, store: bool = True, today: date = TODAY
) -> object:
    if store:
        await reporting.store(db, draft)
    return await reporting.submit(
        db,
        draft.key,
        telegram_id=LIAISON,
        unit_id=draft.unit_id,
        today=today,
        days=5,
        review_required=False,
    )


async def test_a_submission_is_stored_once_and_a_revision_keeps_the_first(
    demo: aiosqlite.Connection,
) -> None:
    unit_id = await _water(demo)
    draft = await _draft_for(demo, unit_id, 90)
    draft = reporting.add_text(draft, "完成投资20亿元", 5)
    draft = reporting.set_status(reporting.ready(draft), "behind")
    assert draft.step == "reason"
    draft = reporting.set_reason(draft, "汛期停工", 6, remedy=False)
    draft = reporting.set_reason(draft, "增加班组", 7, remedy=True)
    assert draft.step == "preview"
    first = await _submit(demo, draft)
    again = await _submit(demo, draft, store=False)  # a double tap on confirm
    assert isinstance(first, reporting.Receipt)
    assert isinstance(again, reporting.Receipt)
    assert (first.number, first.period, first.revision, again.repeated) == (90, "2023Q4", 1, True)
    assert await scalar(demo, "SELECT COUNT(*) FROM report WHERE period = '2023Q4'") == 1
    assert await reports.get_draft(demo, LIAISON) is None

    revising = await _draft_for(demo, unit_id, 90)
    assert (revising.progress, revising.replace_next) == ("完成投资20亿元", True)
    revising = reporting.add_text(revising, "完成投资24亿元", 20)
    assert revising.progress == "完成投资24亿元"  # replaced, not added to
    second = await _submit(demo, reporting.set_status(reporting.ready(revising), "on_track"))
    assert isinstance(second, reporting.Receipt)
    assert second.revision == 2
    async with demo.execute(
        "SELECT revision, progress, status, reason, remedy, submitted_by FROM report "
        "WHERE period = '2023Q4' ORDER BY revision"
    ) as cursor:
        rows = [tuple(row) for row in await cursor.fetchall()]
    assert rows == [
        (1, "完成投资20亿元", "behind", "汛期停工", "增加班组", LIAISON),
        (2, "完成投资24亿元", "on_track", None, None, LIAISON),
    ]


async def test_after_the_deadline_a_submission_is_refused_and_nothing_is_stored(
    demo: aiosqlite.Connection,
) -> None:
    unit_id = await _water(demo)
    await reporting.set_period(demo, "2023Q4", "open", date(2026, 11, 20), actor="test")
    draft = reporting.add_text(await _draft_for(demo, unit_id, 93), "节水型城市创建通过验收", 3)
    with pytest.raises(UpdateRefused) as refused:
        await _submit(demo, reporting.set_status(reporting.ready(draft), "completed"))
    assert refused.value.key == "report.deadline_passed"
    assert refused.value.values == {"period": "2023Q4", "deadline": "2026-11-20"}
    assert await scalar(demo, "SELECT COUNT(*) FROM report WHERE period = '2023Q4'") == 0
    assert (await reports.get_draft(demo, LIAISON)) is not None  # the words are kept


async def test_only_the_lead_units_part_is_official(demo: aiosqlite.Connection) -> None:
    target = next(t for t in await targets.list_targets(demo, 1) if t.number == 53)
    assignment = target.assignments[0]
    assert assignment.units[0] == "市工业和信息化局"
    units = {u.name: u.id for u in await targets.list_units(demo)}
    async with transaction(demo):
        await targets.append_report(
            demo,
            assignment.id,
            "2023Q4",
            "配合单位的部分",
            "behind",
            source="chat",
            at="2026-11-25T01:00:00+00:00",
            unit_id=units[assignment.units[1]],
        )
    latest = next(t for t in await targets.list_targets(demo, 1) if t.number == 53)
    report = latest.assignments[0].latest_report
    assert report is not None
    assert (report.period, report.status) == ("2023Q3", "on_track")


def test_a_revision_stands_returned_pending_or_submitted() -> None:
    assert reporting.report_state(needs_review=False, decision=None) == "submitted"
    assert reporting.report_state(needs_review=True, decision=None) == "pending"
    assert reporting.report_state(needs_review=True, decision="approved") == "submitted"
    assert reporting.report_state(needs_review=True, decision="returned") == "returned"
    assert reporting.report_state(needs_review=False, decision="returned") == "returned"
