"""Build the one frozen settings object from the environment and `.env`."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.i18n import LANGUAGES

TOKEN_PATTERN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
DEFAULT_DATABASE_PATH = "data/targetbot.db"
DEFAULT_API_URL = "https://api.telegram.org"


class SettingsError(Exception):
    """A setting is missing or malformed; `key` and `values` render the one-line message."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key, values)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class Secret:
    """A value that never shows itself in logs, reprs or tracebacks."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__


@dataclass(frozen=True)
class Settings:
    """Every setting of targetbot, validated."""

    bot_token: Secret | None = None
    database_path: Path = Path(DEFAULT_DATABASE_PATH)
    admin_ids: frozenset[int] = frozenset()
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    telegram_api_url: str = DEFAULT_API_URL
    default_language: str = "zh"
    load_demo_data: bool = True
    invite_days: int = 7
    at_risk_margin: int = 15  # percentage points completion may trail time before 🟡
    bot_username: str | None = None
    report_deadline_days: int = 5  # a quarter's report is due this many days after it ends
    review_required: bool = False  # chat submissions wait for an admin's approval
    remind_days: tuple[int, ...] = (7, 3, 1)  # reminders this many days before a report deadline
    due_remind_days: tuple[int, ...] = (14, 3)  # and before a target's own due date
    remind_time: time = time(9, 0)  # local time pushes land at
    quiet_hours: tuple[time, time] | None = (time(22, 0), time(8, 0))  # never push between
    digest_weekday: int = 1  # ISO weekday of the leaders' weekly digest (1 = Monday)
    fake_time: datetime | None = None  # tests and drills: the bot's clock starts here
    backup_dir: Path | None = None  # the running bot keeps a daily backup here
    backup_keep: int = 7  # daily backups kept in backup_dir, the newest
    extension_approval: str = "admin"  # who decides extension requests: admin, or leader too
    evidence_max_mb: int = 50  # all evidence files of one report (or answer) together, in MB
    instruction_reply_days: int = 3  # working days a unit has to answer a leader's 批示

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
    ) -> Settings:
        """Read settings from `.env`, overridden by the real process environment."""
        return cls.from_mapping(load_environment(environ, env_file))

    @classmethod
    def from_mapping(cls, merged: Mapping[str, str]) -> Settings:
        """Validate settings from one name → value mapping."""

        def get(name: str) -> str | None:
            value = merged.get(name, "").strip()
            return value or None

        token = get("BOT_TOKEN")
        if token is not None and not TOKEN_PATTERN.match(token):
            raise SettingsError("settings.malformed_token")
        return cls(
            bot_token=Secret(token) if token else None,
            database_path=Path(get("DATABASE_PATH") or DEFAULT_DATABASE_PATH),
            admin_ids=_parse_admin_ids(get("ADMIN_IDS")),
            timezone=_parse_timezone(get("TIMEZONE") or "Asia/Shanghai"),
            telegram_api_url=_parse_api_url(get("TELEGRAM_API_URL") or DEFAULT_API_URL),
            default_language=_parse_language(get("DEFAULT_LANGUAGE") or "zh"),
            load_demo_data=_parse_bool("LOAD_DEMO_DATA", get("LOAD_DEMO_DATA") or "true"),
            invite_days=parse_int("INVITE_DAYS", get("INVITE_DAYS") or "7", 1, 365),
            at_risk_margin=parse_int("AT_RISK_MARGIN", get("AT_RISK_MARGIN") or "15", 0, 100),
            bot_username=_parse_username(get("BOT_USERNAME")),
            report_deadline_days=parse_int(
                "REPORT_DEADLINE_DAYS", get("REPORT_DEADLINE_DAYS") or "5", 0, 90
            ),
            review_required=_parse_bool("REVIEW_REQUIRED", get("REVIEW_REQUIRED") or "false"),
            remind_days=parse_days("REMIND_DAYS", get("REMIND_DAYS") or "7,3,1"),
            due_remind_days=parse_days("DUE_REMIND_DAYS", get("DUE_REMIND_DAYS") or "14,3"),
            remind_time=parse_time("REMIND_TIME", get("REMIND_TIME") or "09:00"),
            quiet_hours=_parse_quiet(get("QUIET_HOURS") or "22:00-08:00"),
            digest_weekday=parse_int("DIGEST_WEEKDAY", get("DIGEST_WEEKDAY") or "1", 1, 7),
            fake_time=_parse_moment("FAKE_TIME", get("FAKE_TIME")),
            backup_dir=_parse_folder("BACKUP_DIR", get("BACKUP_DIR")),
            backup_keep=parse_int("BACKUP_KEEP", get("BACKUP_KEEP") or "7", 1, 365),
            extension_approval=_parse_approval(get("EXTENSION_APPROVAL") or "admin"),
            evidence_max_mb=parse_int("EVIDENCE_MAX_MB", get("EVIDENCE_MAX_MB") or "50", 1, 1000),
            instruction_reply_days=parse_int(
                "INSTRUCTION_REPLY_DAYS", get("INSTRUCTION_REPLY_DAYS") or "3", 1, 60
            ),
        )

    def __post_init__(self) -> None:
        if in_quiet_hours(self.remind_time, self.quiet_hours):
            raise SettingsError(
                "settings.time_in_quiet_hours", value=self.remind_time.strftime("%H:%M")
            )

    def masked_token(self) -> str:
        """Return the token as it may be shown: the bot's public id, the secret part hidden."""
        if self.bot_token is None:
            return ""
        return self.bot_token.value.split(":", 1)[0] + ":**********"

    def require_token(self) -> str:
        """Return the bot token, or fail with how to set it."""
        if self.bot_token is None:
            raise SettingsError("settings.missing_token")
        return self.bot_token.value


