"""The playground in-process, driven through its side API over real HTTP, as the page drives it.

Each test starts the whole thing on free ports — the local Bot API server, the real Application
polling it, the page's side API — on a database under tmp_path, and plays the demo people.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot import clock
from bot.i18n import Translator
from bot.playground.server import Playground, running
from bot.settings import Settings
from tests.playground.test_botapi import png

LEADER, LIAISON, OTHER_LIAISON, ADMIN, STRANGER = 4004, 2002, 2003, 1001, 3003
# In quiet hours: no reminder comes between a test's messages unless the test moves the clock.
START = datetime(2026, 11, 25, 23, 0)
LINE = re.compile(r"^(?:[🔴🟡⚪🟢](?: \(\d{4}Q\d\))? )?#(\d+) ", re.MULTILINE)
WAIT = 15.0  # seconds a reply may take
zh = Translator("zh")


class Page:
    """What the chat page does: read each chat's events in order, send, press, upload."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url
        self.after: dict[int, int] = {}

    async def get(self, path: str, **params: Any) -> Any:
        async with self.session.get(self.url + path, params=params) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def post(self, path: str, body: dict[str, Any], status: int = 200) -> Any:
        async with self.session.post(self.url + path, json=body) as response:
            assert response.status == status, await response.text()
            return await response.json()

    async def events(self, chat: int, wait: float = 0) -> list[dict[str, Any]]:
        """Return the chat's events since last read (long-polling up to `wait` seconds)."""
        answer = await self.get(
            "/api/messages", chat=chat, after=self.after.get(chat, 0), wait=wait
        )
        self.after[chat] = answer["last"]
        events: list[dict[str, Any]] = answer["events"]
        return events

    async def from_bot(self, chat: int, *, alert: bool = False) -> dict[str, Any]:
        """Wait for the bot's next message (or alert) in a chat; skip the person's own."""
        deadline = asyncio.get_running_loop().time() + WAIT
        pending: list[dict[str, Any]] = []
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            assert remaining > 0, f"the bot showed nothing in chat {chat}"
            pending = [e for e in await self.events(chat, wait=min(remaining, 5)) if e]
            for event in pending:
                if event["from"] == "bot" and (event["alert"] is not None) == alert:
                    # Anything after it stays unread for the next call.
                    self.after[chat] = event["seq"]
                    return event

    async def say(self, chat: int, text: str) -> dict[str, Any]:
        assert await self.post("/api/send", {"chat": chat, "text": text}) == {"ok": True}
        return await self.from_bot(chat)

    async def press(self, chat: int, event: dict[str, Any], label: str) -> dict[str, Any]:
        data = next(
            b["data"] for row in event["buttons"] for b in row if b["text"].startswith(label)
        )
        body = {"chat": chat, "message_id": event["message_id"], "data": data}
        assert await self.post("/api/press", body) == {"ok": True}
        return await self.from_bot(chat)


def text(event: dict[str, Any]) -> str:
    return re.sub(r"<[^>]+>", "", event["html"]).replace("&amp;", "&")


def numbers(event: dict[str, Any]) -> list[int]:
    return [int(m.group(1)) for m in LINE.finditer(text(event))]


@pytest.fixture
async def playground(tmp_path: Path) -> AsyncIterator[Playground]:
    settings = Settings(database_path=tmp_path / "playground.db", fake_time=START)
    try:
        async with running(settings, port=0) as started:
            yield started
    finally:
        clock.reset()


@pytest.fixture
async def page(playground: Playground) -> AsyncIterator[Page]:
    async with aiohttp.ClientSession() as session:
        yield Page(session, playground.url)


async def test_state_lists_the_demo_people_the_clock_and_each_menu(page: Page) -> None:
    state = await page.get("/api/state")
    assert [(p["id"], p["role"]) for p in state["people"]] == [
        (ADMIN, "admin"),
        (LEADER, "leader"),
        (LIAISON, "liaison"),
        (OTHER_LIAISON, "liaison"),
        (STRANGER, ""),
    ]
    assert state["now"] == "2026-11-25 23:00"
    menus = {chat: [c["command"] for c in menu] for chat, menu in state["commands"].items()}
    assert "report" in menus[str(LIAISON)]
    assert "invite" in menus[str(ADMIN)]
    assert menus[str(STRANGER)] == ["start", "help", "whoami"]  # the default menu


async def test_the_leader_asks_and_pages_with_a_button(page: Page) -> None:
    answer = await page.say(LEADER, "王昌华")
    assert text(answer).startswith("🔎 理解为：领导 王昌华\n找到 42 个目标（2023Q3），第 1/5 页")
    assert numbers(answer) == list(range(48, 58))
    assert answer["buttons"][0][0]["text"] == "#48"
    own = (await page.get("/api/messages", chat=LEADER, after=0))["events"][0]
    assert (own["from"], own["html"]) == ("user", "王昌华")

    page2 = await page.press(LEADER, answer, "▶")
    assert page2["edited"] is True
    assert page2["message_id"] == answer["message_id"]  # the page replaces it in place
    assert numbers(page2) == list(range(58, 68))

    details = await page.press(LEADER, page2, "#58")
    assert text(details).startswith("#58 ")


