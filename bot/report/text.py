"""Words of the quarterly update: the target card, each step's prompt, the preview, receipts.

Plain text in the writer's language; the chat escapes it for HTML.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from bot.i18n import Translator
from bot.query.text import local_time, shorten, status_word
from bot.report.periods import OpenPeriod
from bot.report.service import MAX_PROGRESS, MAX_REASON, Background, Receipt, Task
from storage.reports import Draft, Pending
from storage.targets import Report

BACKGROUND_TEXT = 600  # characters shown of last period's text and of other units' parts
LIST_CONTENT = 28  # characters of a target's text on a button
MARKS = {"submitted": "✅", "pending": "⏳", "returned": "↩️", "draft": "✏️", "missing": "⬜"}


def deadline_words(t: Translator, lang: str | None, period: OpenPeriod, today: date) -> str:
    """Return the period's deadline and the days left, in words."""
    if period.deadline is None:
        return t("report.no_deadline", lang)
    left = (period.deadline - today).days
    if left < 0:
        return t("report.deadline_past", lang, deadline=period.deadline.isoformat())
    if left == 0:
        return t("report.deadline_today", lang, deadline=period.deadline.isoformat())
    return t("report.deadline_left", lang, deadline=period.deadline.isoformat(), count=left)


def task_button(task: Task) -> str:
    """Return a task's button label: its mark, number and short text."""
    return f"{MARKS[task.state]} #{task.number} {shorten(task.content, LIST_CONTENT)}"


def task_list(
    t: Translator, lang: str | None, unit: str, period: OpenPeriod, tasks: list[Task], today: date
) -> str:
    """Return the heading of `/report`'s list of targets."""
    done = sum(task.done for task in tasks)
    return t(
        "report.list",
        lang,
        unit=unit,
        period=period.period,
        deadline=deadline_words(t, lang, period, today),
        done=done,
        count=len(tasks),
    )


def mine(
    t: Translator,
    lang: str | None,
    unit: str,
    period: OpenPeriod,
    tasks: list[Task],
    today: date,
) -> str:
    """Return `/mine`: each of the unit's targets with this period's state and the days left."""
    lines = [
        t(
            "report.mine_title",
            lang,
            unit=unit,
            period=period.period,
            deadline=deadline_words(t, lang, period, today),
        )
    ]
    for task in sorted(tasks, key=lambda x: x.number):
        revision = task.latest.revision if task.latest else 0
        lines.append(
            t(
                "report.mine_line",
                lang,
                mark=MARKS[task.state],
                number=task.number,
                content=shorten(task.content, LIST_CONTENT),
                state=t(f"report.state_{task.state}", lang, revision=revision),
                role=t("report.role_lead" if task.lead else "report.role_assist", lang),
            )
        )
    lines.append(
        t("report.mine_footer", lang, done=sum(task.done for task in tasks), count=len(tasks))
    )
    return "\n".join(lines)


def _report_line(t: Translator, lang: str | None, report: Report) -> str:
    return t(
        "report.report_line",
        lang,
        period=report.period,
        status=status_word(t, lang, report.status),
        revision=report.revision,
        progress=shorten(report.progress, BACKGROUND_TEXT),
    )


def card(
    t: Translator,
    lang: str | None,
    task: Task,
    unit: str,
    period: str,
    back: Background,
    tz: ZoneInfo,
) -> str:
    """Return the chosen target: text, deadline, the unit's role, last period, others' parts."""
    due = task.due_date.isoformat() if task.due_date else t("detail.ongoing", lang)
    lines = [
        t("detail.title", lang, number=task.number, content=task.content),
        # Moved by an approved extension request: 完成时限：年底 → 2024-03-31（延期）
        t(
            "extension.detail" if back.extended else "detail.deadline",
            lang,
            deadline=task.deadline,
            due=due,
        ),
        t(
            "report.role_line",
            lang,
            unit=unit,
            role=t("report.role_lead" if task.lead else "report.role_assist", lang),
            leader=task.leader,
            units=t.join(back.units, lang),
        ),
    ]
    if back.previous is not None:
        lines.append(t("report.previous", lang))
        lines.append(_report_line(t, lang, back.previous))
    else:
        lines.append(t("report.no_previous", lang))
    if back.others:
        lines.append(t("report.others", lang, period=period))
        for other, report in back.others:
            line = _report_line(t, lang, report).strip()
            lines.append(t("report.other_line", lang, unit=other, report=line))
    for revision in back.mine:
        report = revision.report
        returned = revision.decision == "returned"
        key = "report.mine_revision_returned" if returned else "report.mine_revision"
        lines.append(
            t(
                key,
                lang,
                revision=report.revision,
                at=local_time(report.submitted_at, tz),
                status=status_word(t, lang, report.status),
            )
        )
    return "\n".join(lines)


