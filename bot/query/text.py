"""Words for answers: how a question was understood, result lines, and a target's details.

Plain text in the reader's language; the chat escapes it for HTML, the CLI prints it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import Translator
from bot.limits import MESSAGE_LIMIT
from bot.query.engine import Answer
from bot.query.index import Hit, IndexedTarget
from bot.query.parse import ParsedQuery
from bot.status.lights import Risk
from bot.status.quantities import Estimate, format_amount
from storage.reports import Entry
from storage.targets import Named, Target

PAGE_SIZE = 10
LINE_CONTENT = 36  # characters of a target's text on a result line
# What the understanding line echoes of a question, per kind of word: the first ECHO_WORDS
# words, each cut to ECHO_CHARS, then "…" (a 4,000-character question is not repeated back).
ECHO_WORDS = 10
ECHO_CHARS = 20


def shorten(text: str, limit: int) -> str:
    """Return text cut to `limit` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def local_time(stamp: str, tz: ZoneInfo | None) -> str:
    """Return a stored UTC time as `YYYY-MM-DD HH:MM` in `tz` (None: as stored)."""
    moment = datetime.fromisoformat(stamp)
    return (moment.astimezone(tz) if tz else moment).strftime("%Y-%m-%d %H:%M")


def status_word(t: Translator, language: str | None, status: str) -> str:
    """Return a status in words."""
    return t(f"status.{status}", language)


def echo(
    words: list[str], t: Translator, language: str | None, limit: int | None = ECHO_CHARS
) -> str:
    """Return words of a question as a list, capped: the first ECHO_WORDS, each shortened."""
    each = (shorten(word, limit) if limit else word for word in words[:ECHO_WORDS])
    shown = t.join(each, language)
    return shown + "…" if len(words) > ECHO_WORDS else shown


def understood(parsed: ParsedQuery, t: Translator, language: str | None) -> str:
    """Return one line saying how the question was understood (its words capped: `echo`)."""
    parts: list[str] = []

    def add(key: str, values: list[str]) -> None:
        if values:  # each value is shortened already (`said`): 医保（medical insurance）
            parts.append(t(f"query.part.{key}", language, value=echo(values, t, language, None)))

    def said(kind: str, meaning: str, shown: str) -> str:
        # What the words typed were taken as: 市生态环境局（环保局）, 就业 (employment).
        words = [w for w in parsed.words_for(kind, meaning) if w.lower() not in shown.lower()]
        if not words:
            return shorten(shown, ECHO_CHARS)
        typed = t.join((shorten(w, ECHO_CHARS) for w in words[:2]), language)
        return t("query.taken_as", language, value=shorten(shown, ECHO_CHARS), words=typed)

    add("leader", [said("leader", p.name, p.name) for p in parsed.leaders])
    add("unit", [said("unit", u.name, u.name) for u in parsed.units])
    # One word may stand for several statuses: 滞后、逾期（没有完成）.
    by_word: dict[tuple[str, ...], list[str]] = {}
    for status in parsed.statuses:
        by_word.setdefault(tuple(parsed.words_for("status", status)), []).append(status)
    add(
        "status",
        [
            said("status", group[0], t.join((status_word(t, language, s) for s in group), language))
            for group in by_word.values()
        ],
    )
    add("deadline", [shorten(parsed.deadline.text, ECHO_CHARS)] if parsed.deadline else [])
    add("period", [said("period", parsed.period, parsed.period)] if parsed.period else [])
    add("number", [f"#{n}" for n in parsed.numbers])
    add("keywords", [said("keyword", k, k) for k in parsed.keywords])
    if parts:
        line = t("query.understood", language, parts=" · ".join(parts))
    elif parsed.ambiguous:
        line = ""  # the next line asks which was meant
    elif set(parsed.unplaced) - set(parsed.not_in_plan):
        line = t("query.understood_nothing", language)
    elif parsed.unplaced:
        line = ""  # the next line says the plan has no such unit
    else:
        line = t("query.understood_all", language)
    if parsed.unplaced:
        elsewhere = [w for w in parsed.unplaced if w in parsed.not_in_plan]
        unknown = [w for w in parsed.unplaced if w not in parsed.not_in_plan]
        if unknown:
            line += "\n" + t("query.unplaced", language, words=echo(unknown, t, language))
        if elsewhere:
            words = echo(elsewhere, t, language)
            line += "\n" + t("query.not_in_plan", language, words=words)
    return line.strip("\n")


def light_mark(hit: Hit, t: Translator, language: str | None) -> str:
    """Return the light, and the earlier period it is from if not this period's: `🟡 (2023Q3)`."""
    carried = hit.carried_from
    if carried is None:
        return hit.light
    return t("query.carried", language, light=hit.light, period=carried)


