"""The people commands of the CLI: invite, users add|list|revoke|import."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from pathlib import Path

import pytest

from bot.cli.commands import main
from bot.plan.importer import DEMO_TABLE


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in tmp_path (no developer .env) on a database holding the demo table."""
    monkeypatch.chdir(tmp_path)
    for name in ("BOT_TOKEN", "ADMIN_IDS", "DATABASE_PATH", "BOT_USERNAME", "DEFAULT_LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "t.db"
    assert main(["import", str(DEMO_TABLE), "--db", str(path)]) == 0
    return path


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_invite_prints_a_single_use_link_stored_only_as_a_hash(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    monkeypatch.setenv("BOT_USERNAME", "heze_target_bot")
    assert main(["invite", "--role", "liaison", "--unit", "人社局", "--db", str(db)]) == 0
    link, expiry = capsys.readouterr().out.splitlines()
    match = re.fullmatch(r"https://t\.me/heze_target_bot\?start=([A-Za-z0-9_-]{22,})", link)
    assert match is not None
    assert expiry.startswith("仅可使用一次，")
    assert expiry.endswith("前有效。")
    stored = rows(db, "SELECT i.code_hash, u.name FROM invite i JOIN unit u ON u.id = i.unit_id")
    assert len(stored) == 1
    assert stored[0][1] == "市人力资源社会保障局"
    assert stored[0][0] == hashlib.sha256(match.group(1).encode()).hexdigest()


def test_invite_without_a_known_username_or_with_an_ambiguous_unit_fails_clearly(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["invite", "--role", "liaison", "--unit", "水务局", "--db", str(db)]) == 1
    assert "BOT_USERNAME" in capsys.readouterr().err
    monkeypatch.setenv("BOT_USERNAME", "heze_target_bot")
    assert main(["invite", "--role", "liaison", "--unit", "县人民政府", "--db", str(db)]) == 1
    assert capsys.readouterr().err.strip() == (
        "“县人民政府” 对应多个：东明县人民政府、单县人民政府、巨野县人民政府、鄄城县人民政府。"
        "请写全名。"
    )
    assert rows(db, "SELECT COUNT(*) FROM invite") == [(0,)]


def test_users_add_list_and_revoke(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "users",
                "add",
                "--telegram-id",
                "55",
                "--role",
                "leader",
                "--leader",
                "曹 临",
                "--name",
                "曹",
                "--db",
                str(db),
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "users",
                "add",
                "--telegram-id",
                "66",
                "--role",
                "liaison",
                "--unit",
                "水务局",
                "--db",
                str(db),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["users", "list", "--json", "--db", str(db)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(u["telegram_id"], u["role"], u["unit"], u["leader"]) for u in listed] == [
        (55, "leader", None, "曹临"),
        (66, "liaison", "市水务局", None),
    ]
    assert main(["users", "revoke", "66", "--db", str(db)]) == 0
    assert main(["users", "revoke", "66", "--db", str(db)]) == 1
    assert rows(db, "SELECT role, unit_id FROM user WHERE telegram_id = 66") == [(None, None)]
    actions = rows(db, "SELECT actor, action, subject FROM audit_log WHERE actor = 'cli'")
    assert ("cli", "role_change", "user:55") in actions
    assert ("cli", "revoke", "user:66") in actions


def test_users_import_is_all_or_nothing_and_names_the_bad_row(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "telegram_id,role,unit or leader,name\n"
        "11,liaison,水务局,张三\n"
        "12,leader,曹临,曹\n"
        "13,联络员,不存在的局,李四\n",
        encoding="gbk",
    )
    assert main(["users", "import", str(roster), "--db", str(db)]) == 1
    assert capsys.readouterr().err.startswith("roster.csv 第 4 行 C 列")
    assert rows(db, "SELECT COUNT(*) FROM user") == [(0,)]

    roster.write_text(roster.read_text("gbk").replace("不存在的局", "工信局"), encoding="gbk")
    assert main(["users", "import", str(roster), "--db", str(db)]) == 0
    assert rows(
        db,
        "SELECT u.telegram_id, u.role, n.name FROM user u "
        "LEFT JOIN unit n ON n.id = u.unit_id ORDER BY 1",
    ) == [
        (11, "liaison", "市水务局"),
        (12, "leader", None),
        (13, "liaison", "市工业和信息化局"),
    ]
