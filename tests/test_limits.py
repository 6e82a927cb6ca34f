"""Telegram's limits: texts counted in UTF-16 units, split where they may be, never refused."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from bot import limits
from handlers.reply import buttons as keyboard
from handlers.reply import plain, split
from tests.harness import Harness, Person, running_bot, shown, telegram_refusal
from tests.test_report_chat import ADMIN, INDUSTRY, LIAISON, Calls, bind, buttons, keyed

THUMBS = "👍" * 1999  # 1,999 characters, 3,998 UTF-16 units: within the 2,000-character limit
AMPERSANDS = "&" * 1999  # 1,999 characters, escaped to 9,995


async def submit(harness: Harness, person: Person, text: str) -> Calls:
    """Submit the first target of the person's unit, on track, with this text; return all."""
    calls: Calls = []
    listing = await harness.send(person, "/report")
    pick = next(data for data in buttons(listing).values() if data.startswith("rp:pick:"))
    calls += await harness.press(person, pick)
    calls += await harness.send(person, text)
    status = await harness.press(person, keyed(harness, person, "rp:ready"))
    preview = await harness.press(person, buttons(status)["按计划"])
    calls += status + preview
    calls += await harness.press(person, buttons(preview)["✅ 确认提交"])
    return calls


def test_the_test_double_refuses_what_telegram_refuses() -> None:
    # Telegram counts UTF-16 units after parsing entities: 2,049 thumbs are 4,098 units.
    assert telegram_refusal("sendMessage", {"text": "👍" * 2049}) == (
        "Bad Request: message is too long"
    )
    assert telegram_refusal("sendMessage", {"text": "👍" * 2048}) is None
    assert telegram_refusal("sendMessage", {"text": "&amp;" * 4096}) is None  # 4,096 after parsing
    assert telegram_refusal("editMessageText", {"text": "&amp;" * 4097}) is not None
    assert telegram_refusal("sendMessage", {"text": "\n\n"}) == "Bad Request: message text is empty"


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("x\n" + THUMBS + "\n" + "y" * 200, 2),  # 4,001 units, then 200
        (html.escape(AMPERSANDS), 1),  # 1,999 units once parsed
        ("👍" * 4096, 2),  # 8,192 units: cut between two emoji, never inside one
    ],
)
def test_split_counts_utf16_units_after_parsing(text: str, pieces: int) -> None:
    parts = split(text)
    assert len(parts) == pieces
    assert "".join(parts) == text
    assert all(limits.parsed_units(part) <= 4096 for part in parts)
    assert all(telegram_refusal("sendMessage", {"text": part}) is None for part in parts)


def test_split_never_cuts_an_entity_or_an_emoji_sequence() -> None:
    # A cut that falls in `&amp;` moves before it: no `&am` / `p;` fragments.
    parts = split("a" * 4094 + "&amp;&amp;&amp;")
    assert parts == ["a" * 4094 + "&amp;&amp;", "&amp;"]
    # 👍🏽 (thumb and skin tone) and a family joined by ZWJ stay whole.
    family = "👨\u200d👩\u200d👧"
    parts = split("a" * 4090 + family + "👍🏽")
    assert parts == ["a" * 4090, family + "👍🏽"]


def test_alerts_and_callback_data_keep_to_their_limits() -> None:
    alert = plain("👍" * 300)
    assert limits.units(alert) <= 200 and alert.endswith("…")
    with pytest.raises(ValueError, match="64 bytes"):
        keyboard([[("x", "alias:1:" + "水" * 20)]])


async def test_an_emoji_heavy_submission_does_not_block_the_review_queue(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id}), REVIEW_REQUIRED="true") as harness:
        await bind(harness)
        # The writer sees the preview and the receipt of a maximal text.
        written = await submit(harness, LIAISON, THUMBS)
        seen = "".join(shown(written))
        assert THUMBS in seen
        assert "已提交" in shown(written)[-1] or "审核" in shown(written)[-1]
        await submit(harness, INDUSTRY, "5G基站建设完成1800个")

        # The admin sees the first card whole (in two messages, the buttons on the last) ...
        review = await harness.send(ADMIN, "/review")
        first = shown(review)
        assert len(first) == 2 and first[0].startswith("🔍 待审核（共 2 份，这是第 1 份）")
        assert THUMBS in "".join(first)
        approved = await harness.press(ADMIN, buttons(review)["✅ 通过"])
        # ... and, once it is approved, the next unit's submission.
        following = [text for text in shown(approved) if text.startswith("🔍 待审核")]
        assert following and "共 1 份" in following[0] and "5G基站建设完成1800个" in following[0]
        done = await harness.press(ADMIN, buttons(approved)["✅ 通过"])
        assert "已通过" in shown(done)[0]
        assert harness.request.refused == []


async def test_a_preview_of_ampersands_arrives_without_fragments(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        await bind(harness)
        written = await submit(harness, LIAISON, AMPERSANDS)
        assert harness.request.refused == []
        for text in shown(written):
            assert not text.endswith(("&", "&a", "&am", "&amp")), text[-8:]
        assert any(html.escape(AMPERSANDS) in text for text in shown(written))