def result_line(hit: Hit, t: Translator, language: str | None) -> str:
    """Return a target's line: `🟢 #86 新建并开通5G基站… · 市工业和信息化局 · 年底 · 按计划`."""
    of_target = hit.assignments_of_target
    lead = of_target[0].units[0].name if of_target and of_target[0].units else "—"
    reason = light_reason(hit, t, language) if hit.status == "at_risk" else ""
    return t(
        "query.line_reason" if reason else "query.line",
        language,
        reason=reason,
        number=hit.target.shown_number,
        content=shorten(hit.target.content, LINE_CONTENT),
        unit=lead,
        deadline=_deadline(hit.target, t, language),
        light=hit.light,
        status=_carried_status(hit, t, language),
    )


def _deadline(target: IndexedTarget, t: Translator, language: str | None) -> str:
    """Return a target's deadline as a line shows it: `年底`, or `年底 → 2024-03-31（延期）`."""
    if target.extended and target.due_date is not None:
        due = target.due_date.isoformat()
        return t("extension.extended", language, deadline=target.deadline, due=due)
    return target.deadline


def _carried_status(hit: Hit, t: Translator, language: str | None) -> str:
    """Return the status word, with the earlier period it is from: `按计划（2023Q3）`.

    The mark stays at the end so that every line keeps its shape: the light, then `#<number>`.
    """
    if hit.target.closed_on is not None:  # 办结 with its date, whatever the last report said
        return t("close.status", language, date=hit.target.closed_on.isoformat())
    word = status_word(t, language, hit.status)
    carried = hit.carried_from
    return (
        word
        if carried is None
        else t("query.carried_status", language, status=word, period=carried)
    )


def _scope(parsed: ParsedQuery, t: Translator, language: str | None) -> str:
    names = [p.name for p in parsed.leaders] + [u.name for u in parsed.units] + parsed.keywords
    return echo(names, t, language)


def light_counts(answer: Answer) -> str:
    """Return how many targets found have each light: `🔴 1 · 🟡 2 · 🟢 39`."""
    return " · ".join(f"{light} {n}" for light, n in answer.result.light_counts().items())


def _lines(
    hits: list[Hit], view_period: str | None, t: Translator, language: str | None
) -> list[str]:
    """Return the result lines, and a note under them when some lights are from before."""
    lines = [result_line(hit, t, language) for hit in hits]
    if any(hit.carried_from for hit in hits):
        lines.append(t("query.carried_note", language, period=view_period or "—"))
    return lines


def header(answer: Answer, t: Translator, language: str | None, page: int | None = 0) -> list[str]:
    """Return the answer's first lines: how it was understood, the count, and the lights."""
    lines = [line for line in [understood(answer.parsed, t, language)] if line]
    result = answer.result
    if result.dropped:  # 5G基站建设: no target says 建设 with 5G基站
        lines.append(
            t(
                "query.dropped",
                language,
                words=echo(result.dropped, t, language),
                all=echo(answer.parsed.keywords, t, language),
            )
        )
    pages = (len(result) + PAGE_SIZE - 1) // PAGE_SIZE if page is not None else 1
    page = max(0, min(page or 0, pages - 1))
    count_key = "query.count_paged" if pages > 1 else "query.count"
    lines.append(
        t(
            count_key,
            language,
            count=len(result),
            period=result.period or "—",
            page=page + 1,
            pages=pages,
        )
    )
    if len(result) > 1:
        lines.append(light_counts(answer))
    return lines


def summary(answer: Answer, t: Translator, language: str | None, page: int | None = 0) -> str:
    """Return the answer's text for one page (None: all): understood, count, and the lines."""
    parsed = answer.parsed
    if parsed.only_courtesy:
        return t(f"query.{parsed.courtesy}", language)
    if answer.mine_unbound:
        return t("query.mine_unbound", language)
    lines = [line for line in [understood(parsed, t, language)] if line]
    result = answer.result
    if parsed.ambiguous:
        for ambiguity in parsed.ambiguous:
            word = shorten(ambiguity.word, ECHO_CHARS)
            if len(ambiguity.choices) == 1:  # near a name, not surely it: asked, not taken
                name = ambiguity.choices[0].name
                lines.append(t(f"query.maybe_{ambiguity.kind}", language, word=word, name=name))
            else:
                lines.append(t(f"query.ambiguous_{ambiguity.kind}", language, word=word))
        return "\n".join(lines)
    if not result.ranked:
        if result.without_status:
            statuses = t.join((status_word(t, language, s) for s in parsed.statuses), language)
            scope = _scope(parsed, t, language)
            key = "query.none_with_status_scoped" if scope else "query.none_with_status"
            lines.append(
                t(key, language, count=result.without_status, scope=scope, status=statuses)
            )
        elif answer.outside_unit is not None:
            lines.append(t("query.outside_unit", language, unit=answer.outside_unit.name))
        else:
            lines.append(t("query.none", language))
        if answer.suggestions:
            names = t.join(answer.suggestions, language)
            lines.append(t("query.suggest", language, names=names))
        return "\n".join(lines)
    lines = header(answer, t, language, page)
    if page is None:
        hits = result.hits
    else:
        pages = (len(result) + PAGE_SIZE - 1) // PAGE_SIZE
        hits = result.page(max(0, min(page, pages - 1)), PAGE_SIZE)
    return "\n".join(lines + _lines(hits, result.period, t, language))


