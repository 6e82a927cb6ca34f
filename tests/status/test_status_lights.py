"""The light rule on its own: statuses, overdue, at risk, carried reports and target lights."""

from __future__ import annotations

import logging
from array import array
from dataclasses import dataclass, field
from datetime import date

import pytest

from bot.status import lights
from bot.status.lights import LIGHT_ORDER, StatusView, latest_period, reading, status_view

YEAR = 2023
Q3_DAY = date(2023, 10, 8)


@dataclass(frozen=True)
class Row:
    """An assignment: its target's index and its reports by period."""

    target: int
    reports: dict[str, tuple[str, str]] = field(default_factory=dict)
    id: int = 0


@dataclass(frozen=True)
class Goal:
    """A target: its number, text, due date and assignment indexes."""

    number: int
    assignments: tuple[int, ...]
    content: str = "新建服务站50个"
    due_date: date | None = None
    closed_on: date | None = None


def view(
    goals: list[Goal],
    rows: list[Row],
    period: str | None = "2023Q3",
    as_of: date = Q3_DAY,
    *,
    margin: float = 0.15,
    carry: bool = False,
) -> StatusView:
    owners = array("i", (row.target for row in rows))
    return status_view(goals, rows, owners, period, as_of, year=YEAR, margin=margin, carry=carry)


def one(status: str, progress: str = "", **goal: object) -> StatusView:
    """Return the view of one target with one assignment reported for 2023Q3."""
    return view([Goal(1, (0,), **goal)], [Row(0, {"2023Q3": (status, progress)})])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "light"),
    [("on_track", "🟢"), ("completed", "🟢"), ("behind", "🔴"), ("not_submitted", "⚪")],
)
def test_a_reported_status_is_shown_with_its_light(status: str, light: str) -> None:
    shown = one(status)
    assert shown.of == [status]
    assert shown.status_of([0]) == status
    assert shown.light_of([0]) == light
    assert list(shown.members[status]) == [0]


def test_an_unreported_assignment_is_not_submitted_and_white() -> None:
    shown = view([Goal(1, (0,))], [Row(0, {"2023Q2": ("behind", "")})])
    assert shown.of == ["not_submitted"]
    assert shown.light_of([0]) == "⚪"
    assert shown.carried == {}


def test_a_view_without_a_period_sees_nothing_reported() -> None:
    shown = view([Goal(1, (0,))], [Row(0, {"2023Q3": ("on_track", "")})], period=None)
    assert shown.of == ["not_submitted"]
    assert shown.risks == {}


@pytest.mark.parametrize(
    ("status", "seen"),
    [
        ("on_track", "overdue"),
        ("not_submitted", "overdue"),
        ("behind", "behind"),
        ("completed", "completed"),
    ],
)
def test_past_its_due_date_an_unfinished_target_is_overdue(status: str, seen: str) -> None:
    assert one(status, due_date=date(2023, 10, 1)).of == [seen]
    assert one(status, due_date=Q3_DAY).of == [status]  # due today is not yet overdue


def test_on_track_but_trailing_the_time_gone_is_at_risk() -> None:
    # 18 of 50 (36 %) at the end of Q3, 75 % of the year: 39 points behind.
    shown = one("on_track", "已建成服务站18个")
    assert shown.of == ["at_risk"]
    assert shown.light_of([0]) == "🟡"
    risk = shown.risk_of([0])
    assert risk is not None
    assert (risk.estimate.share, risk.elapsed) == (0.36, 0.75)
    assert risk.lag == pytest.approx(0.39)


def test_the_margin_decides_how_far_behind_is_at_risk() -> None:
    rows = [Row(0, {"2023Q3": ("on_track", "已建成服务站18个")})]
    assert view([Goal(1, (0,))], rows, margin=0.40).of == ["on_track"]
    assert view([Goal(1, (0,))], rows, margin=0.38).of == ["at_risk"]


def test_numbers_do_not_overrule_other_statuses() -> None:
    assert one("behind", "已建成服务站1个").of == ["behind"]
    assert one("completed", "已建成服务站1个").of == ["completed"]
    assert one("on_track", "已建成服务站45个").of == ["on_track"]


def test_carry_shows_the_latest_earlier_report_until_the_period_has_one() -> None:
    rows = [
        Row(0, {"2023Q1": ("on_track", ""), "2023Q2": ("behind", "")}),
        Row(1, {"2023Q3": ("on_track", "")}),
        Row(2, {}),
    ]
    goals = [Goal(1, (0,)), Goal(2, (1,)), Goal(3, (2,))]
    carried = view(goals, rows, carry=True)
    assert carried.of == ["behind", "on_track", "not_submitted"]
    assert carried.carried == {0: "2023Q2"}
    assert list(carried.members["not_submitted"]) == [0, 2]  # still not reported for Q3
    assert carried.carried_from([0]) == "2023Q2"
    assert carried.carried_from([1]) is None
    assert view(goals, rows).of == ["not_submitted", "on_track", "not_submitted"]


