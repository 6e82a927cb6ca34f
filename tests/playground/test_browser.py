"""The playground in a real browser: headless Debian chromium, driven by Playwright.

One walk through the demo, as the issue's "Done when" asks: the leader asks `王昌华` and opens a
target's details; the 市水务局 liaison submits #90 through the buttons; the bot's clock moves to
a reminder day and the push check sends a reminder; a file goes up; the admin's `/export`
sends the 一览表, downloaded and opened, and `/stats` its chart, shown inline. Screenshots
at a phone's width (375 px) and a desktop's (1280 px) land in tests/playground/screenshots/
(git-ignored) for a person to look at.
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot import clock
from bot.playground.server import Playground, running
from bot.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():  # `make test` installs it as root; else it says what to install
    pytest.skip(
        f"the browser test needs Debian's chromium at {CHROMIUM}: sudo apt-get install chromium",
        allow_module_level=True,
    )

from playwright.async_api import (  # noqa: E402
    Browser,
    FilePayload,
    Locator,
    Page,
    ViewportSize,
    async_playwright,
    expect,
)

SHOTS = Path(__file__).parent / "screenshots"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = ViewportSize(width=375, height=780)
DESKTOP = ViewportSize(width=1280, height=860)
WAIT = 15_000  # ms: how long a reply may take
PROGRESS = "1-11月完成水利投资21.5亿元，七网建设按计划推进"
TODAY = datetime(2026, 11, 25, 10, 0)
PLAN = "菏泽市人民政府2023年经济社会发展责任目标"
TABLE = b"PK\x03\x04 not really a table, just bytes to carry"


@pytest.fixture
async def playground(tmp_path: Path) -> AsyncIterator[Playground]:
    # 2026-11-25 is a Wednesday: the 2023Q4 report of the demo table is open.
    settings = Settings(database_path=tmp_path / "playground.db", fake_time=TODAY)
    clock.use(settings)
    async with running(settings, port=0) as started:
        yield started


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            yield launched
        finally:
            await launched.close()


def history(page: Page) -> Locator:
    """The chat on screen: the selected person's history."""
    return page.locator("[data-testid=history]:not([hidden])")


def from_bot(page: Page, text: str | re.Pattern[str]) -> Locator:
    """The bot's messages on screen that contain `text`."""
    return history(page).locator("[data-testid=message][data-from=bot]").filter(has_text=text)


async def press(page: Page, label: str) -> None:
    """Press the newest inline button on screen whose label contains `label`."""
    await history(page).get_by_test_id("inline-button").filter(has_text=label).last.click()


async def say(page: Page, text: str) -> None:
    await page.get_by_test_id("input").fill(text)
    await page.get_by_test_id("send").click()


async def be(page: Page, label: str) -> None:
    """Pick who you are in the switcher."""
    await page.get_by_test_id("who").select_option(label=label)


async def shoot(page: Page, name: str) -> None:
    """Save a screenshot at the phone's and the desktop's width."""
    SHOTS.mkdir(exist_ok=True)
    for size, tag in ((PHONE, "375"), (DESKTOP, "1280")):
        await page.set_viewport_size(size)
        await page.wait_for_timeout(100)
        await page.screenshot(path=SHOTS / f"{name}-{tag}.png")
    await page.set_viewport_size(PHONE)


async def as_the_leader(page: Page) -> None:
    """王昌华 asks his own name: the #-lines, a page turned in place, a details card."""
    await be(page, "市政府领导 王昌华")
    await say(page, "王昌华")
    listing = from_bot(page, "理解为：领导 王昌华")
    await expect(listing).to_have_count(1, timeout=WAIT)
    await expect(listing).to_contain_text("#48 规模以上工业增加值增长6%左右")
    await expect(listing.get_by_test_id("inline-button").first).to_have_text("#48")
    await shoot(page, "1-leader")
    await press(page, "▶")  # the next page: the same message, edited in place
    await expect(listing).to_have_attribute("data-edited", "true", timeout=WAIT)
    await expect(listing).to_contain_text("#60")
    await expect(listing).to_have_count(1)
    await press(page, "#60")
    card = from_bot(page, re.compile(r"^#60 深入实施"))
    await expect(card).to_contain_text("👤 王昌华 — 市工业和信息化局", timeout=WAIT)
    await expect(card).to_contain_text("填报记录：")
    await shoot(page, "2-details")


async def as_the_water_liaison(page: Page) -> None:
    """The 市水务局 liaison submits #90 through the buttons: /report from the command menu."""
    await be(page, "联络员 · 市水务局")
    await page.get_by_test_id("menu-button").click()
    await page.get_by_test_id("command-menu").locator("[data-command=report]").click()
    await expect(from_bot(page, "📋 市水务局 · 2023Q4 进度填报")).to_have_count(1, timeout=WAIT)
    await press(page, "#90")
    await expect(from_bot(page, "请发送 2023Q4 的进展情况")).to_have_count(1, timeout=WAIT)
    await say(page, PROGRESS)
    await expect(from_bot(page, "已记入 #90 的进展")).to_have_count(1, timeout=WAIT)
    await press(page, "写完了")
    await press(page, "按计划")
    preview = from_bot(page, "📝 即将提交")
    await expect(preview).to_contain_text(PROGRESS, timeout=WAIT)
    await press(page, "✅ 确认提交")
    receipt = from_bot(page, "✅ 已保存：#90")
    await expect(receipt).to_contain_text("2023Q4 · 第 1 版 · 按计划", timeout=WAIT)
    await shoot(page, "3-receipt")


