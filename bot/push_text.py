"""Words of pushes: each due push in its recipient's language, with its buttons."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from bot.i18n import Translator
from bot.present import shorten
from bot.reminders import Due, Duty
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
            return t("push.line_due", lang, due=due.isoformat(), days=(due - today).days, **values)
        key = f"push.line_{duty.state}" if duty.state in ("draft", "returned") else "push.line"
        return t(key, lang, **values)

    lines = [line(duty) for duty in sorted(duties, key=lambda d: d.number)[:MAX_LINES]]
    if len(duties) > MAX_LINES:
        lines.append(t("push.more", lang, count=len(duties) - MAX_LINES))
    return lines


def _by_unit(t: Translator, lang: str, duties: tuple[Duty, ...]) -> list[str]:
    units: defaultdict[str, list[int]] = defaultdict(list)
    for duty in duties:
        units[duty.unit].append(duty.number)
    return [
        t("push.unit_line", lang, unit=unit, numbers="、".join(f"#{n}" for n in sorted(numbers)))
        for unit, numbers in sorted(units.items(), key=lambda item: (-len(item[1]), item[0]))
    ]


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
    payload = {"lights": {str(light.number): light.light for light in due.lights}}
    return text, payload


def render(due: Due, t: Translator, today: date) -> Push:
    """Return the push ready to store and send: text, buttons and what it carries."""
    lang = due.to.language
    values: dict[str, Any] = {
        "period": due.period or "",
        "deadline": due.deadline.isoformat() if due.deadline else "",
        "days": (due.deadline - today).days if due.deadline else 0,
        "name": due.to.name,
        "unit": due.to.binding,
        "count": len(due.duties),
    }
    buttons: list[list[tuple[str, str]]] = []
    payload: dict[str, Any] = {}
    if due.kind in ("remind", "due"):
        lines = _target_lines(t, lang, due.duties, today if due.kind == "due" else None)
        picks = [
            (t("push.button", lang, number=d.number), f"rp:pick:{d.assignment_id}")
            for d in sorted(due.duties, key=lambda d: d.number)[:20]
        ]
        buttons = [picks[i : i + BUTTONS_PER_ROW] for i in range(0, len(picks), BUTTONS_PER_ROW)]
        text = t(f"push.{due.kind}", lang, **values) + "\n" + "\n".join(lines)
    elif due.kind == "overdue":
        text = (
            t("push.overdue", lang, **values) + "\n" + "\n".join(_target_lines(t, lang, due.duties))
        )
    elif due.kind == "cuiban":
        lines = _by_unit(t, lang, due.duties)
        key = "push.cuiban_admin" if due.to.role == "admin" else "push.cuiban"
        text = t(key, lang, units=len({d.unit_id for d in due.duties}), **values)
        text += "\n" + "\n".join(lines) if lines else ""
        if due.unreachable:
            people = "、".join(
                t("push.person", lang, name=p.name or p.telegram_id, detail=p.binding or p.role)
                for p in due.unreachable
            )
            text += "\n" + t("push.unreachable", lang, people=people)
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