def prompt(t: Translator, lang: str | None, draft: Draft, period: str) -> str:
    """Return what the current step asks for, with what the draft holds so far."""
    if draft.step == "progress":
        if not draft.progress:
            return t("report.ask_progress", lang, period=period, limit=MAX_PROGRESS)
        key = "report.ask_progress_replace" if draft.replace_next else "report.ask_progress_more"
        return t(key, lang, period=period, text=draft.progress, length=len(draft.progress))
    if draft.step == "status":
        return t("report.ask_status", lang, length=len(draft.progress), text=draft.progress)
    if draft.step == "reason":
        current = t("report.current", lang, text=draft.reason) if draft.reason else ""
        return t("report.ask_reason", lang, limit=MAX_REASON) + current
    if draft.step == "remedy":
        current = t("report.current", lang, text=draft.remedy) if draft.remedy else ""
        return t("report.ask_remedy", lang, limit=MAX_REASON) + current
    return t("report.ask_confirm", lang)


def taken(t: Translator, lang: str | None, draft: Draft, number: int) -> str:
    """Return the answer to a progress message: saved for which target, how long, what next."""
    return t("report.taken", lang, number=number, length=len(draft.progress), limit=MAX_PROGRESS)


def preview(
    t: Translator, lang: str | None, draft: Draft, number: int, content: str, unit: str, lead: bool
) -> str:
    """Return exactly what will be stored, for the writer to confirm."""
    lines = [
        t("report.preview_title", lang),
        t("detail.title", lang, number=number, content=shorten(content, 60)),
        t(
            "report.preview_meta",
            lang,
            period=draft.period,
            unit=unit,
            role=t("report.role_lead" if lead else "report.role_assist", lang),
        ),
        t("report.preview_status", lang, status=status_word(t, lang, draft.status or "on_track")),
        t("report.preview_progress", lang, text=draft.progress),
    ]
    if draft.status == "behind":
        lines.append(t("report.preview_reason", lang, text=draft.reason or "—"))
        lines.append(t("report.preview_remedy", lang, text=draft.remedy or "—"))
    return "\n".join(lines)


def receipt(t: Translator, lang: str | None, done: Receipt, tz: ZoneInfo, deadline: str) -> str:
    """Return the receipt of a stored update."""
    key = "report.receipt_pending" if done.pending_review else "report.receipt"
    text = t(
        key,
        lang,
        number=done.number,
        content=shorten(done.content, 40),
        period=done.period,
        revision=done.revision,
        at=local_time(done.at, tz),
        status=status_word(t, lang, done.status),
        deadline=deadline,
    )
    if done.repeated:
        text = t("report.already_saved", lang) + "\n" + text
    return text


def pending_text(
    t: Translator,
    lang: str | None,
    item: Pending,
    previous: Report | None,
    position: int,
    count: int,
    tz: ZoneInfo,
) -> str:
    """Return a submission for review beside last period's text."""
    report = item.report
    lines = [
        t("review.title", lang, position=position, count=count),
        t("detail.title", lang, number=item.number, content=item.content),
        t(
            "review.meta",
            lang,
            unit=item.unit,
            role=t("report.role_lead" if item.lead else "report.role_assist", lang),
            period=report.period,
            revision=report.revision,
            submitter=item.submitter or str(report.submitted_by or "—"),
            at=local_time(report.submitted_at, tz),
        ),
        t("report.preview_status", lang, status=status_word(t, lang, report.status)),
        t("review.this_period", lang, text=report.progress),
    ]
    if report.reason or report.remedy:
        lines.append(t("report.preview_reason", lang, text=report.reason or "—"))
        lines.append(t("report.preview_remedy", lang, text=report.remedy or "—"))
    if previous is not None:
        lines.append(
            t(
                "review.last_period",
                lang,
                period=previous.period,
                status=status_word(t, lang, previous.status),
                text=shorten(previous.progress, BACKGROUND_TEXT),
            )
        )
    else:
        lines.append(t("report.no_previous", lang))
    return "\n".join(lines)