def test_a_status_this_period_also_has_is_not_said_to_be_carried() -> None:
    rows = [Row(0, {"2023Q2": ("on_track", "")}), Row(0, {"2023Q3": ("on_track", "")})]
    shown = view([Goal(1, (0, 1))], rows, carry=True)
    assert shown.carried_from([0, 1]) is None
    assert shown.carried_from([0]) == "2023Q2"


def test_a_target_shows_its_most_urgent_assignment() -> None:
    rows = [
        Row(0, {"2023Q3": ("completed", "")}),
        Row(0, {"2023Q3": ("behind", "")}),
        Row(1, {"2023Q3": ("on_track", "")}),
        Row(1, {}),
        Row(2, {"2023Q3": ("on_track", "已建成服务站18个")}),
    ]
    goals = [Goal(1, (0, 1)), Goal(2, (2, 3)), Goal(3, (4,)), Goal(4, ())]
    shown = view(goals, rows)
    assert [shown.status_of(g.assignments) for g in goals] == [
        "behind",
        "not_submitted",
        "at_risk",
        "not_submitted",
    ]
    # Per light of LIGHT_ORDER (red, yellow, white, green) the targets with it; a target
    # without assignments is white.
    assert {light: list(found) for light, found in zip(LIGHT_ORDER, shown.lights, strict=True)} == {
        "🔴": [0],
        "🟡": [2],
        "⚪": [1, 3],
        "🟢": [],
    }
    assert list(shown.order) == [0, 2, 1, 3]


def test_within_a_light_targets_keep_their_order() -> None:
    rows = [Row(t, {"2023Q3": ("on_track", "")}) for t in range(3)]
    shown = view([Goal(n, (n,)) for n in range(3)], rows)
    assert list(shown.order) == [0, 1, 2]
    assert list(shown.lights[LIGHT_ORDER.index("🟢")]) == [0, 1, 2]


def test_the_risk_of_a_target_is_its_assignment_furthest_behind() -> None:
    rows = [
        Row(0, {"2023Q3": ("on_track", "已建成服务站30个")}),
        Row(0, {"2023Q3": ("on_track", "已建成服务站10个")}),
        Row(0, {"2023Q3": ("on_track", "正在推进")}),  # no numbers: no risk
    ]
    shown = view([Goal(1, (0, 1, 2))], rows)
    risk = shown.risk_of([0, 1, 2])
    assert risk is not None
    assert risk.estimate.share == 0.2
    assert shown.risk_of([2]) is None
    assert set(shown.risks) == {0, 1}


def test_a_carried_report_is_read_against_its_own_period_end() -> None:
    rows = [Row(0, {"2023Q2": ("on_track", "已建成服务站18个")})]
    shown = view([Goal(1, (0,))], rows, carry=True)
    risk = shown.risk_of([0])
    assert risk is not None
    assert risk.elapsed == 0.5  # Q2 ends at half the year: 36 % is within the margin
    assert shown.of == ["on_track"]


@pytest.mark.parametrize(
    ("periods", "today", "latest"),
    [
        ([], date(2023, 10, 8), (None, date(2023, 10, 8))),
        (["2023Q2", "2023Q3"], date(2023, 10, 8), ("2023Q3", date(2023, 9, 30))),
        (["2023Q3", "2023Q4"], date(2023, 11, 1), ("2023Q4", date(2023, 11, 1))),
    ],
)
def test_the_latest_period_is_judged_as_of_its_end_at_the_latest(
    periods: list[str], today: date, latest: tuple[str | None, date]
) -> None:
    assert latest_period(periods, today) == latest


def test_a_reading_that_fails_or_is_not_finite_is_logged_and_left_out(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    goal = Goal(7, (0,))
    assert reading(goal, 11, "已建成服务站18个") is not None

    def broken(target: str, progress: str) -> None:
        raise OverflowError("too large")

    monkeypatch.setattr(lights, "estimate", broken)
    with caplog.at_level(logging.WARNING, logger="bot.status.lights"):
        assert reading(goal, 11, "已建成服务站18个") is None
    assert [r.getMessage() for r in caplog.records] == [
        "target #7, assignment 11: progress not read"
    ]


def test_a_closed_target_is_completed_from_the_day_it_was_closed() -> None:
    closed = Goal(1, (0,), due_date=date(2023, 9, 1), closed_on=date(2023, 10, 20))
    rows = [Row(0, {"2023Q3": ("behind", "")})]
    # Before the day it was closed, the report and the calendar speak.
    before = view([closed], rows, "2023Q3", date(2023, 9, 30))
    assert before.of == ["behind"]
    # From that day on it is completed and green, also in a quarter it was never reported for.
    later = view([closed], rows, "2023Q4", date(2023, 12, 31), carry=True)
    assert later.of == ["completed"]
    assert later.light_of([0]) == "🟢"
    assert list(later.members["not_submitted"]) == []
    open_one = view([Goal(1, (0,))], rows, "2023Q4", date(2023, 12, 31), carry=True)
    assert list(open_one.members["not_submitted"]) == [0]
