"""Instructions in words: the thread on a target's details, list lines, previews, JSON."""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo

from bot.i18n import Translator
from bot.instructions.service import Draft, Instruction, is_answered, is_overdue, waiting_units
from bot.query.text import local_time, shorten

SHOWN_ON_DETAILS = 3  # instructions on a target's details, the newest; the rest are counted
ANSWERS_SHOWN = 3  # answers under each, the newest
TEXT_ON_DETAILS = 200  # characters of an instruction or answer on the details
LINE_TEXT = 30  # characters of an instruction on a list line
MAX_LINES = 30  # lines of a chat listing; the rest are counted

# What leaders type to list their instructions (compared without spaces and punctuation).
ALL_WORDS = frozenset(
    {
        "批示",
        "我的批示",
        "批示列表",
        "全部批示",
        "myinstructions",
        "instructions",
        "allinstructions",
    }
)
OPEN_WORDS = frozenset(
    {
        "未回复的批示",
        "未回复批示",
        "未答复的批示",
        "未答复批示",
        "待答复的批示",
        "待答复批示",
        "我的未回复批示",
        "我的未回复的批示",
        "unansweredinstructions",
        "myunansweredinstructions",
        "openinstructions",
        "pendinginstructions",
    }
)
_NOISE = re.compile(r"[\s\W_]+")


def asked_listing(text: str) -> bool | None:
    """Return whether a question asks for instructions: True for open ones only, False for
    all, None when it is another question (left to the query engine)."""
    word = _NOISE.sub("", text).lower()
    if word in OPEN_WORDS:
        return True
    if word in ALL_WORDS:
        return False
    return None


def state_word(t: Translator, language: str | None, instruction: Instruction, today: date) -> str:
    """Return where an instruction stands: answered, waiting (by its due day), or overdue."""
    due = instruction.reply_due.isoformat()
    if is_answered(instruction):
        return t("instruction.state.answered", language)
    if is_overdue(instruction, today):
        return t("instruction.state.overdue", language, due=due)
    return t("instruction.state.waiting", language, due=due)


def thread_lines(
    instructions: list[Instruction],
    t: Translator,
    language: str | None,
    today: date,
    tz: ZoneInfo | None,
) -> list[str]:
    """Return a target's instructions with their answers, newest first, bounded in length."""
    if not instructions:
        return []
    lines = [t("instruction.detail.title", language, count=len(instructions))]
    for instruction in instructions[:SHOWN_ON_DETAILS]:
        lines.append(
            t(
                "instruction.detail.item",
                language,
                on=instruction.written_on.isoformat(),
                author=instruction.author_name,
                text=shorten(instruction.text, TEXT_ON_DETAILS),
                state=state_word(t, language, instruction, today),
            )
        )
        answers = list(reversed(instruction.answers))
        for answer in answers[:ANSWERS_SHOWN]:
            lines.append(
                t(
                    "instruction.detail.answer",
                    language,
                    at=local_time(answer.answered_at, tz),
                    unit=answer.unit,
                    name=answer.answerer_name,
                    text=shorten(answer.text, TEXT_ON_DETAILS),
                )
                + (
                    t("instruction.detail.files", language, count=len(answer.files))
                    if answer.files
                    else ""
                )
            )
        if len(answers) > ANSWERS_SHOWN:
            lines.append(
                t("instruction.detail.more_answers", language, count=len(answers) - ANSWERS_SHOWN)
            )
    if len(instructions) > SHOWN_ON_DETAILS:
        lines.append(
            t("instruction.detail.more", language, count=len(instructions) - SHOWN_ON_DETAILS)
        )
    return lines


def units_text(t: Translator, language: str | None, instruction: Instruction) -> str:
    """Return the units an instruction went to: 市水务局、市生态环境局（配合）."""
    return t.join(
        (
            u.unit if u.role == "lead" else t("instruction.assisting", language, unit=u.unit)
            for u in instruction.units
        ),
        language,
    )


def list_line(instruction: Instruction, t: Translator, language: str | None, today: date) -> str:
    """Return one instruction as a line: `#90 曹临 2023-11-01：请加快… · 市水务局 · ⏳ …`."""
    return t(
        "instruction.line",
        language,
        number=instruction.shown_number,
        author=instruction.author_name,
        on=instruction.written_on.isoformat(),
        text=shorten(instruction.text, LINE_TEXT),
        units=units_text(t, language, instruction),
        state=state_word(t, language, instruction, today),
    )


def listing(
    instructions: list[Instruction],
    t: Translator,
    language: str | None,
    today: date,
    *,
    only_open: bool,
    role: str | None,
) -> str:
    """Return the answer to `批示` / `未回复的批示`: a count, then a line per instruction."""
    scope = "all" if role == "admin" else "unit" if role == "liaison" else "mine"
    if not instructions:
        return t(f"instruction.list.none_{'open' if only_open else 'any'}_{scope}", language)
    overdue = sum(1 for i in instructions if is_overdue(i, today))
    head = t(
        f"instruction.list.{'open' if only_open else 'any'}_{scope}",
        language,
        count=len(instructions),
        overdue=overdue,
    )
    lines = [list_line(i, t, language, today) for i in instructions[:MAX_LINES]]
    if len(instructions) > MAX_LINES:
        lines.append(t("instruction.list.more", language, count=len(instructions) - MAX_LINES))
    return "\n".join([head, *lines])


def preview(
    draft: Draft,
    t: Translator,
    language: str | None,
    *,
    number: str,
    units: str,
    author: str | None = None,
) -> str:
    """Return a draft as it will be sent: to whom, and the text."""
    key = "instruction.preview_write" if draft.kind == "write" else "instruction.preview_answer"
    return t(key, language, number=number, units=units, author=author or "", text=draft.text or "")


def instruction_json(instruction: Instruction, today: date) -> dict[str, object]:
    """Return an instruction in the shape `targets --json`, `query --json` and the CLI print."""
    return {
        "id": instruction.id,
        "target": instruction.target_number,
        "label": instruction.target_label,
        "text": instruction.text,
        "author": instruction.author_name,
        "author_id": instruction.author_id,
        "author_role": instruction.author_role,
        "written_at": instruction.written_at,
        "reply_due": instruction.reply_due.isoformat(),
        "to_assisting": instruction.to_assisting,
        "units": [{"unit": u.unit, "role": u.role} for u in instruction.units],
        "answered": is_answered(instruction),
        "overdue": is_overdue(instruction, today),
        "waiting": [u.unit for u in waiting_units(instruction)],
        "answers": [
            {
                "id": a.id,
                "unit": a.unit,
                "by": a.answered_by,
                "name": a.answerer_name,
                "text": a.text,
                "answered_at": a.answered_at,
                "evidence": [
                    {"name": f.name, "size": f.size, "kind": f.kind, "mime": f.mime}
                    for f in a.files
                ],
            }
            for a in instruction.answers
        ],
    }
