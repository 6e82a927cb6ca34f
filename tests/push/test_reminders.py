"""The push planner on a fake clock: working days, holidays, make-up days, who gets what."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import Translator
from bot.push.planner import (
    Due,
    Duty,
    Light,
    Person,
    Schedule,
    Waiting,
    World,
    digest_day,
    may_send,
    plan,
    reminder_day,
    review_notices,
)
from bot.push.service import gathered, together
from bot.push.text import render
from bot.push.workdays import is_workday
from bot.report.periods import OpenPeriod, default_deadline
from storage.pushes import Push

TZ = ZoneInfo("Asia/Shanghai")
zh = Translator("zh")

# Unit 1 (市水务局) has #1 missing and #2 as a draft; unit 2 submitted #3; unit 3's #4 was
# returned. Leader 1 answers for #1, #2 and #4, leader 2 for #3.
DUTIES = (
    Duty(101, 1, 1, "新建污水管网50公里", 1, "市水务局", 1, "曹临", "missing"),
    Duty(102, 2, 2, "创建国家节水型城市", 1, "市水务局", 1, "曹临", "draft"),
    Duty(103, 3, 3, "新增城镇就业6.5万人", 2, "市人社局", 2, "聂元科", "submitted"),
    Duty(104, 4, 4, "医保参保率97%以上", 3, "市医保局", 1, "曹临", "returned"),
)
PEOPLE = (
    Person(11, "水务", "zh", "liaison", unit_id=1, binding="市水务局"),
    Person(12, "人社", "zh", "liaison", unit_id=2, binding="市人社局"),
    Person(13, "医保", "zh", "liaison", unit_id=3, binding="市医保局"),
    Person(14, "水务二", "zh", "liaison", unit_id=1, active=False, binding="市水务局"),
    Person(21, "曹", "zh", "leader", leader_id=1, binding="曹临"),
    Person(22, "聂", "zh", "leader", leader_id=2, binding="聂元科"),
    Person(31, "督查", "zh", "admin"),
)
# The documented rule: a quarter's report is due REPORT_DEADLINE_DAYS (5) after it ends.
Q3 = OpenPeriod("2023Q3", default_deadline("2023Q3"), "calendar")


def at(moment: str) -> datetime:
    return datetime.strptime(moment, "%Y-%m-%d %H:%M").replace(tzinfo=TZ)


def due_at(
    moment: str,
    period: OpenPeriod | None = Q3,
    schedule: Schedule | None = None,
    **world: object,
) -> list[tuple[str, int]]:
    """Return (key, recipient) of every push due at a moment."""
    values: dict[str, object] = {"duties": DUTIES, "people": PEOPLE, **world}
    planned = plan(World(at(moment), period, **values), schedule or Schedule())  # type: ignore[arg-type]
    return sorted((due.key, due.to.telegram_id) for due in planned)


def test_the_2023_national_day_calendar() -> None:
    assert Q3.deadline == date(2023, 10, 5)
    assert is_workday(date(2023, 9, 28))
    assert not is_workday(date(2023, 9, 29))  # 中秋
    assert not any(is_workday(date(2023, 10, d)) for d in range(1, 7))  # 国庆
    assert is_workday(date(2023, 10, 7))  # a make-up working Saturday
    assert is_workday(date(2023, 10, 8))  # and Sunday
    assert not is_workday(date(2023, 11, 18))  # an ordinary Saturday


@pytest.mark.parametrize(
    ("deadline", "days", "today", "expected"),
    [
        # 7, 3 and 1 days before 10-05 are 09-28, 10-02 and 10-04: the holidays move back.
        (date(2023, 10, 5), (7, 3, 1), date(2023, 9, 27), None),
        (date(2023, 10, 5), (7, 3, 1), date(2023, 9, 28), date(2023, 9, 28)),
        (date(2023, 10, 5), (7, 3, 1), date(2023, 10, 5), date(2023, 9, 28)),
        (date(2023, 10, 5), (7, 3, 1), date(2023, 10, 6), None),  # after the deadline
        # Deadline 10-10: 3 days before is the make-up Saturday 10-07, which counts.
        (date(2023, 10, 10), (7, 3, 1), date(2023, 10, 7), date(2023, 10, 7)),
        (date(2023, 10, 10), (7, 3, 1), date(2023, 10, 9), date(2023, 10, 9)),
        (date(2023, 10, 10), (7, 3, 1), date(2023, 10, 1), date(2023, 9, 28)),
        # Deadline Monday 11-20: 1 day before is a Sunday, moved to Friday 11-17.
        (date(2023, 11, 20), (7, 3, 1), date(2023, 11, 17), date(2023, 11, 17)),
        (date(2023, 11, 20), (7, 3, 1), date(2023, 11, 19), date(2023, 11, 17)),
        (date(2023, 11, 20), (7, 3, 1), date(2023, 11, 13), date(2023, 11, 13)),
    ],
)
def test_reminder_days(
    deadline: date, days: tuple[int, ...], today: date, expected: date | None
) -> None:
    assert reminder_day(deadline, days, today) == expected


def test_liaisons_with_updates_to_come_are_reminded_at_nine_on_the_working_day_before() -> None:
    assert due_at("2023-09-27 09:00") == []
    assert due_at("2023-09-28 08:59") == []  # not yet 09:00
    expected = [("remind:2023Q3:11:2023-09-28", 11), ("remind:2023Q3:13:2023-09-28", 13)]
    assert due_at("2023-09-28 09:00") == expected
    assert due_at("2023-09-28 17:30") == expected  # later that day: still due (sent once)
    assert due_at("2023-09-28 22:30") == []  # quiet hours
    assert due_at("2023-10-02 10:00") == []  # 国庆: nothing at all
    assert due_at("2023-10-04 10:00") == []


def test_the_day_after_brings_overdue_notices_and_the_cuiban_summaries() -> None:
    # 10-06 is still a holiday: the notices come on the make-up Saturday 10-07.
    assert due_at("2023-10-06 10:00") == []
    assert due_at("2023-10-07 09:00") == [
        ("cuiban:2023Q3:21", 21),  # 曹临: units 1 and 3 owe him updates
        ("cuiban:2023Q3:31", 31),  # the admin: everyone missing, and who cannot be reached
        ("overdue:2023Q3:11", 11),
        ("overdue:2023Q3:13", 13),
    ]
    planned = plan(World(at("2023-10-07 09:00"), Q3, DUTIES, PEOPLE), Schedule())
    admin = next(d for d in planned if d.to.telegram_id == 31)
    text = render(admin, zh, date(2023, 10, 7)).text
    assert text == (
        "📣 催办汇总：2023Q3 进度填报已于 2023-10-05 截止，以下 2 个单位尚未报送：\n"
        "• 市水务局：#1、#2\n• 市医保局：#4\n"
        "无法送达（已屏蔽机器人或停用）：水务二（市水务局）"
    )


def test_a_reminder_names_the_targets_with_buttons_that_start_report() -> None:
    planned = plan(World(at("2023-09-28 09:00"), Q3, DUTIES, PEOPLE), Schedule())
    push = render(next(d for d in planned if d.to.telegram_id == 11), zh, date(2023, 9, 28))
    assert push.text == (
        "⏰ 填报提醒：市水务局 的 2023Q3 进度填报将于 2023-10-05 截止（还有 7 天），"
        "以下 2 个目标尚未提交：\n"
        "⬜ #1 新建污水管网50公里\n✏️ #2 创建国家节水型城市（草稿未提交）"
    )
    assert push.buttons == [[("✍️ #1", "rp:open:101"), ("✍️ #2", "rp:open:102")]]


def test_a_later_deadline_reminds_on_the_make_up_saturday() -> None:
    late = OpenPeriod("2023Q3", date(2023, 10, 10), "admin")
    assert [k for k, _ in due_at("2023-10-07 09:00", late)] == [
        "remind:2023Q3:11:2023-10-07",
        "remind:2023Q3:13:2023-10-07",
    ]
    # Sunday 10-08 works too, but no reminder falls on it: the key is Saturday's, sent already.
    assert [k for k, _ in due_at("2023-10-08 09:00", late)] == [
        "remind:2023Q3:11:2023-10-07",
        "remind:2023Q3:13:2023-10-07",
    ]


def test_no_deadline_no_reminders_and_a_schedule_of_its_own() -> None:
    assert due_at("2023-09-28 09:00", OpenPeriod("2023Q4", None, "plan")) == []
    assert due_at("2023-09-28 09:00", None) == []
    later = Schedule(at=time(15, 0), quiet=None)
    assert due_at("2023-09-28 09:00", schedule=later) == []
    assert len(due_at("2023-09-28 15:00", schedule=later)) == 2


def test_due_date_reminders_skip_completed_targets() -> None:
    duties = (
        Duty(
            201, 5, 5, "10月底前完成验收", 1, "市水务局", 1, "曹临", "submitted", date(2023, 10, 31)
        ),
        Duty(
            202,
            6,
            6,
            "已完成的目标",
            1,
            "市水务局",
            1,
            "曹临",
            "submitted",
            date(2023, 10, 31),
            True,
        ),
    )
    # 14 days before 10-31 is Tuesday 10-17; 3 days before is Saturday 10-28 → Friday 10-27.
    assert due_at("2023-10-16 09:00", None, duties=duties) == []
    assert due_at("2023-10-17 09:00", None, duties=duties) == [("due:11:2023-10-17", 11)]
    assert due_at("2023-10-27 09:00", None, duties=duties) == [("due:11:2023-10-27", 11)]
    assert due_at("2023-11-01 09:00", None, duties=duties) == []


def test_digests_go_to_leaders_on_the_first_working_day_of_the_week() -> None:
    assert digest_day(date(2023, 10, 9), 1) == date(2023, 10, 9)
    # The week of 国庆: Monday 10-02 is a holiday; the first working day is Saturday 10-07.
    assert digest_day(date(2023, 10, 4), 1) == date(2023, 10, 7)
    lights = {
        1: [Light(1, "新建污水管网50公里", "🔴", "behind"), Light(2, "节水", "🟢", "on_track")],
        2: [Light(3, "就业", "🟢", "on_track")],
    }
    quiet_muted = tuple(
        Person(22, "聂", "zh", "leader", leader_id=2, digest_muted=True)
        if p.telegram_id == 22
        else p
        for p in PEOPLE
    )
    keys = due_at("2023-10-07 09:00", None, lights=lights, people=quiet_muted)
    assert keys == [("digest:2023W40:21", 21)]  # 聂 muted his
    assert due_at("2023-10-08 09:00", None, lights=lights) == []  # only on its day
    new = tuple(
        Person(21, "曹", "zh", "leader", leader_id=1, bound_on=date(2023, 10, 7))
        if p.telegram_id == 21
        else p
        for p in PEOPLE
    )
    assert due_at("2023-10-07 09:00", None, lights=lights, people=new) == [
        ("digest:2023W40:22", 22)  # 曹 was bound that very day: his first digest waits a week
    ]
    planned = plan(
        World(at("2023-10-09 09:00"), None, DUTIES, PEOPLE, lights, {21: {"1": "🟢", "2": "🟢"}}),
        Schedule(),
    )
    text = render(next(d for d in planned if d.to.telegram_id == 21), zh, date(2023, 10, 9)).text
    assert text == (
        "📊 每周汇总（2023-10-09）· 曹临 分管 2 个目标：🔴 1 · 🟡 0 · 🟢 1 · ⚪ 0\n"
        "需要关注：\n#1 新建污水管网50公里 · 🔴 滞后\n"
        "与上周相比：\n#1 新建污水管网50公里：🟢 → 🔴"
    )


en = Translator("en")


def test_the_deadline_day_reads_due_today_never_zero_days_left() -> None:
    today = OpenPeriod("2023Q3", date(2023, 9, 28), "admin")  # set by an admin for today
    planned = plan(World(at("2023-09-28 09:00"), today, DUTIES, PEOPLE), Schedule())
    liaison = next(d for d in planned if d.to.telegram_id == 11)
    text = render(liaison, zh, date(2023, 9, 28)).text
    assert text.startswith(
        "⏰ 填报提醒：市水务局 的 2023Q3 进度填报今天截止（2023-09-28），以下 2 个目标尚未提交："
    )
    assert "0 天" not in text
    english = render(replace(liaison, to=replace(liaison.to, language="en")), en, date(2023, 9, 28))
    assert english.text.startswith(
        "⏰ Reminder: 市水务局's 2023Q3 update is due today (2023-09-28); "
        "these 2 targets are not submitted yet:"
    )
    duty = DUTIES[0]._replace(due_date=date(2023, 9, 28))
    due = Due("due:11:2023-09-28", "due", PEOPLE[0], date(2023, 9, 28), (duty,))
    assert render(due, zh, date(2023, 9, 28)).text.endswith(
        "⬜ #1 新建污水管网50公里 · 今天截止（2023-09-28）"
    )
    english_due = render(replace(due, to=replace(due.to, language="en")), en, date(2023, 9, 28))
    assert english_due.text == (
        "⏳ Due date: this target is nearly due and not reported completed. "
        "Please push it on and report its progress:\n"
        "⬜ #1 新建污水管网50公里 · due today (2023-09-28)"
    )
    assert render(due, zh, date(2023, 9, 27)).text.endswith("2023-09-28 到期（还有 1 天）")


def test_english_pushes_count_in_the_singular_when_one() -> None:
    one = OpenPeriod("2023Q3", date(2023, 9, 29), "admin")
    person = replace(PEOPLE[0], language="en")
    due = Due("remind:x", "remind", person, date(2023, 9, 28), DUTIES[:1], one.deadline, "2023Q3")
    assert render(due, en, date(2023, 9, 28)).text == (
        "⏰ Reminder: 市水务局's 2023Q3 update is due 2023-09-29 (1 day left); "
        "this target is not submitted yet:\n⬜ #1 新建污水管网50公里"
    )
    admin = replace(PEOPLE[-1], language="en")
    cuiban = Due("cuiban:x", "cuiban", admin, date(2023, 10, 7), DUTIES[:2], Q3.deadline, "2023Q3")
    assert render(cuiban, en, date(2023, 10, 7)).text == (
        "📣 Chasing, all units: the 2023Q3 updates were due 2023-10-05; 1 unit still to report:\n"
        "• 市水务局: #1, #2"
    )


def waiting(
    report_id: int, number: int, minutes_ago: int, now: str = "2023-09-28 10:00"
) -> Waiting:
    return Waiting(
        report_id, number, "市水务局", "2023Q3", 1, at(now) - timedelta(minutes=minutes_ago)
    )


ADMINS = (Person(31, "督查", "zh", "admin"), Person(32, "Office", "en", "admin"))


def test_review_notices_are_gathered_until_the_submissions_stop_coming() -> None:
    now = at("2023-09-28 10:00")
    # Two submissions, the last 2 minutes ago: more may be coming, nobody is told yet.
    busy = (waiting(7, 90, 4), waiting(8, 93, 2))
    assert review_notices(now, Schedule(), ADMINS, busy, {}) == []
    # Five quiet minutes: one notice each, listing both.
    calm = (waiting(7, 90, 9), waiting(8, 93, 6))
    notices = review_notices(now, Schedule(), ADMINS, calm, {})
    assert [(n.key, n.to.telegram_id) for n in notices] == [
        ("review:31:8", 31),
        ("review:32:8", 32),
    ]
    zh_notice = render(notices[0], zh, now.date())
    assert zh_notice.text == (
        "📝 有 2 份填报待审核：\n• #90 市水务局 · 2023Q3 第 1 版\n• #93 市水务局 · 2023Q3 第 1 版"
    )
    assert zh_notice.buttons == [[("去审核", "rv:next")]]
    assert zh_notice.payload == {"upto": 8}
    assert render(notices[1], en, now.date()).text.startswith("📝 2 updates await review:\n")
    # Told already: nothing more until a new one comes; then the notice lists all that wait.
    assert review_notices(now, Schedule(), ADMINS, calm, {31: 8, 32: 8}) == []
    more = (*calm, waiting(9, 96, 7))
    (again,) = review_notices(now, Schedule(), ADMINS[:1], more, {31: 8})
    assert again.key == "review:31:9"
    assert render(again, zh, now.date()).text.startswith("📝 有 3 份填报待审核：")
    (single,) = review_notices(now, Schedule(), ADMINS[1:], (waiting(9, 96, 7),), {})
    assert render(single, en, now.date()).text == (
        "📝 1 update awaits review:\n• #96 市水务局 · 2023Q3 revision 1"
    )


def test_a_steady_stream_is_announced_after_half_an_hour_and_never_in_quiet_hours() -> None:
    now = at("2023-09-28 10:00")
    stream = tuple(waiting(i, 90, minutes) for i, minutes in enumerate(range(30, 0, -3), 1))
    assert [n.key for n in review_notices(now, Schedule(), ADMINS[:1], stream, {})] == [
        "review:31:10"
    ]
    night = at("2023-09-28 23:00")
    late = (waiting(1, 90, 60, "2023-09-28 23:00"),)
    assert review_notices(night, Schedule(), ADMINS, late, {}) == []
    # Any day outside quiet hours: a Saturday morning is fine.
    saturday = at("2023-09-30 08:30")
    assert len(review_notices(saturday, Schedule(), ADMINS, late, {})) == 2
    inactive = (replace(ADMINS[0], active=False),)
    assert review_notices(now, Schedule(), inactive, late, {}) == []


def test_pushes_to_one_person_at_once_make_one_message_with_every_button() -> None:
    remind = Push("remind:k", "remind", 11, "⏰ 填报提醒", [[("✍️ #1", "rp:open:101")]])
    due = Push(
        "due:k", "due", 11, "⏳ 目标到期提醒", [[("✍️ #1", "rp:open:101"), ("✍️ #5", "rp:open:201")]]
    )
    other = Push("remind:o", "remind", 12, "⏰ 其他", [[("✍️ #3", "rp:open:103")]])
    groups = sorted(gathered([due, other, remind]), key=lambda group: group[0].recipient)
    assert [[p.key for p in group] for group in groups] == [["remind:k", "due:k"], ["remind:o"]]
    joined = together(groups[0])
    assert joined.text == "⏰ 填报提醒\n\n⏳ 目标到期提醒"
    assert joined.buttons == [[("✍️ #1", "rp:open:101")], [("✍️ #5", "rp:open:201")]]
    assert joined.recipient == 11
    # Too long for one message: two messages.
    long = replace(due, text="长" * 4090)
    assert [len(group) for group in gathered([remind, long])] == [1, 1]


def test_retries_keep_to_the_hours_of_their_kind() -> None:
    schedule = Schedule()
    wednesday_night = datetime(2026, 11, 25, 23, 30, tzinfo=TZ)
    saturday_noon = datetime(2026, 11, 28, 12, 0, tzinfo=TZ)
    early = datetime(2026, 11, 26, 8, 30, tzinfo=TZ)  # after quiet hours, before the push time
    for kind in ("remind", "due", "overdue", "cuiban", "digest"):
        assert not may_send(kind, wednesday_night, schedule)
        assert not may_send(kind, saturday_noon, schedule)
        assert not may_send(kind, early, schedule)
        assert may_send(kind, datetime(2026, 11, 26, 9, 0, tzinfo=TZ), schedule)
    for kind in ("review", "blocked", "unstarted", "refused", "failed"):
        assert not may_send(kind, wednesday_night, schedule)
        assert may_send(kind, saturday_noon, schedule)
        assert may_send(kind, early, schedule)
