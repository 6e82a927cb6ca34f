"""The `targetbot` command line, run as a real process the way an admin runs it."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.plan.importer import DEMO_TABLE

SCRIPT = Path(sys.executable).parent / "targetbot"


def targetbot(
    cwd: Path, *args: str, env: dict[str, str] | None = None, script: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run targetbot in `cwd` (so no developer's .env is read) and capture what it prints."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("BOT_TOKEN", "DATABASE_PATH", "ADMIN_IDS", "DEFAULT_LANGUAGE")
    }
    environ.update(env or {})
    command = [str(SCRIPT)] if script else [sys.executable, "-m", "bot"]
    return subprocess.run(
        [*command, *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=60
    )


def stored_targets(cwd: Path, db: Path) -> list[dict[str, object]]:
    result = targetbot(cwd, "targets", "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    targets: list[dict[str, object]] = json.loads(result.stdout)
    return targets


def test_import_the_demo_table_and_list_it_as_json(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    first = targetbot(tmp_path, "import", str(DEMO_TABLE), "--db", str(db), script=True)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        "已导入《菏泽市人民政府2023年经济社会发展责任目标》2023Q3：新增目标 57 个，变更 0 个，"
        "未变 0 个；新增进度记录 59 条。",
        "新登记领导 5 位、责任单位 26 个。",
    ]

    targets = {t["number"]: t for t in stored_targets(tmp_path, db)}
    assert len(targets) == 57
    assignments = [a for t in targets.values() for a in t["assignments"]]  # type: ignore[attr-defined]
    assert len(assignments) == 59
    assert {a["leader"] for a in assignments} == {"聂元科", "刘连栋", "肖友华", "王昌华", "曹临"}
    assert len({u for a in assignments for u in a["units"]}) == 26
    assert {(a["period"], a["status"]) for a in assignments} == {("2023Q3", "on_track")}
    assert targets[53]["assignments"][0]["units"] == [  # type: ignore[index]
        "市工业和信息化局",
        "东明县人民政府",
        "巨野县人民政府",
        "单县人民政府",
    ]
    assert (targets[47]["deadline"], targets[47]["due_date"]) == ("10月底", "2023-10-31")
    assert (targets[52]["deadline"], targets[52]["due_date"]) == ("长期坚持", None)
    assert targets[86] == {
        "number": 86,
        "content": "新建并开通5G基站1700个以上",
        "deadline": "年底",
        "due_date": "2023-12-31",
        "assignments": [
            {
                "leader": "王昌华",
                "units": ["市工业和信息化局", "市信息通信发展办公室"],
                "period": "2023Q3",
                "status": "on_track",
                "progress": "新建并开通5G基站1640个",
                "assisting": [],
            }
        ],
        "label": None,
        "category": None,
        "extra": [],
        "closed": None,
        "light": "🟢",
        "progress_estimate": {
            "target": 1700.0,
            "achieved": 1640.0,
            "unit": "个",
            "share": 0.9647,
            "stated": False,
            "elapsed": 0.75,
        },
        "light_reason": "1640/1700个（96%），全年时间已过 75%",
        "evidence": [],  # 佐证材料 of the current revisions: name, size, kind, mime
        "instructions": [],  # 批示, with their answers
    }

    again = targetbot(tmp_path, "import", str(DEMO_TABLE), "--db", str(db))
    assert again.returncode == 0
    assert "没有任何变化" in again.stdout
    assert len(stored_targets(tmp_path, db)) == 57


def test_a_bad_table_exits_non_zero_with_one_line_and_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    assert targetbot(tmp_path, "import", str(DEMO_TABLE), "--db", str(db)).returncode == 0
    before = stored_targets(tmp_path, db)
    lines = DEMO_TABLE.read_text(encoding="utf-8").splitlines()
    bad_row = next(i for i, line in enumerate(lines, 1) if line.startswith("62\t"))
    first_row = next(i for i, line in enumerate(lines, 1) if line.startswith("48\t"))
    lines[bad_row - 1] = lines[bad_row - 1].replace("62\t", "48\t", 1)
    bad = tmp_path / "一览表-错.tsv"
    bad.write_text("\n".join(lines), encoding="utf-8")

    result = targetbot(
        tmp_path, "import", str(bad), "--db", str(db), env={"DEFAULT_LANGUAGE": "en"}
    )

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"一览表-错.tsv, row {bad_row}, column A (序号): number 48 is used twice "
        f"(already on row {first_row})."
    ]
    assert stored_targets(tmp_path, db) == before


def test_run_without_a_token_prepares_the_database_then_says_how_to_set_it(
    tmp_path: Path,
) -> None:
    db = tmp_path / "data" / "targetbot.db"
    result = targetbot(tmp_path, "run", env={"DATABASE_PATH": str(db)})

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "未设置 BOT_TOKEN：请在 .env 中写入 BOT_TOKEN=<从 @BotFather 获得的令牌>"
        "（参见 .env.example），或在环境变量中设置后再启动。"
    ]
    assert result.stdout.splitlines() == [
        "首次启动：已载入演示数据 heze-2023-q3.tsv（57 个目标）。"
    ]
    assert len(stored_targets(tmp_path, db)) == 57

    # A second start does not load the demo table again.
    second = targetbot(tmp_path, "run", env={"DATABASE_PATH": str(db)})
    assert (second.returncode, second.stdout) == (2, "")


@pytest.mark.parametrize(
    ("env_line", "message"),
    [
        ("BOT_TOKEN=hello", "BOT_TOKEN is malformed"),
        ("ADMIN_IDS=1,two", "ADMIN_IDS: “two” is not a Telegram user id"),
    ],
)
def test_a_malformed_setting_in_dotenv_stops_with_one_line(
    tmp_path: Path, env_line: str, message: str
) -> None:
    (tmp_path / ".env").write_text(f"{env_line}\nDEFAULT_LANGUAGE=en\n", encoding="utf-8")
    result = targetbot(tmp_path, "run", "--db", str(tmp_path / "t.db"))
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(message)


def test_query_prints_lights_first_and_keeps_its_json_shape(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    assert targetbot(tmp_path, "import", str(DEMO_TABLE), "--db", str(db)).returncode == 0
    text = targetbot(tmp_path, "query", "工信局5g进展怎么样", "--db", str(db))
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines() == [
        "🔎 理解为：单位 市工业和信息化局（工信局） · 关键词 5g",
        "找到 2 个目标（2023Q3）：",
        "🟢 2",
        "🟢 #60 深入实施“云行齐鲁工赋山东”行动,加快5G、千兆光网等建设应用,搭建一… · "
        "市工业和信息化局 · 年底 · 按计划",
        "🟢 #86 新建并开通5G基站1700个以上 · 市工业和信息化局 · 年底 · 按计划",
    ]
    english = targetbot(
        tmp_path, "query", "#86", "--db", str(db), env={"DEFAULT_LANGUAGE": "en"}
    ).stdout
    assert english.splitlines()[1] == "1 target found (2023Q3):"
    assert english.splitlines()[2].startswith("🟢 #86 新建并开通5G基站1700个以上 · ")
    mine = targetbot(tmp_path, "query", "我的", "--unit", "水务局", "--db", str(db)).stdout
    assert mine.splitlines()[:3] == [
        "🔎 理解为：单位 市水务局",
        "找到 3 个目标（2023Q3）：",
        "🟡 1 · 🟢 2",
    ]

    found = json.loads(
        targetbot(tmp_path, "query", "工信局5g进展怎么样", "--json", "--db", str(db)).stdout
    )
    assert list(found) == [
        "understood",
        "unplaced",
        "period",
        "count",
        "results",
        "suggestions",
        "left_out",
    ]
    assert list(found["understood"]) == [
        "leader",
        "unit",
        "status",
        "deadline",
        "period",
        "number",
        "keywords",
        "ambiguous",
        "taken",
    ]
    assert (found["understood"]["keywords"], found["unplaced"], found["count"]) == (["5g"], [], 2)
    # What each word was taken as: 工信局 is the unit's short name, 5g a word of its targets.
    assert found["understood"]["taken"] == [
        {"word": "工信局", "kind": "unit", "as": "市工业和信息化局"},
        {"word": "5g", "kind": "keyword", "as": "5g"},
    ]
    assert list(found["results"][0]) == [
        "number",
        "content",
        "leaders",
        "units",
        "deadline",
        "due_date",
        "status",
        "period",
        "progress",
        "light",
        "progress_estimate",
        "light_reason",
        "label",
        "category",
        "extra",
        "assisting",
        "closed",
        "extended",
        "evidence",
        "instructions",
    ]


def damage(db: Path, table: str) -> None:
    """Overwrite the first bytes of `table`'s root page, as a failing disk might."""
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,))
        page = root.fetchone()[0]
    with db.open("r+b") as file:
        file.seek((page - 1) * page_size)
        file.write(b"\xff" * 200)


@pytest.mark.parametrize(
    "command",
    # remind at a working morning's push time: in quiet hours it has nothing to read (the
    # test passed only by day before).
    [
        ("targets",),
        ("query", "水务局"),
        ("remind", "--dry-run", "--at", "2023-09-20 09:00"),
        ("run",),
    ],
)
def test_a_damaged_database_is_one_line_saying_what_to_do(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    db = tmp_path / "t.db"
    assert targetbot(tmp_path, "import", str(DEMO_TABLE), "--db", str(db)).returncode == 0
    damage(db, "target")
    before = db.read_bytes()
    # No token: `run` must stop at the damaged database, before it would talk to Telegram.
    result = targetbot(tmp_path, *command, "--db", str(db))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"数据库 {db} 已损坏（database disk image is malformed），未做任何修改。请停止 targetbot，"
        "保留一份损坏文件的副本，然后用最近的备份替换它（见 SECURITY.md 的“备份”一节）。"
    ]
    assert db.read_bytes() == before
