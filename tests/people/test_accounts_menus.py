"""Menus per role and language, the bot's description, and chat texts free of setting names."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

from bot.app import set_command_menu
from bot.i18n import Translator
from bot.people.accounts import set_role
from storage import targets as plans
from tests.harness import Person, RecordingRequest, running_bot, shown

zh, en = Translator("zh"), Translator("en")
ADMIN = Person(1001, "督查")
LIAISON = Person(2002, "水务")
LOCALES = Path(__file__).parents[2] / "locales"


def menus(calls: list[tuple[str, dict[str, Any]]]) -> dict[object, list[str]]:
    """Return each menu set: chat id (or language code) → the commands' descriptions."""
    found: dict[object, list[str]] = {}
    for name, params in calls:
        if name != "setMyCommands":
            continue
        scope = params.get("scope") or {}
        key = scope.get("chat_id") if scope else params.get("language_code")
        found[key] = [c["description"] for c in params["commands"]]
    return found


async def test_start_up_sets_every_menu_in_its_language_and_the_description(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        db = harness.app.bot_data.db
        unit = next(u for u in await plans.list_units(db) if u.name == "市水务局")
        # Bound from the command line (`users add`): the menu follows at the next start.
        await set_role(db, telegram_id=LIAISON.id, role="liaison", binding_id=unit.id, actor="cli")
        await db.execute("UPDATE user SET language = 'en' WHERE telegram_id = ?", (LIAISON.id,))
        before = len(harness.request.calls)
        await set_command_menu(harness.app)
        calls = harness.request.calls[before:]
    shown_menus = menus(calls)
    assert shown_menus["zh"] == [zh("menu.start"), zh("menu.help"), zh("menu.whoami")]
    assert shown_menus["en"] == [en("menu.start"), en("menu.help"), en("menu.whoami")]
    assert shown_menus[None] == shown_menus["zh"]
    assert shown_menus[LIAISON.id][:3] == [en("menu.report"), en("menu.mine"), en("menu.cancel")]
    assert zh("menu.invite") in shown_menus[ADMIN.id]
    descriptions = {
        (name, params.get("language_code")): params.get("description")
        or params.get("short_description")
        for name, params in calls
        if name in ("setMyDescription", "setMyShortDescription")
    }
    assert descriptions[("setMyShortDescription", "en")] == en("bot.short_description")
    assert descriptions[("setMyDescription", "zh")] == zh("bot.description")
    # Telegram's limits: 512 characters for the description, 120 for the short one.
    for t in (zh, en):
        assert len(t("bot.description")) <= 512
        assert len(t("bot.short_description")) <= 120


class FailingMenus(RecordingRequest):
    """A Bot API that refuses every menu and description call."""

    async def do_request(
        self, url: str, method: str, request_data: Any = None, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        if name.startswith("setMy"):
            self.calls.append((name, {}))
            body = {"ok": False, "error_code": 400, "description": "Bad Request: no"}
            return 400, json.dumps(body).encode()
        return await super().do_request(url, method, request_data, *args, **kwargs)


async def test_start_up_goes_on_when_menus_cannot_be_set(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        failing = FailingMenus()
        working = harness.app.bot._request
        harness.app.bot._request = (failing, failing)
        await set_command_menu(harness.app)  # logged, not raised
        # The default menu fails (and the descriptions are not tried); the admin's is tried.
        assert [name for name, _ in failing.calls] == ["setMyCommands", "setMyCommands"]
        harness.app.bot._request = working
        texts = shown(await harness.send(ADMIN, "/whoami"))
    assert texts[0].startswith("Telegram 编号：1001")


def test_chat_texts_name_no_setting() -> None:
    """Texts meant for people in chat say settings in words (the CLI's texts may name them)."""
    source = (Path(__file__).parents[2] / "bot" / "settings.py").read_text()
    names = set(re.findall(r'get\("([A-Z_]+)"', source))
    assert {"REPORT_DEADLINE_DAYS", "QUIET_HOURS", "ADMIN_IDS"} <= names
    chat_sections = ("admin", "account", "start", "period", "menu", "help", "bot", "access")
    chat_settings = ("title", "schedule", "admin_usage", "push_time_in_quiet_hours")
    for language in ("zh", "en"):
        catalog = tomllib.loads((LOCALES / f"{language}.toml").read_text())
        texts = [str(text) for section in chat_sections for text in _leaves(catalog[section])] + [
            catalog["settings"][key] for key in chat_settings
        ]
        named = [(text, name) for text in texts for name in names if name in text]
        assert named == [], language


def _leaves(table: dict[str, Any]) -> list[object]:
    found: list[object] = []
    for value in table.values():
        found += _leaves(value) if isinstance(value, dict) else [value]
    return found
