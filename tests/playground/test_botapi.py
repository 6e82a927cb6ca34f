"""The local Bot API server, spoken to by python-telegram-bot's own Bot over real HTTP."""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import AsyncIterator

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    ReplyKeyboardMarkup,
)
from telegram import InlineKeyboardMarkup as Keyboard
from telegram.error import BadRequest, InvalidToken

from bot.playground.botapi import BotAPIServer, User

TOKEN = "42:local-test-token"
ANNA = User(2002, "Anna")


def png(width: int, height: int) -> bytes:
    """Return a tiny valid PNG of this size (one grey channel, all black)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
async def server() -> AsyncIterator[BotAPIServer]:
    started = BotAPIServer(TOKEN)
    await started.start()
    yield started
    await started.stop()


@pytest.fixture
async def bot(server: BotAPIServer) -> AsyncIterator[Bot]:
    async with Bot(
        TOKEN, base_url=f"{server.url}/bot", base_file_url=f"{server.url}/file/bot"
    ) as started:
        yield started


async def test_the_bot_learns_who_it_is_and_a_wrong_token_is_refused(
    server: BotAPIServer, bot: Bot
) -> None:
    assert bot.username == server.username
    with pytest.raises(InvalidToken):
        async with Bot("43:wrong", base_url=f"{server.url}/bot"):
            pass


async def test_long_polling_waits_for_a_message_and_offsets_confirm_it(
    server: BotAPIServer, bot: Bot
) -> None:
    assert await bot.get_updates(timeout=0) == ()
    polling = asyncio.ensure_future(bot.get_updates(timeout=5))
    await server.wait_until(lambda: server.polls >= 2)
    await server.user_sends(ANNA, "/report 90")
    (update,) = await asyncio.wait_for(polling, 5)
    assert update.message is not None
    assert update.message.text == "/report 90"
    assert update.message.entities[0].type == "bot_command"
    again = await bot.get_updates(offset=update.update_id, timeout=0)
    assert [u.update_id for u in again] == [update.update_id]
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
    (mine,) = await server.events_after(ANNA.id, 0)
    assert (mine.from_bot, mine.html, mine.text) == (False, "/report 90", "/report 90")


async def test_messages_edits_buttons_and_alerts_are_shown_in_order(
    server: BotAPIServer, bot: Bot
) -> None:
    markup = Keyboard([[InlineKeyboardButton("#90", callback_data="q:90")]])
    sent = await bot.send_message(ANNA.id, "<b>找到</b> 1 个 &amp; 更多", reply_markup=markup)
    (shown,) = await server.events_after(ANNA.id, 0)
    assert (shown.html, shown.text, shown.buttons) == (
        "<b>找到</b> 1 个 &amp; 更多",
        "找到 1 个 & 更多",
        [("#90", "q:90")],
    )
    query_id = await server.press(ANNA, shown, "q:90")
    (update,) = await bot.get_updates(timeout=0)
    assert update.callback_query is not None
    assert update.callback_query.data == "q:90"
    assert await bot.answer_callback_query(query_id, text="已过期", show_alert=True)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):  # one answer per query
        await bot.answer_callback_query(query_id)
    assert server.answered_twice == [query_id]
    await bot.edit_message_text("#90 详情", ANNA.id, sent.message_id)
    await bot.edit_message_reply_markup(ANNA.id, sent.message_id, reply_markup=None)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("gone", ANNA.id, 999_999)

    events = await server.events_after(ANNA.id, shown.seq)
    assert [(e.method, e.html) for e in events] == [
        ("answerCallbackQuery", "已过期"),
        ("editMessageText", "#90 详情"),
        ("editMessageReplyMarkup", "#90 详情"),
    ]
    assert [e.seq for e in events] == sorted(e.seq for e in events)
    assert server.shown(ANNA.id, sent.message_id) is events[-1]
    assert [s.method for s in server.outbox] == [
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
    ]


async def test_a_long_poll_of_a_chat_wakes_when_something_is_shown(
    server: BotAPIServer, bot: Bot
) -> None:
    waiting = asyncio.ensure_future(server.events_after(ANNA.id, 0, wait=5))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    await bot.send_message(ANNA.id, "来了")
    (shown,) = await asyncio.wait_for(waiting, 5)
    assert shown.text == "来了"
    assert await server.events_after(ANNA.id, shown.seq, wait=0.05) == []


async def test_documents_and_photos_go_both_ways(server: BotAPIServer, bot: Bot) -> None:
    await server.user_uploads(ANNA, "佐证.pdf", b"%PDF-1.4 evidence")
    (update,) = await bot.get_updates(timeout=0)
    assert update.message is not None
    assert update.message.document is not None
    document = update.message.document
    assert (document.file_name, document.mime_type) == ("佐证.pdf", "application/pdf")
    downloaded = await (await bot.get_file(document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == b"%PDF-1.4 evidence"

    exported = await bot.send_document(ANNA.id, b"xlsx", filename="一览表.xlsx", caption="导出")
    assert exported.document is not None
    assert exported.document.file_name == "一览表.xlsx"
    assert server.files[exported.document.file_id].data == b"xlsx"
    chart = await bot.send_photo(ANNA.id, png(3, 2))
    assert (chart.photo[0].width, chart.photo[0].height) == (3, 2)
    again = await bot.send_document(ANNA.id, exported.document.file_id)  # sent again by id
    assert again.document is not None
    assert again.document.file_id == exported.document.file_id
    assert [s.method for s in server.outbox] == ["sendDocument", "sendPhoto", "sendDocument"]
    assert server.outbox[1].file_bytes == png(3, 2)


async def test_menus_per_chat_and_language_and_descriptions(server: BotAPIServer, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "开始")])
    await bot.set_my_commands([BotCommand("start", "Start")], language_code="en")
    await bot.set_my_commands([BotCommand("report", "填报")], scope=BotCommandScopeChat(ANNA.id))
    await bot.set_my_description("目标机器人")
    await bot.set_my_short_description("Targets", language_code="en")
    assert await bot.send_chat_action(ANNA.id, "typing")
    assert [c["command"] for c in server.menu(ANNA.id)] == ["report"]
    assert server.menu(3003, "en") == [{"command": "start", "description": "Start"}]
    assert server.menu(3003, "zh") == [{"command": "start", "description": "开始"}]
    assert [c.command for c in await bot.get_my_commands(scope=BotCommandScopeChat(ANNA.id))] == [
        "report"
    ]
    assert await bot.delete_my_commands(scope=BotCommandScopeChat(ANNA.id))
    assert server.menu(ANNA.id) == server.menu(3003)
    assert server.descriptions == {("description", None): "目标机器人", ("short", "en"): "Targets"}


async def test_past_telegram_limits_is_refused_as_telegram_does(
    server: BotAPIServer, bot: Bot
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(ANNA.id, "长" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(
            ANNA.id,
            "x",
            reply_markup=Keyboard([[InlineKeyboardButton("b", callback_data="d" * 65)]]),
        )
    assert server.refused == [(400, "sendMessage"), (400, "sendMessage")]
    assert server.outbox == []


async def test_clear_forgets_everything_but_numbers_go_on(server: BotAPIServer, bot: Bot) -> None:
    await bot.send_message(ANNA.id, "一")
    last = server.last_seq
    server.clear()
    assert (server.outbox, server.events, server.files, server.last_seq) == ([], [], {}, 0)
    await bot.send_message(ANNA.id, "二")
    assert server.events[0].seq > last


async def test_a_reply_keyboard_is_shown_but_not_handed_back_to_the_bot(
    server: BotAPIServer, bot: Bot
) -> None:
    """Telegram returns only inline keyboards in a sent Message; PTB fails on any other."""
    keyboard = ReplyKeyboardMarkup([["按计划", "滞后"]], resize_keyboard=True)
    sent = await bot.send_message(4004, "请选择", reply_markup=keyboard)
    assert sent.reply_markup is None
    (shown,) = [s for s in server.outbox if s.chat_id == 4004]
    assert shown.message["reply_markup"]["keyboard"][0][0]["text"] == "按计划"