def load_environment(
    environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
) -> dict[str, str]:
    """Return `.env`'s values overridden by the real environment (`os.environ` by default)."""
    merged: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(os.environ if environ is None else environ)
    return merged


def _parse_admin_ids(raw: str | None) -> frozenset[int]:
    ids: set[int] = set()
    for part in (raw or "").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isascii() or not part.isdigit():
            raise SettingsError("settings.bad_admin_ids", value=part)
        ids.add(int(part))
    return frozenset(ids)


def _parse_timezone(raw: str) -> ZoneInfo:
    try:
        return ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError("settings.bad_timezone", value=raw) from None


def _parse_api_url(raw: str) -> str:
    if not re.match(r"^https?://[^\s/]+", raw):
        raise SettingsError("settings.bad_api_url", value=raw)
    return raw.rstrip("/")


def _parse_language(raw: str) -> str:
    if raw not in LANGUAGES:
        raise SettingsError("settings.bad_language", value=raw, choices=", ".join(LANGUAGES))
    return raw


def _parse_bool(name: str, raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise SettingsError("settings.bad_bool", name=name, value=raw)


def parse_int(name: str, raw: str, low: int, high: int) -> int:
    """Return a whole number within bounds, or fail naming the setting."""
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise SettingsError("settings.bad_int", name=name, value=raw, low=low, high=high)
    return int(raw)


def _parse_username(raw: str | None) -> str | None:
    if raw is None:
        return None
    name = raw.removeprefix("@")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,31}", name):
        raise SettingsError("settings.bad_username", value=raw)
    return name


def in_quiet_hours(moment: time, quiet: tuple[time, time] | None) -> bool:
    """Tell whether a local time of day falls in the quiet hours (which may span midnight)."""
    if quiet is None:
        return False
    start, end = quiet
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end


def parse_days(name: str, raw: str) -> tuple[int, ...]:
    """Return days written as 7,3,1 (largest first), or fail naming the setting."""
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not parts or not all(p.isascii() and p.isdigit() and 0 < int(p) <= 365 for p in parts):
        raise SettingsError("settings.bad_days", name=name, value=raw)
    return tuple(sorted({int(p) for p in parts}, reverse=True))


def parse_time(name: str, raw: str) -> time:
    """Return a time of day written as 09:00, or fail naming the setting."""
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", raw.strip())
    if m is None or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise SettingsError("settings.bad_time", name=name, value=raw)
    return time(int(m.group(1)), int(m.group(2)))


def _parse_quiet(raw: str) -> tuple[time, time] | None:
    if raw.strip().lower() in ("none", "off", "-"):
        return None
    parts = raw.split("-")
    if len(parts) != 2:
        raise SettingsError("settings.bad_quiet", value=raw)
    return parse_time("QUIET_HOURS", parts[0]), parse_time("QUIET_HOURS", parts[1])


def _parse_moment(name: str, raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        return datetime.strptime(raw.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        raise SettingsError("settings.bad_moment", name=name, value=raw) from None


def _parse_folder(name: str, raw: str | None) -> Path | None:
    if raw is None:
        return None
    folder = Path(raw).expanduser()
    if folder.exists() and not folder.is_dir():
        raise SettingsError("settings.not_a_folder", name=name, value=raw)
    return folder


def _parse_approval(raw: str) -> str:
    value = raw.strip().lower()
    if value not in ("admin", "leader"):
        raise SettingsError("settings.bad_extension_approval", value=raw)
    return value
