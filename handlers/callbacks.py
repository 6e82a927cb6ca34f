"""Checked parsing of every button's callback data: a forged one parses to None, never raises.

Callback data come from the user's client and can be anything up to 64 bytes. Each feature's
parser below accepts exactly the shape its buttons are made in: ids are ASCII digits naming a
positive number SQLite can hold (64-bit), positions are small non-negative numbers, keys and
codes are URL-safe words. Whatever else arrives gets the feature's stale-button answer and
changes nothing. Authority is never read from the data: handlers still check the presser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_ID = 2**63 - 1  # SQLite's INTEGER is a signed 64-bit number
MAX_INDEX = 10_000  # positions in a list of buttons or pages (Telegram shows 100 buttons)
_DIGITS = re.compile(r"[0-9]{1,19}")
_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ROLES = ("liaison", "leader")


def id_of(raw: str) -> int | None:
    """Return the database id `raw` names (1 … 2**63-1), or None."""
    if not _DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None


def index_of(raw: str) -> int | None:
    """Return the position `raw` names (0 … MAX_INDEX), or None."""
    if not _DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if value <= MAX_INDEX else None


def key_of(raw: str) -> str | None:
    """Return `raw` if it is a draft key or invite code (URL-safe, 1–64 characters), else None."""
    return raw if _KEY.fullmatch(raw) else None


def _fields(data: str | None, prefix: str, count: int) -> list[str] | None:
    """Return the `count` fields after `prefix:` in `data`, or None when the shape differs."""
    if data is None or not data.startswith(prefix + ":"):
        return None
    parts = data[len(prefix) + 1 :].split(":")
    return parts if len(parts) == count else None


# ---------------------------------------------------------------------------- query


@dataclass(frozen=True)
class SavedPress:
    """A button of a kept question: its id and the positions after it (page, or choice)."""

    query_id: int
    positions: tuple[int, ...]


def saved_press(data: str | None, verb: str, positions: int) -> SavedPress | None:
    """Parse `qp:<query>:<page>`, `qs:<query>:<i>` or `qa:<query>:<k>:<i>`."""
    fields = _fields(data, verb, 1 + positions)
    if fields is None:
        return None
    query_id = id_of(fields[0])
    numbers = [index_of(raw) for raw in fields[1:]]
    if query_id is None or any(n is None for n in numbers):
        return None
    return SavedPress(query_id, tuple(n for n in numbers if n is not None))


def target_details(data: str | None) -> int | None:
    """Parse `qd:<target id>`."""
    fields = _fields(data, "qd", 1)
    return id_of(fields[0]) if fields else None


def close_target(data: str | None) -> int | None:
    """Parse `cl:<target id>` (✅ 办结 on a target's details)."""
    fields = _fields(data, "cl", 1)
    return id_of(fields[0]) if fields else None


def reopen_target(data: str | None) -> int | None:
    """Parse `cl:reopen:<target id>` (↩️ reopen on a closed target's details)."""
    fields = _fields(data, "cl:reopen", 1)
    return id_of(fields[0]) if fields else None


# ---------------------------------------------------------------------------- report


def report_assignment(data: str | None, verb: str) -> int | None:
    """Parse `rp:pick:<assignment id>` or `rp:open:<assignment id>`."""
    fields = _fields(data, f"rp:{verb}", 1)
    return id_of(fields[0]) if fields else None


def report_confirm(data: str | None) -> str | None:
    """Parse `rp:confirm:<draft key>`."""
    fields = _fields(data, "rp:confirm", 1)
    return key_of(fields[0]) if fields else None


# ---------------------------------------------------------------------------- review


def review_report(data: str | None, verb: str) -> int | None:
    """Parse `rv:ok:<report id>` or `rv:ret:<report id>`."""
    fields = _fields(data, f"rv:{verb}", 1)
    return id_of(fields[0]) if fields else None


# ---------------------------------------------------------------------------- people


def invite_choice(data: str | None) -> tuple[str, int] | None:
    """Parse `invite:<liaison|leader>:<unit or leader id>`."""
    fields = _fields(data, "invite", 2)
    if fields is None or fields[0] not in _ROLES:
        return None
    chosen = id_of(fields[1])
    return (fields[0], chosen) if chosen is not None else None


def revoke_choice(data: str | None) -> int | None:
    """Parse `revoke:<Telegram id>`."""
    fields = _fields(data, "revoke", 1)
    return id_of(fields[0]) if fields else None


def alias_choice(data: str | None) -> tuple[int, str] | None:
    """Parse `alias:<unit id>:<alias>` (the alias is free text, not empty)."""
    if data is None or not data.startswith("alias:"):
        return None
    raw_id, _, name = data.removeprefix("alias:").partition(":")
    unit = id_of(raw_id)
    return (unit, name) if unit is not None and name.strip() else None


def join_choice(data: str | None) -> str | None:
    """Parse `join:keep` or `join:<invite code>`: return "keep" or the code."""
    fields = _fields(data, "join", 1)
    return key_of(fields[0]) if fields else None


# ---------------------------------------------------------------------------- import


def import_column(data: str | None) -> tuple[str, int] | None:
    """Parse `imp:col:<key>:<column>`: the pending import and the column chosen to correct."""
    fields = _fields(data, "imp:col", 2)
    if not fields:
        return None
    key, index = key_of(fields[0]), index_of(fields[1])
    return (key, index) if key is not None and index is not None else None


def import_role(data: str | None, roles: tuple[str, ...]) -> tuple[str, int, str] | None:
    """Parse `imp:role:<key>:<column>:<role>`: a column's new role, one of `roles`."""
    fields = _fields(data, "imp:role", 3)
    if not fields or fields[2] not in roles:
        return None
    key, index = key_of(fields[0]), index_of(fields[1])
    return (key, index, fields[2]) if key is not None and index is not None else None


def import_key(data: str | None, verb: str) -> str | None:
    """Parse `imp:ok:<key>` or `imp:no:<key>`: return the pending import's key."""
    fields = _fields(data, f"imp:{verb}", 1)
    return key_of(fields[0]) if fields else None


# ---------------------------------------------------------------------------- extensions


def extension_press(data: str | None, verb: str) -> int | None:
    """Parse `ex:<verb>:<id>` (ask: a target's id; ok, no: a request's id)."""
    fields = _fields(data, f"ex:{verb}", 1)
    return id_of(fields[0]) if fields else None


# ---------------------------------------------------------------------------- evidence


def evidence_press(data: str | None) -> tuple[str, int] | None:
    """Parse `ev:<verb>:<id>` (r: a report revision; t: a target; a flow may add its own)."""
    if data is None or not data.startswith("ev:"):
        return None
    parts = data.split(":")
    if len(parts) != 3 or not re.fullmatch(r"[a-z]{1,8}", parts[1]):
        return None
    found = id_of(parts[2])
    return (parts[1], found) if found is not None else None


def evidence_remove(data: str | None) -> tuple[int, str] | None:
    """Parse `rp:evdel:<evidence id>:<draft key>`."""
    fields = _fields(data, "rp:evdel", 2)
    if not fields:
        return None
    item, key = id_of(fields[0]), key_of(fields[1])
    return (item, key) if item is not None and key is not None else None


# ---------------------------------------------------------------------------- instructions

_INSTRUCTION_VERBS = ("w", "ans", "send", "edit", "drop")


def instruction_press(data: str | None, verb: str) -> int | None:
    """Parse `in:<verb>:<id>`: w (a target's id), ans (an instruction's id), send, edit and
    drop (a draft's id)."""
    if verb not in _INSTRUCTION_VERBS:
        return None
    fields = _fields(data, f"in:{verb}", 1)
    return id_of(fields[0]) if fields else None


def instruction_units(data: str | None) -> tuple[int, bool] | None:
    """Parse `in:as:<draft id>:<0|1>`: whether the assisting units get the instruction too."""
    fields = _fields(data, "in:as", 2)
    if fields is None or fields[1] not in ("0", "1"):
        return None
    draft = id_of(fields[0])
    return (draft, fields[1] == "1") if draft is not None else None