def details(
    target: Target,
    history: list[Entry],
    t: Translator,
    language: str | None,
    hit: Hit | None = None,
    *,
    pending: frozenset[int] | set[int] = frozenset(),
    tz: ZoneInfo | None = None,
    extended: bool = False,
    extension_lines: tuple[str, ...] = (),
    instruction_lines: tuple[str, ...] = (),
) -> str:
    """Return a target's full text, its light, every assignment, latest reports, and history.

    `instruction_lines`: the leaders' instructions (批示) and their answers, shown at the top.

    `extended`: the due date was moved by an approved extension request; `extension_lines`:
    what to say of an open one.

    `pending`: assignments whose lead unit has a newer update awaiting review.
    """
    lines = [t("detail.title", language, number=target.shown_number, content=target.content)]
    lines.extend(instruction_lines)
    if target.closed_on is not None:
        lines.append(t("close.detail", language, date=target.closed_on.isoformat()))
    if target.category:
        lines.append(t("detail.category", language, category=target.category))
    if hit is not None:
        lines.append(
            t(
                "detail.light",
                language,
                light=light_mark(hit, t, language),
                status=status_word(t, language, hit.status),
                reason=light_reason(hit, t, language),
            )
        )
    due = target.due_date.isoformat() if target.due_date else t("detail.ongoing", language)
    # Moved by an approved extension request: 完成时限：年底 → 2024-03-31（延期）
    deadline_key = "extension.detail" if extended else "detail.deadline"
    lines.append(t(deadline_key, language, deadline=target.deadline, due=due))
    lines.extend(extension_lines)
    lines.extend(
        t("detail.extra", language, header=header, value=value) for header, value in target.extra
    )
    for assignment in target.assignments:
        units = t.join(assignment.units, language) if assignment.units else "—"
        lines.append(t("detail.assignment", language, leader=assignment.leader, units=units))
        if assignment.assisting:
            lines.append(
                t("detail.assisting", language, units=t.join(assignment.assisting, language))
            )
        report = assignment.latest_report
        if report is None:
            lines.append(t("detail.no_report", language))
        if assignment.id in pending:
            lines.append(t("detail.pending_mark", language))
        if report is None:
            continue
        lines.append(
            t(
                "detail.report",
                language,
                period=report.period,
                status=status_word(t, language, report.status),
                revision=report.revision,
                progress=report.progress,
            )
            + (t("detail.as_of", language, date=report.as_of.isoformat()) if report.as_of else "")
        )
        if report.reason or report.remedy:
            lines.append(
                t(
                    "detail.reason",
                    language,
                    reason=report.reason or "—",
                    remedy=report.remedy or "—",
                )
            )
    if history:
        lines.append(t("detail.history", language))
        for entry in history:
            report = entry.report
            who = (
                t("detail.who", language, name=entry.submitter or "—", unit=entry.unit or "—")
                if report.source == "chat"
                else ""
            )
            lines.append(
                t(
                    "detail.history_line",
                    language,
                    period=report.period,
                    revision=report.revision,
                    status=status_word(t, language, report.status),
                    at=local_time(report.submitted_at, tz),
                    source=t(f"detail.source_{report.source}", language),
                    who=who,
                    review=t(f"detail.review_{entry.review}", language) if entry.review else "",
                )
            )
    text = "\n".join(lines)
    limit = MESSAGE_LIMIT - 300  # room for HTML escaping
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _percent(share: float) -> str:
    return f"{share * 100:.0f}"


def _fraction(estimate: Estimate) -> str:
    """Return achieved of target: 18/50个, 16.32亿元/30亿元."""
    achieved, target, unit = estimate.achieved, estimate.target, estimate.unit or ""
    assert achieved is not None
    assert target is not None
    if max(achieved, target) < 1e4:
        return f"{achieved:g}/{target:g}{unit}"
    return f"{format_amount(achieved, unit)}/{format_amount(target, unit)}"


