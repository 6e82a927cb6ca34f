"""Settings: defaults, .env, the environment winning over it, and one clear line per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.i18n import Translator
from bot.settings import Settings, SettingsError

TOKEN = "123456789:AAHfakeTOKENfor-tests_only"


def test_defaults_without_any_setting(tmp_path: Path) -> None:
    settings = Settings.from_env({}, env_file=tmp_path / "missing.env")
    assert settings.database_path == Path("data/targetbot.db")
    assert settings.bot_token is None
    assert settings.admin_ids == frozenset()
    assert settings.timezone.key == "Asia/Shanghai"
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.default_language == "zh"
    assert settings.load_demo_data is True


def test_dotenv_is_read_and_the_real_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        f'BOT_TOKEN="{TOKEN}"\nADMIN_IDS=1, 2,3\nDATABASE_PATH=from-dotenv.db\n'
        "TELEGRAM_API_URL=http://127.0.0.1:8081/\nDEFAULT_LANGUAGE=en\n",
        encoding="utf-8",
    )
    settings = Settings.from_env({"DATABASE_PATH": "from-env.db"}, env_file=env_file)
    assert settings.require_token() == TOKEN
    assert settings.admin_ids == frozenset({1, 2, 3})
    assert settings.database_path == Path("from-env.db")
    assert settings.telegram_api_url == "http://127.0.0.1:8081"
    assert settings.default_language == "en"


def test_the_token_never_shows_in_a_repr(tmp_path: Path) -> None:
    settings = Settings.from_env({"BOT_TOKEN": TOKEN}, env_file=None)
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings.bot_token)


MALFORMED = [
    ({"ADMIN_IDS": "12,abc"}, "ADMIN_IDS: “abc” is not a Telegram user id"),
    ({"TIMEZONE": "Mars/Olympus"}, "TIMEZONE: “Mars/Olympus” is not a known time zone"),
    ({"TELEGRAM_API_URL": "api.telegram.org"}, "TELEGRAM_API_URL: “api.telegram.org” is not"),
    ({"DEFAULT_LANGUAGE": "fr"}, "DEFAULT_LANGUAGE: “fr” is not supported; choose one of: zh, en"),
    ({"LOAD_DEMO_DATA": "maybe"}, "LOAD_DEMO_DATA: “maybe” should be true or false."),
    ({"BOT_TOKEN": "not a token"}, "BOT_TOKEN is malformed"),
]


@pytest.mark.parametrize(("environ", "message"), MALFORMED)
def test_a_malformed_setting_fails_with_one_line_naming_it(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(environ, env_file=None)
    line = Translator("en")(caught.value.key, **caught.value.values)
    assert line.startswith(message)
    assert "\n" not in line


def test_a_missing_token_says_how_to_set_it() -> None:
    settings = Settings.from_env({}, env_file=None)
    with pytest.raises(SettingsError) as caught:
        settings.require_token()
    line = Translator("zh")(caught.value.key)
    assert "BOT_TOKEN" in line
    assert ".env" in line
    assert "\n" not in line


def test_the_push_schedule_settings_and_their_mistakes() -> None:
    from datetime import datetime, time

    zh = Translator("zh")
    settings = Settings.from_mapping(
        {
            "REMIND_DAYS": "1, 7,3",
            "REMIND_TIME": "8:30",
            "QUIET_HOURS": "21:00-07:30",
            "FAKE_TIME": "2023-09-28 09:30",
            "REVIEW_REQUIRED": "yes",
        }
    )
    assert settings.remind_days == (7, 3, 1)
    assert settings.due_remind_days == (14, 3)
    assert settings.remind_time == time(8, 30)
    assert settings.quiet_hours == (time(21, 0), time(7, 30))
    assert settings.fake_time == datetime(2023, 9, 28, 9, 30)
    assert settings.review_required is True
    assert settings.report_deadline_days == 5
    assert Settings.from_mapping({"QUIET_HOURS": "none"}).quiet_hours is None
    for values, line in [
        (
            {"REMIND_DAYS": "7,x"},
            "REMIND_DAYS 的值 “7,x” 应为用逗号分隔的天数（1 到 365），例如 7,3,1。",
        ),
        ({"REMIND_TIME": "25:00"}, "REMIND_TIME 的值 “25:00” 应为 时:分，例如 09:00。"),
        (
            {"REMIND_TIME": "23:00"},
            "REMIND_TIME 23:00 落在 QUIET_HOURS 免打扰时段内，推送永远不会发出。请调整其中之一。",
        ),
        (
            {"FAKE_TIME": "tomorrow"},
            "FAKE_TIME 的值 “tomorrow” 应为 年-月-日 时:分，例如 2023-09-28 09:30。",
        ),
        (
            {"REPORT_DEADLINE_DAYS": "120"},
            "REPORT_DEADLINE_DAYS 的值 “120” 应为 0 到 90 之间的整数。",
        ),
    ]:
        with pytest.raises(SettingsError) as error:
            Settings.from_mapping(values)
        assert zh(error.value.key, **error.value.values) == line