async def a_reminder_day(page: Page) -> None:
    """Move the bot's clock to a reminder day and run the push check: the reminder arrives."""
    # 2023-12-29 (a Friday) is 7 days before the 2023Q4 deadline, 2024-01-05: a report reminder.
    await page.get_by_test_id("clock-input").fill("2023-12-29T10:00")
    await page.get_by_test_id("clock-set").click()
    await expect(page.get_by_test_id("now")).to_have_text("2023-12-29 10:00", timeout=WAIT)
    await page.get_by_test_id("push").click()
    await expect(page.get_by_test_id("toast")).to_contain_text("推送检查完成", timeout=WAIT)
    reminder = from_bot(page, "⏰ 填报提醒：市水务局 的 2023Q4 进度填报将于 2024-01-05 截止")
    await expect(reminder).to_have_count(1, timeout=WAIT)
    # #90 was submitted above: the report reminder names the other two.
    await expect(reminder).to_contain_text("（还有 7 天），以下 2 个目标尚未提交：\n⬜ #93")
    # Others got their pushes too: the switcher counts their new messages.
    other = page.get_by_test_id("who").locator("option[value='2003']")
    await expect(other).to_have_attribute("data-unread", re.compile(r"^[1-9]"), timeout=WAIT)
    await expect(other).to_contain_text("联络员 · 市工业和信息化局 (")
    await shoot(page, "4-reminder")


async def files_both_ways(page: Page, playground: Playground) -> None:
    """The admin uploads a file; then `/export` sends the 一览表 and `/stats` its chart."""
    await be(page, "管理员")
    await page.get_by_test_id("file").set_input_files(
        files=FilePayload(name="目标表.xlsx", mimeType="application/octet-stream", buffer=TABLE)
    )
    mine = (
        history(page)
        .locator("[data-testid=message][data-from=user]")
        .filter(has=page.get_by_test_id("document"))
    )
    await expect(mine).to_contain_text("目标表.xlsx", timeout=WAIT)
    href = await mine.get_by_test_id("document").get_attribute("href")
    assert href is not None
    uploaded = await page.request.get(playground.url + href)
    assert await uploaded.body() == TABLE
    # An admin's file is an import: these bytes are no workbook, and the importer says so.
    await expect(from_bot(page, "目标表.xlsx：无法作为 .xlsx 读取")).to_have_count(1, timeout=WAIT)

    # The export comes down as a document, and the file the browser saves is the 一览表.
    await say(page, "/export 2023Q3")
    card = from_bot(page, f"《{PLAN}》2023Q3 一览表：59 行。")
    name = f"{PLAN}_2023Q3.xlsx"
    await expect(card.get_by_test_id("document")).to_contain_text(name, timeout=WAIT)
    async with page.expect_download() as download_info:
        await card.get_by_test_id("document").click()
    download = await download_info.value
    assert download.suggested_filename == name
    # Playwright keeps the download under a name without its extension: read it as bytes.
    sheet = load_workbook(io.BytesIO((await download.path()).read_bytes())).active
    assert sheet is not None
    assert sheet["A1"].value == f"{PLAN}三季度工作推进情况一览表"

    # The statistics in words, then the chart as a photo, shown inline and loaded.
    await say(page, "/stats 2023Q3")
    photo = from_bot(page, f"《{PLAN}》2023Q3 目标灯色").get_by_test_id("photo")
    await expect(photo).to_be_visible(timeout=WAIT)
    await expect(photo).to_have_js_property("complete", True, timeout=WAIT)
    assert await photo.evaluate("img => img.naturalWidth") > 0
    await page.set_viewport_size(DESKTOP)
    await photo.scroll_into_view_if_needed()
    await page.screenshot(path="/tmp/playground-stats.png")  # for a person to look at
    await page.set_viewport_size(PHONE)
    await shoot(page, "5-files")


async def test_the_demo_in_a_browser(playground: Playground, browser: Browser) -> None:
    page = await browser.new_page(viewport=PHONE, accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(playground.url)
    await expect(page.locator("body")).to_have_attribute("data-ready", "true")
    await as_the_leader(page)
    await as_the_water_liaison(page)
    await a_reminder_day(page)
    await files_both_ways(page, playground)

    page.once("dialog", lambda dialog: dialog.accept())  # "reset demo" asks first
    await page.get_by_test_id("reset").click()
    await expect(page.get_by_test_id("now")).to_have_text(re.compile(r"^2026-11-25 10:0"))
    await expect(history(page).get_by_test_id("message")).to_have_count(0)
    assert errors == []
