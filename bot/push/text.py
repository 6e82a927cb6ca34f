"""Words of pushes: each due push in its recipient's language, with its buttons."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from bot.i18n import Translator
from bot.push.planner import Chase, Due, Duty
from bot.query.text import shorten
from storage.pushes import Push

LINE_CONTENT = 30  # characters of a target's text in a push
BUTTONS_PER_ROW = 4
MAX_LINES = 30  # targets listed in one push; the rest are counted


def _target_lines(
    t: Translator, lang: str, duties: tuple[Duty, ...], today: date | None = None
) -> list[str]:
    """Return a line per target (with its due date when `today` is given), the rest counted."""

    def line(duty: Duty) -> str:
        values = {"number": duty.number, "content": shorten(duty.content, LINE_CONTENT)}
        if today is not None and duty.due_date is not None:
            due = duty.due_date
            if due == today:
                return t("push.line_due_today", lang, due=due.isoformat(), **values)
            return t(
                "push.line_due", lang, due=due.isoformat(), left=left(t, lang, due, today), **values
            )
        key = f"push.line_{duty.state}" if duty.state in ("draft", "returned") else "push.line"
        return t(key, lang, **values)

    lines = [line(duty) for duty in sorted(duties, key=lambda d: d.number)[:MAX_LINES]]
    if len(duties) > MAX_LINES:
        lines.append(t("push.more", lang, count=len(duties) - MAX_LINES))
    return lines


def left(t: Translator, lang: str, deadline: date, today: date) -> str:
    """Return the days left before a deadline in words: `还有 3 天`, `1 day left`."""
    return t("push.days_left", lang, count=(deadline - today).days)


def _by_unit(t: Translator, lang: str, duties: tuple[Duty, ...]) -> list[str]:
    units: defaultdict[str, list[int]] = defaultdict(list)
    for duty in duties:
        units[duty.unit].append(duty.number)
    return [
        t(
            "push.unit_line",
            lang,
            unit=unit,
            numbers=t.join((f"#{n}" for n in sorted(numbers)), lang),
        )
        for unit, numbers in sorted(units.items(), key=lambda item: (-len(item[1]), item[0]))
    ]


def _review(due: Due, t: Translator, lang: str) -> tuple[str, dict[str, Any]]:
    """Return an admin's gathered notice of what waits for review, and the newest it tells of."""
    lines = [
        t(
            "push.review_line",
            lang,
            number=w.number,
            unit=w.unit,
            period=w.period,
            revision=w.revision,
        )
        for w in due.waiting[:MAX_LINES]
    ]
    if len(due.waiting) > MAX_LINES:
        lines.append(t("push.more", lang, count=len(due.waiting) - MAX_LINES))
    text = t("push.review", lang, count=len(due.waiting)) + "\n" + "\n".join(lines)
    return text, {"upto": max(w.report_id for w in due.waiting)}


def _digest(due: Due, t: Translator, lang: str) -> tuple[str, dict[str, Any]]:
    """Return a leader's digest: counts by light, what needs attention, what changed."""
    counts = {light: 0 for light in ("🔴", "🟡", "🟢", "⚪")}
    for light in due.lights:
        counts[light.light] = counts.get(light.light, 0) + 1
    text = t(
        "push.digest",
        lang,
        day=due.day.isoformat(),
        leader=due.to.binding,
        count=len(due.lights),
        red=counts["🔴"],
        yellow=counts["🟡"],
        green=counts["🟢"],
        white=counts["⚪"],
    )
    attention = [light for light in due.lights if light.light in ("🔴", "🟡")]
    if attention:
        text += "\n" + t("push.digest_attention", lang)
        text += "".join(
            "\n"
            + t(
                "push.digest_line",
                lang,
                number=light.number,
                content=shorten(light.content, LINE_CONTENT),
                light=light.light,
                status=t(f"status.{light.status}", lang),
            )
            for light in attention[:MAX_LINES]
        )
    if due.changes:
        text += "\n" + t("push.digest_changes", lang)
        text += "".join(
            "\n"
            + t(
                "push.digest_change",
                lang,
                number=light.number,
                content=shorten(light.content, LINE_CONTENT),
                before=before,
                now=light.light,
            )
            for light, before in due.changes[:MAX_LINES]
        )
    elif due.compared:
        text += "\n" + t("push.digest_no_changes", lang)
    if due.chases:
        text += "\n" + t("instruction.digest.title", lang, count=len(due.chases))
        text += "".join("\n" + _chase_line(t, lang, chase, due.day) for chase in due.chases)
    payload = {"lights": {str(light.number): light.light for light in due.lights}}
    return text, payload


