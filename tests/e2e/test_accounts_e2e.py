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
    # Whom to forward it to, and until when (FAKE_TIME 2026-11-25 23:00 and 7 days).
    assert re.fullmatch(
        r"邀请链接（联络员 · 市水务局）：请转发给 市水务局 的联络员本人，仅可使用一次，"
        r"2026-12-02 23:0\d 前有效。\nhttps://t\.me/\w+\?start=[A-Za-z0-9_-]+",
        link.text,
    ), link.text
    code = re.search(r"\?start=([A-Za-z0-9_-]+)", link.text)
    assert code is not None
    assert len(code.group(1)) >= 22  # 128 bits, base64url

    bound = await say(api, LIAISON, f"/start {code.group(1)}")
    assert bound.startswith("欢迎，水务！您已开通：联络员 · 市水务局。")
    told = await api.reply(ADMIN.id)
    assert told.text == "✅ 水务（2002 @shuiwu）已接受邀请，开通为：联络员 · 市水务局。"
    assert await say(api, OTHER, f"/start {code.group(1)}") == zh("start.invite_used")
    # Everyone sees their Telegram id: the admin needs it for `users add`.
    assert await say(api, OTHER, "/whoami") == (
        "Telegram 编号：3003\n身份：未开通\n语言：中文\n\n"
        "您还没有开通使用权限。请把您的 Telegram 编号 3003 发给督查室管理员，或向其索取邀请链接。"
    )

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
    assert await say(api, LIAISON, "/report") == en("access.stranger")
    assert (await say(api, LIAISON, "/whoami")).startswith("Telegram id: 2002\nRole: no access")


async def test_unknown_expired_and_ambiguous_invites(
    api: FakeBotAPI, bot: BotProcess, tmp_path: Path
) -> None:
    assert await say(api, OTHER, "/start not-a-real-code") == zh("start.invite_unknown")

    await api.user_sends(ADMIN, "/invite liaison 县人民政府")
    choice = await api.reply(ADMIN.id)
    assert choice.text == "“县人民政府” 对应多个，请选择："
    labels = [label for label, _ in choice.buttons]
    assert labels == ["东明县人民政府", "单县人民政府", "巨野县人民政府", "鄄城县人民政府", "取消"]
    await api.press(ADMIN, choice, choice.buttons[1][1])
    edited = await api.reply(ADMIN.id)
    assert edited.method == "editMessageText"
    assert "联络员 · 单县人民政府" in edited.text

    await api.user_sends(ADMIN, "/invite leader 王长华")  # a typo of 王昌华: asked first
    asked = await api.reply(ADMIN.id)
    assert asked.text == (
        "没有名称正好是 “王长华” 的。最接近的是：领导 · 王昌华。要为它生成邀请链接吗？"
    )
    assert [label for label, _ in asked.buttons] == ["✅ 生成邀请：领导 · 王昌华", "取消"]
    await api.press(ADMIN, asked, asked.buttons[0][1])
    made = await api.reply(ADMIN.id)
    assert made.text.startswith("邀请链接（领导 · 王昌华）：请转发给 王昌华本人")
    code = made.text.rsplit("start=", 1)[1]
    with sqlite3.connect(tmp_path / "targetbot.db") as conn:
        conn.execute("UPDATE invite SET expires_at = '2000-01-01T00:00:00+00:00'")
    assert await say(api, OTHER, f"/start {code}") == zh("start.invite_expired")
    assert await say(api, OTHER, "/report") == zh("access.stranger")