def progress_words(risk: Risk, t: Translator, language: str | None) -> str:
    """Return how far a target has come in words: `18/50个（36%）` or `完成率 87%`."""
    if risk.estimate.explicit:
        return t("light.stated", language, share=_percent(risk.estimate.share))
    return t(
        "light.fraction",
        language,
        done=_fraction(risk.estimate),
        share=_percent(risk.estimate.share),
    )


def light_reason(hit: Hit, t: Translator, language: str | None) -> str:
    """Return why a target has its light, e.g. `18/50个（36%），时间已过 75%`."""
    status, risk, period = hit.status, hit.risk, hit.period or "—"
    if status == "behind":
        return t("light.behind", language, period=period)
    if status == "overdue":
        due = hit.target.due_date.isoformat() if hit.target.due_date else "—"
        return t("light.overdue", language, due=due)
    if status == "not_submitted":
        return t("light.not_submitted", language, period=period)
    if status == "completed":
        return t("light.completed", language, period=period)
    if risk is None:
        return t("light.on_track", language, period=period)
    words = progress_words(risk, t, language)
    key = "light.at_risk" if status == "at_risk" else "light.on_track_numbers"
    deadline = hit.target.due_date
    if deadline is None or (deadline.month, deadline.day) == (12, 31):
        key += "_year"  # the time is the year's: "at 75% of the year"
    return t(key, language, progress=words, elapsed=_percent(risk.elapsed))


def _names(items: list[Named]) -> list[str]:
    return [item.name for item in items]


def understood_json(parsed: ParsedQuery) -> dict[str, object]:
    """Return how a question was understood, in the `query --json` shape."""
    return {
        "leader": _names(parsed.leaders),
        "unit": _names(parsed.units),
        "status": list(parsed.statuses),
        "deadline": parsed.deadline.text if parsed.deadline else None,
        "period": parsed.period,
        "number": list(parsed.numbers),
        "keywords": list(parsed.keywords),
        "ambiguous": [
            {"kind": a.kind, "word": a.word, "choices": _names(list(a.choices))}
            for a in parsed.ambiguous
        ],
        "taken": [{"word": t.word, "kind": t.kind, "as": t.meaning} for t in parsed.taken],
    }


def hit_json(hit: Hit, t: Translator, language: str | None = None) -> dict[str, object]:
    """Return one found target in the `query --json` shape (the light's reason in words)."""
    target = hit.target
    leaders: list[str] = []
    units: list[str] = []
    assisting: list[str] = []
    period = hit.period
    progress = None
    for assignment in hit.assignments_of_target:
        if assignment.leader.name not in leaders:
            leaders.append(assignment.leader.name)
        units.extend(u.name for u in assignment.units if u.name not in units)
        assisting.extend(u.name for u in assignment.assisting if u.name not in assisting)
        if progress is None and period is not None and period in assignment.reports:
            progress = assignment.reports[period][1]
    return {
        "number": target.number,
        "content": target.content,
        "leaders": leaders,
        "units": units,
        "deadline": target.deadline,
        "due_date": target.due_date.isoformat() if target.due_date else None,
        "status": hit.status,
        "period": period,
        "progress": progress,
        "light": hit.light,
        "progress_estimate": estimate_json(hit.risk),
        "light_reason": light_reason(hit, t, language),
        "label": target.label,
        "category": target.category,
        "extra": [list(pair) for pair in target.extra],
        "assisting": assisting,
        "closed": target.closed_on.isoformat() if target.closed_on else None,
        "extended": target.extended,
    }


def light_json(hit: Hit | None, t: Translator, language: str | None = None) -> dict[str, object]:
    """Return a target's light, what its numbers say, and why, for the JSON outputs."""
    if hit is None:
        return {"light": None, "progress_estimate": None, "light_reason": None}
    return {
        "light": hit.light,
        "progress_estimate": estimate_json(hit.risk),
        "light_reason": light_reason(hit, t, language),
    }


def estimate_json(risk: Risk | None) -> dict[str, object] | None:
    """Return what the numbers say, in the JSON shape: target, achieved, unit, share."""
    if risk is None:
        return None
    e = risk.estimate
    return {
        "target": e.target,
        "achieved": e.achieved,
        "unit": e.unit,
        "share": round(e.share, 4),
        "stated": e.explicit,
        "elapsed": round(risk.elapsed, 4),
    }


def answer_json(answer: Answer, t: Translator, language: str | None = None) -> dict[str, object]:
    """Return a whole answer in the `query --json` shape."""
    return {
        "understood": understood_json(answer.parsed),
        "unplaced": list(answer.parsed.unplaced),
        "period": answer.result.period,
        "count": len(answer.result),
        "results": [hit_json(hit, t, language) for hit in answer.hits],
        "suggestions": answer.suggestions,
        "left_out": list(answer.result.dropped),
    }
