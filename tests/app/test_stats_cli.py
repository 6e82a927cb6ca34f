"""`targetbot stats`: a quarter in words, as JSON, and its chart as a PNG file."""

from __future__ import annotations

import json
from pathlib import Path

from bot.plan.importer import DEMO_TABLE
from tests.app.test_cli import targetbot


def test_stats_prints_the_quarter_and_saves_the_chart(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    assert targetbot(tmp_path, "import", str(DEMO_TABLE), "--db", str(db)).returncode == 0
    chart = tmp_path / "q3.png"
    shown = targetbot(
        tmp_path, "stats", "--period", "2023q3", "--chart", str(chart), "--db", str(db)
    )
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[:2] == [
        "📊 《菏泽市人民政府2023年经济社会发展责任目标》2023Q3 统计：共 57 个目标 🔴0 🟡2 🟢55 ⚪0",
        "较 2023Q2：🟡+2 🟢+55 ⚪-57",
    ]
    assert "· 王昌华：🔴0 🟡0 🟢42 ⚪0" in lines
    assert lines[-1] == "各单位均已填报。"
    assert chart.read_bytes().startswith(b"\x89PNG")

    as_json = targetbot(tmp_path, "stats", "--period", "2023Q3", "--json", "--db", str(db))
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert set(data) == {
        "plan", "period", "previous", "deadline", "scope", "lights", "before", "leaders",
        "units", "not_reported", "late", "instructions",
    }  # fmt: skip
    assert data["lights"] == {"red": 0, "yellow": 2, "green": 55, "white": 0}
    assert data["leaders"][3] == {
        "name": "王昌华",
        "lights": {"red": 0, "yellow": 0, "green": 42, "white": 0},
        "before": {"red": 0, "yellow": 0, "green": 0, "white": 42},
    }

    wrong = targetbot(tmp_path, "stats", "--period", "2023Q9", "--db", str(db))
    assert wrong.returncode != 0
    assert "2023Q9" in wrong.stderr