async def marked_inactive(db: Path, telegram_id: int, within: float = 30.0) -> None:
    """Wait until the bot has marked the user inactive."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        with sqlite3.connect(db) as conn:
            row = conn.execute(
                "SELECT active FROM user WHERE telegram_id = ?", (telegram_id,)
            ).fetchone()
        if row == (0,):
            return
        assert asyncio.get_running_loop().time() < deadline, "the user was not marked inactive"
        await asyncio.sleep(0.05)


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

    # A user who blocked the bot is marked inactive, and admins see it (once the bot has tried
    # to answer them: different people's updates run side by side, in no order between them).
    api.block(LIAISON.id)
    await api.user_sends(LIAISON, "/whoami")
    await marked_inactive(tmp_path / "targetbot.db", LIAISON.id)
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
    assert reply.text.startswith("Telegram 编号：3003")  # the free text before got no answer
    await api.user_sends(ADMIN, "/invite liaison 水务局", chat=group)
    assert (await api.reply(group_id)).text == zh("access.private_only")
    assert api.unread(group_id) == []


async def test_menus_per_role_and_language_and_the_description(
    api: FakeBotAPI, bot: BotProcess
) -> None:
    def menu(commands: list[dict[str, str]]) -> list[str]:
        return [c["command"] for c in commands]

    # Everyone else: the default menu, in each language (and the default language's).
    assert menu(api.commands["zh"]) == ["start", "help", "whoami"]
    assert api.commands["en"][1]["description"] == en("menu.help")
    assert api.commands[None] == api.commands["zh"]
    assert api.descriptions[("short", "en")] == en("bot.short_description")
    assert api.descriptions[("description", "zh")] == zh("bot.description")
    assert api.descriptions[("description", None)] == zh("bot.description")
    # The configured admin has the admin's menu from the start.
    admin_menu = ["q", "invite", "users", "revoke", "period", "review", "settings", "whoami"]
    assert menu(api.chat_commands[ADMIN.id])[:8] == admin_menu
    assert api.chat_commands[ADMIN.id][1]["description"] == zh("menu.invite")

    code = await invite_link(api, "/invite liaison 水务局")
    await say(api, LIAISON, f"/start {code}")
    await api.reply(ADMIN.id)  # told of the accepted invite

    def first_item() -> str:
        return str(api.chat_commands.get(LIAISON.id, [{}])[0].get("description"))

    # Menus change right after the reply: wait for them.
    await api.wait_until(lambda: first_item() == zh("menu.report"))
    liaison_menu = ["report", "mine", "cancel", "extend", "q", "settings", "whoami", "lang", "help"]
    assert menu(api.chat_commands[LIAISON.id]) == liaison_menu
    await say(api, LIAISON, "/lang en")
    await api.wait_until(lambda: first_item() == en("menu.report"))
    assert await say(api, ADMIN, f"/revoke {LIAISON.id}") == "已撤销 水务 的权限。"
    await api.wait_until(lambda: first_item() == en("menu.start"))
    assert menu(api.chat_commands[LIAISON.id]) == ["start", "help", "whoami"]


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


async def test_loose_names_ask_before_revoking_inviting_closing_or_rebinding(
    api: FakeBotAPI, bot: BotProcess, tmp_path: Path
) -> None:
    wang = User(4005, "王昌华", "zh")
    code = await invite_link(api, "/invite leader 王昌华")  # an exact name: no question
    await say(api, wang, f"/start {code}")
    await api.reply(ADMIN.id)  # told of the accepted invite

    # `/revoke 王` names nobody exactly: it says whose access would go, and asks.
    await api.user_sends(ADMIN, "/revoke 王")
    asked = await api.reply(ADMIN.id)
    assert asked.text.startswith(
        "没有姓名正好是 “王” 的用户。最接近的是：\n• 王昌华（4005）— 领导 · 王昌华 · 最近使用"
    )
    assert asked.text.endswith("\n要撤销此人的权限吗？")
    assert [label for label, _ in asked.buttons] == ["⛔ 撤销 王昌华 的权限", "取消"]
    await api.press(ADMIN, asked, dict(asked.buttons)["取消"])
    assert (await api.reply(ADMIN.id)).text == "好的，已取消，什么也没有改。"
    assert rows(tmp_path, "SELECT role FROM user WHERE telegram_id = 4005") == [("leader",)]
    await api.user_sends(ADMIN, "/revoke 王")
    asked = await api.reply(ADMIN.id)
    await api.press(ADMIN, asked, asked.buttons[0][1])
    assert (await api.reply(ADMIN.id)).text == "已撤销 王昌华 的权限。"
    assert rows(tmp_path, "SELECT role FROM user WHERE telegram_id = 4005") == [(None,)]

    # `/invite liaison 财政`: there is no 财政局; the closest unit is offered, not taken.
    await api.user_sends(ADMIN, "/invite liaison 财政")
    offered = await api.reply(ADMIN.id)
    assert offered.text == (
        "没有名称正好是 “财政” 的。最接近的是：联络员 · 财金集团。要为它生成邀请链接吗？"
    )
    assert rows(tmp_path, "SELECT COUNT(*) FROM invite") == [(1,)]  # the leader's only

    # A bound liaison who opens a leader's invite is asked first; admins are told.
    code = await invite_link(api, "/invite liaison 水务局")
    await say(api, LIAISON, f"/start {code}")
    await api.reply(ADMIN.id)
    code = await invite_link(api, "/invite leader 曹临")
    await api.user_sends(LIAISON, f"/start {code}")
    question = await api.reply(LIAISON.id)
    assert question.text == (
        "您目前的身份是：联络员 · 市水务局。\n"
        "这个邀请链接会把您改为：领导 · 曹临，原来的身份将不再保留。要替换吗？"
    )
    assert [label for label, _ in question.buttons] == [
        "替换为：领导 · 曹临",
        "保持现在的身份",
    ]
    await api.press(LIAISON, question, question.buttons[1][1])
    kept = await api.reply(LIAISON.id)
    assert kept.text == "好的，您的身份保持不变：联络员 · 市水务局。这个邀请链接没有使用。"
    assert rows(tmp_path, "SELECT role FROM user WHERE telegram_id = 2002") == [("liaison",)]
    await api.user_sends(LIAISON, f"/start {code}")
    question = await api.reply(LIAISON.id)
    await api.press(LIAISON, question, question.buttons[0][1])
    assert (await api.reply(LIAISON.id)).text.startswith("欢迎，水务！您已开通：领导 · 曹临。")
    assert (await api.reply(ADMIN.id)).text == (
        "🔁 水务（2002 @shuiwu）通过邀请链接更换了身份：联络员 · 市水务局 → 领导 · 曹临。"
    )

    # `/period close` says what it does and whom it tells, and asks.
    code = await invite_link(api, "/invite liaison 水务局")
    await say(api, OTHER, f"/start {code}")
    await api.reply(ADMIN.id)
    await api.user_sends(ADMIN, "/period close 2023Q4")
    close = await api.reply(ADMIN.id)
    assert close.text == (
        "要关闭 2023Q4 的填报吗？关闭后联络员不能再提交或修改 2023Q4 的进展。\n"
        "将通知：1 位联络员（1 个单位）。"
    )
    assert rows(tmp_path, "SELECT COUNT(*) FROM period") == [(0,)]
    await api.press(ADMIN, close, dict(close.buttons)["⛔ 确认关闭 2023Q4"])
    assert (await api.reply(OTHER.id)).text == (
        "督查室已关闭 2023Q4 的进度填报，不再接受提交和修改。如需补报，请联系督查室。"
    )
    done = await api.reply(ADMIN.id)
    assert done.text.startswith("已关闭 2023Q4 的填报，正在通知 1 位联络员。\n")
    assert rows(tmp_path, "SELECT period, state FROM period") == [("2023Q4", "closed")]


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path / "targetbot.db") as conn:
        return conn.execute(sql).fetchall()
