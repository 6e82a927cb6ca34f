"""End to end: the real bot process, real HTTP, people played by the tests."""

from __future__ import annotations

import asyncio
import re
import socket
import sqlite3
from pathlib import Path

import aiohttp

from bot.i18n import Translator
from tests.e2e.botapi import BOT_USERNAME, FakeBotAPI, User
from tests.e2e.conftest import ADMIN, LIAISON, OTHER, BotProcess

zh, en = Translator("zh"), Translator("en")


async def wait_for_port(port: int, within: float = 15.0) -> None:
    """Wait until something accepts connections on 127.0.0.1:port."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.05)
        else:
            writer.close()
            await writer.wait_closed()
            return


async def invite_link(api: FakeBotAPI, command: str) -> str:
    """Have the admin run an /invite command; return the code of the link it answers."""
    await api.user_sends(ADMIN, command)
    reply = await api.reply(ADMIN.id)
    match = re.search(rf"https://t\.me/{BOT_USERNAME}\?start=([A-Za-z0-9_-]+)", reply.text)
    assert match, reply.text
    return match.group(1)


async def say(api: FakeBotAPI, user: User, text: str) -> str:
    """Send a message as `user` and return the text of the bot's next reply to them."""
    await api.user_sends(user, text)
    return (await api.reply(user.id)).text


async def test_invite_bind_reuse_whoami_language_and_revoke(
    api: FakeBotAPI, bot: BotProcess
) -> None:
    assert await say(api, OTHER, "/start") == zh("access.stranger")

    await api.user_sends(ADMIN, "/invite liaison 水务局")
    link = await api.reply(ADMIN.id)
    assert "联络员 · 市水务局" in link.text
    code = re.search(r"\?start=([A-Za-z0-9_-]+)", link.text)
    assert code is not None
    assert len(code.group(1)) >= 22  # 128 bits, base64url

    bound = await say(api, LIAISON, f"/start {code.group(1)}")
    assert bound.startswith("欢迎，水务！您已开通：联络员 · 市水务局。")
    assert await say(api, OTHER, f"/start {code.group(1)}") == zh("start.invite_used")
    assert await say(api, OTHER, "/whoami") == zh("access.stranger")

    assert await say(api, LIAISON, "/whoami") == (
        "Telegram 编号：2002\n身份：联络员 · 市水务局\n语言：中文"
    )
    assert await say(api, LIAISON, "/lang en") == en("account.lang_set")
    assert await say(api, LIAISON, "/whoami") == (
        "Telegram id: 2002\nRole: liaison · 市水务局\nLanguage: English"
    )
    assert await say(api, LIAISON, "/help") == en("help.liaison")

    assert await say(api, ADMIN, f"/revoke {LIAISON.id}") == "已撤销 水务 的权限。"
    assert (await api.reply(LIAISON.id)).text == en("admin.revoked_you")
    assert await say(api, LIAISON, "/whoami") == en("access.stranger")


async def test_unknown_expired_and_ambiguous_invites(
    api: FakeBotAPI, bot: BotProcess, tmp_path: Path
) -> None:
    assert await say(api, OTHER, "/start not-a-real-code") == zh("start.invite_unknown")

    await api.user_sends(ADMIN, "/invite liaison 县人民政府")
    choice = await api.reply(ADMIN.id)
    assert choice.text == "“县人民政府” 对应多个，请选择："
    labels = [label for label, _ in choice.buttons]
    assert labels == ["东明县人民政府", "单县人民政府", "巨野县人民政府", "鄄城县人民政府"]
    await api.press(ADMIN, choice, choice.buttons[1][1])
    edited = await api.reply(ADMIN.id)
    assert edited.method == "editMessageText"
    assert "联络员 · 单县人民政府" in edited.text

    code = await invite_link(api, "/invite leader 王长华")  # a typo of 王昌华
    with sqlite3.connect(tmp_path / "targetbot.db") as conn:
        conn.execute("UPDATE invite SET expires_at = '2000-01-01T00:00:00+00:00'")
    assert await say(api, OTHER, f"/start {code}") == zh("start.invite_expired")
    assert await say(api, OTHER, "/whoami") == zh("access.stranger")