async def test_the_liaison_reports_on_90_through_the_buttons(page: Page) -> None:
    listing = await page.say(LIAISON, "/report")
    assert text(listing).startswith("📋 市水务局 · 2023Q4 进度填报")
    card = await page.press(LIAISON, listing, "⬜ #90")
    assert "请发送 2023Q4 的进展情况" in text(card)
    taken = await page.say(LIAISON, "1-11月完成水利投资21.5亿元")
    assert text(taken).startswith("已记入 #90 的进展")
    status = await page.press(LIAISON, taken, "写完了")
    preview = await page.press(LIAISON, status, "按计划")
    assert text(preview).startswith("📝 即将提交：\n#90")
    receipt = await page.press(LIAISON, preview, "✅ 确认提交")
    assert text(receipt).startswith("✅ 已保存：#90 持续推进“七网”建设")


async def test_moving_the_clock_and_pushing_now_brings_a_reminder(page: Page) -> None:
    # 2023-12-29, a Friday: 7 days before the 2023Q4 report deadline.
    moved = await page.post("/api/clock", {"time": "2023-12-29 10:00"})
    assert moved == {"ok": True, "now": "2023-12-29 10:00"}
    assert (await page.get("/api/state"))["now"] == "2023-12-29 10:00"
    pushed = await page.post("/api/push", {})
    assert pushed["ok"] is True
    remind = await page.from_bot(LIAISON)
    assert text(remind).startswith("⏰ 填报提醒：市水务局 的 2023Q4 进度填报将于 2024-01-05 截止")
    assert [b["text"] for row in remind["buttons"] for b in row] == ["✍️ #90", "✍️ #93", "✍️ #96"]
    bad = await page.post("/api/clock", {"time": "tomorrow"}, status=400)
    assert bad["ok"] is False


async def test_files_go_up_and_come_down(page: Page, playground: Playground) -> None:
    form = aiohttp.FormData(quote_fields=False)  # as a browser sends it: UTF-8 names
    form.add_field("chat", str(LIAISON))
    form.add_field("file", b"a,b\n1,2\n", filename="进度.csv", content_type="text/csv")
    async with page.session.post(page.url + "/api/upload", data=form) as response:
        assert await response.json() == {"ok": True}
    mine = (await page.events(LIAISON, wait=5))[0]
    assert (mine["from"], mine["document"]["name"]) == ("user", "进度.csv")
    async with page.session.get(page.url + mine["document"]["url"]) as response:
        assert await response.read() == b"a,b\n1,2\n"
        assert "attachment" in response.headers["Content-Disposition"]
    await page.from_bot(LIAISON)  # the bot answers it, as it answers any file

    assert playground.application is not None
    await playground.application.bot.send_document(
        ADMIN, b"xlsx bytes", filename="一览表.xlsx", caption="<b>导出</b>"
    )
    document = await page.from_bot(ADMIN)
    assert (document["document"]["name"], document["html"]) == ("一览表.xlsx", "<b>导出</b>")
    async with page.session.get(page.url + document["document"]["url"]) as response:
        assert await response.read() == b"xlsx bytes"

    await playground.application.bot.send_photo(ADMIN, png(4, 3))  # a chart
    chart = await page.from_bot(ADMIN)
    assert chart["document"] is None
    async with page.session.get(page.url + chart["photo"]["url"]) as response:
        assert await response.read() == png(4, 3)
        assert response.headers["Content-Disposition"].startswith("inline")


async def test_reset_starts_over_on_the_demo_data(page: Page, playground: Playground) -> None:
    await page.say(LIAISON, "/report")
    await page.post("/api/clock", {"time": "2023-12-29 10:00"})
    assert await page.post("/api/reset", {}) == {"ok": True}
    assert (await page.get("/api/messages", chat=LIAISON, after=0))["events"] == []
    state = await page.get("/api/state")
    assert state["now"] == "2026-11-25 23:00"
    assert "report" in [c["command"] for c in state["commands"][str(LIAISON)]]
    answer = await page.say(LEADER, "王昌华")  # the bound people are bound again
    assert numbers(answer)[:1] == [48]


async def test_the_page_and_its_assets_are_served_and_foreign_origins_refused(page: Page) -> None:
    async with page.session.get(page.url + "/") as response:
        assert "<html" in await response.text()
    async with page.session.get(page.url + "/static/app.js") as response:
        assert response.status == 200
    async with page.session.get(page.url + "/static/../server.py") as response:
        assert response.status in (403, 404)
    headers = {"Origin": "http://evil.example"}
    async with page.session.post(
        page.url + "/api/send", json={"chat": LEADER, "text": "hi"}, headers=headers
    ) as response:
        assert response.status == 403


async def test_the_command_line_refuses_a_public_host_without_public(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "playground",
        "--host",
        "0.0.0.0",
        "--db",
        str(tmp_path / "p.db"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    assert process.returncode == 1
    assert "--public" in err.decode()


async def test_the_command_prints_one_line_with_the_address_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "SYSTEMROOT", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(FAKE_TIME="2026-11-25 23:00", PYTHONUNBUFFERED="1")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "playground",
        "--port",
        "0",
        cwd=tmp_path,  # no .env here; the database goes to data/playground.db below it
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        url = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert url is not None, line
        assert line == zh("cli.playground_ready", url=url.group()) + "\n"
        async with aiohttp.ClientSession() as session, session.get(url.group() + "/api/state") as r:
            assert (await r.json())["now"].startswith("2026-11-25 23:0")
        assert (tmp_path / "data" / "playground.db").exists()
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    assert "Traceback" not in err.decode()