def _chase_line(t: Translator, lang: str, chase: Chase, today: date) -> str:
    """Return an open instruction's line in its author's digest: `#90 市水务局 · …`."""
    key = "instruction.digest.overdue" if today > chase.reply_due else "instruction.digest.line"
    return t(
        key,
        lang,
        number=chase.number,
        unit=chase.unit,
        on=chase.written_on.isoformat(),
        text=shorten(chase.text, LINE_CONTENT),
        due=chase.reply_due.isoformat(),
    )


def _chase(due: Due, t: Translator, lang: str) -> tuple[str, list[list[tuple[str, str]]]]:
    """Return the chase of an unanswered instruction to a lead unit's liaison, with ✍️ 答复."""
    chase = due.chases[0]
    text = t(
        "instruction.chase",
        lang,
        author=chase.author,
        on=chase.written_on.isoformat(),
        number=chase.number,
        content=shorten(chase.content, LINE_CONTENT),
        text=chase.text,
        due=chase.reply_due.isoformat(),
        unit=chase.unit,
    )
    label = t("instruction.button.answer", lang)
    return text, [[(label, f"in:ans:{chase.instruction_id}")]]


def render(due: Due, t: Translator, today: date) -> Push:
    """Return the push ready to store and send: text, buttons and what it carries."""
    lang = due.to.language
    values: dict[str, Any] = {
        "period": due.period or "",
        "deadline": due.deadline.isoformat() if due.deadline else "",
        "left": left(t, lang, due.deadline, today) if due.deadline else "",
        "name": due.to.name,
        "unit": due.to.binding,
        "count": len(due.duties),
    }
    buttons: list[list[tuple[str, str]]] = []
    payload: dict[str, Any] = {}
    if due.kind in ("remind", "due"):
        lines = _target_lines(t, lang, due.duties, today if due.kind == "due" else None)
        picks = [
            # A new message: the reminder and its other buttons stay as they are.
            (t("push.button", lang, number=d.number), f"rp:open:{d.assignment_id}")
            for d in sorted(due.duties, key=lambda d: d.number)[:20]
        ]
        buttons = [picks[i : i + BUTTONS_PER_ROW] for i in range(0, len(picks), BUTTONS_PER_ROW)]
        key = f"push.{due.kind}"
        if due.kind == "remind" and due.deadline == today:
            key = "push.remind_today"
        text = t(key, lang, **values) + "\n" + "\n".join(lines)
    elif due.kind == "overdue":
        text = (
            t("push.overdue", lang, **values) + "\n" + "\n".join(_target_lines(t, lang, due.duties))
        )
    elif due.kind == "cuiban":
        lines = _by_unit(t, lang, due.duties)
        key = "push.cuiban_admin" if due.to.role == "admin" else "push.cuiban"
        units = t("push.units", lang, count=len({d.unit_id for d in due.duties}))
        text = t(key, lang, units=units, **values)
        text += "\n" + "\n".join(lines) if lines else ""
        if due.unreachable:
            people = t.join(
                (
                    t("push.person", lang, name=p.name or p.telegram_id, detail=p.binding or p.role)
                    for p in due.unreachable
                ),
                lang,
            )
            text += "\n" + t("push.unreachable", lang, people=people)
    elif due.kind == "inchase":
        text, buttons = _chase(due, t, lang)
    elif due.kind == "review":
        text, payload = _review(due, t, lang)
        buttons = [[(t("review.button.open", lang), "rv:next")]]
    else:
        text, payload = _digest(due, t, lang)
    return Push(
        key=due.key,
        kind=due.kind,
        recipient=due.to.telegram_id,
        text=text,
        buttons=buttons,
        payload=payload,
    )