async def test_bindings_survive_kill_9_and_telegram_faults_are_survived(
    api: FakeBotAPI, bot: BotProcess, tmp_path: Path
) -> None:
    code = await invite_link(api, "/invite liaison 水务局")
    await say(api, LIAISON, f"/start {code}")

    await bot.kill()
    await bot.start()
    assert "联络员 · 市水务局" in await say(api, LIAISON, "/whoami")

    # A 429 is waited out and the message still arrives.
    api.fail_next("sendMessage", retry_after=1)
    assert "联络员 · 市水务局" in await say(api, LIAISON, "/whoami")
    assert (429, "sendMessage") in api.refused

    # A user who blocked the bot is marked inactive, and admins see it.
    api.block(LIAISON.id)
    await api.user_sends(LIAISON, "/whoami")
    users = await say(api, ADMIN, "/users")
    assert (403, "sendMessage") in api.refused
    line = next(line for line in users.splitlines() if str(LIAISON.id) in line)
    assert "已停用" in line
    with sqlite3.connect(tmp_path / "targetbot.db") as conn:
        assert conn.execute(
            "SELECT active FROM user WHERE telegram_id = ?", (LIAISON.id,)
        ).fetchone() == (0,)

    assert await bot.stop() == 0


async def test_in_groups_only_commands_are_answered_and_invites_stay_private(
    api: FakeBotAPI, bot: BotProcess
) -> None:
    group_id = -100500
    group = {"id": group_id, "type": "group", "title": "领导群"}
    await api.user_sends(OTHER, "王昌华 滞后", chat=group)
    await api.user_sends(OTHER, f"/whoami@{BOT_USERNAME}", chat=group)
    reply = await api.reply(group_id)
    assert reply.text == zh("access.stranger")  # the free text before it got no answer
    await api.user_sends(ADMIN, "/invite liaison 水务局", chat=group)
    assert (await api.reply(group_id)).text == zh("access.private_only")
    assert api.unread(group_id) == []


async def test_the_command_menu_is_registered_per_language(
    api: FakeBotAPI, bot: BotProcess
) -> None:
    assert [c["command"] for c in api.commands["zh"]] == [
        "start",
        "help",
        "q",
        "report",
        "mine",
        "settings",
        "whoami",
        "lang",
    ]
    assert api.commands["en"][1]["description"] == en("menu.help")
    assert api.commands[None] == api.commands["zh"]


async def test_webhook_mode_takes_updates_only_with_the_secret(
    api: FakeBotAPI, tmp_path: Path, bot_env: dict[str, str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    bot = BotProcess(
        api,
        tmp_path,
        bot_env,
        "run",
        "--webhook",
        "https://bot.example.org",
        "--listen",
        "127.0.0.1",
        "--port",
        str(port),
    )
    await bot.start()
    try:
        # PTB sets the webhook first and starts listening right after: wait for the port.
        await wait_for_port(port)
        assert api.webhook is not None, [c[0] for c in api.calls]
        url, secret = api.webhook["url"], api.webhook["secret_token"]
        assert url.startswith("https://bot.example.org/telegram/")
        local = url.replace("https://bot.example.org", f"http://127.0.0.1:{port}")
        async with aiohttp.ClientSession() as session:
            forged = api.update_json(OTHER, "/start")
            async with session.post(local, json=forged) as response:
                assert response.status == 403
            update = api.update_json(OTHER, "/start")
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
            async with session.post(local, json=update, headers=headers) as response:
                assert response.status == 200
        assert (await api.reply(OTHER.id)).text == zh("access.stranger")
        assert api.unread(OTHER.id) == []  # the forged update was not processed
    finally:
        assert await bot.stop() == 0
