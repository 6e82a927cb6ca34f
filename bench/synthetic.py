"""Realistic synthetic plans built from the real table's vocabulary, for benchmarks.

Leaders, units, target phrases and progress phrases come from the demo table; numbers are
varied; sizes go from a thousand to a hundred thousand targets.
"""

from __future__ import annotations

import random
import re
import sqlite3
from pathlib import Path

from bot.plan.importer import DEMO_TABLE
from storage.migrations import MIGRATIONS

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "昌华元科连栋友华临建国志强明军伟红霞丽娜静敏涛磊洋勇艳杰娟秀英芳玲桂兰"
CORES = [
    "水务",
    "财政",
    "教育",
    "公安",
    "民政",
    "司法",
    "自然资源",
    "交通运输",
    "商务",
    "文化和旅游",
    "审计",
    "统计",
    "应急管理",
    "林业",
    "粮食和储备",
    "能源",
    "地震",
    "气象",
    "税务",
    "城市管理",
]
COUNTIES = ["东明县", "巨野县", "单县", "鄄城县", "牡丹区", "定陶区", "曹县", "成武县", "郓城县"]


def _demo_rows() -> list[list[str]]:
    lines = DEMO_TABLE.read_text(encoding="utf-8").splitlines()
    return [cells for line in lines if len(cells := line.split("\t")) == 7 and cells[0] != "序号"]


def _clauses(texts: list[str]) -> list[str]:
    parts = [p for text in texts for p in re.split(r"[,，;；。]", text) if len(p) >= 4]
    return sorted(set(parts))


def _vary(rng: random.Random, text: str) -> str:
    return re.sub(
        r"\d+(\.\d+)?",
        lambda m: str(round(float(m.group()) * rng.uniform(0.5, 1.5), 1 if m.group(1) else None)),
        text,
    )


def generate(path: Path, targets: int, seed: int = 2023) -> None:
    """Write a SQLite database at `path` holding one current plan of `targets` targets."""
    rng = random.Random(seed)
    demo = _demo_rows()
    contents = _clauses([row[2] for row in demo])
    progresses = _clauses([row[4] for row in demo])
    real_leaders = sorted({re.sub(r"\s+", "", row[1]) for row in demo if row[1]})
    real_units = sorted({u for row in demo for u in row[6].split()})
    n_leaders = max(len(real_leaders), targets // 500)
    n_units = max(len(real_units), targets // 200)
    leaders = list(real_leaders)
    while len(leaders) < n_leaders:
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
        if name not in leaders:
            leaders.append(name)
    units = list(real_units)
    while len(units) < n_units:
        name = rng.choice(
            [
                f"市{rng.choice(CORES)}局",
                f"{rng.choice(COUNTIES)}{rng.choice(CORES)}局",
                f"{rng.choice(COUNTIES)}人民政府",
                f"市{rng.choice(CORES)}服务中心",
            ]
        ) + (str(len(units)) if rng.random() < 0.3 else "")
        if name not in units:
            units.append(name)

    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    for number, script in enumerate(MIGRATIONS, start=1):
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    conn.execute("BEGIN")
    conn.execute(
        "INSERT INTO plan (id, title, year, is_current, created_at) "
        "VALUES (1, '某市2023年责任目标', 2023, 1, 'bench')"
    )
    conn.executemany("INSERT INTO leader (id, name) VALUES (?, ?)", enumerate(leaders, 1))
    conn.executemany("INSERT INTO unit (id, name) VALUES (?, ?)", enumerate(units, 1))
    deadlines = ["年底"] * 8 + ["10月底", "6月底前", "长期坚持", "持续推进", "三季度末"]
    target_rows, assignment_rows, unit_rows, report_rows = [], [], [], []
    assignment_id = 0
    for number in range(1, targets + 1):
        content = _vary(rng, "，".join(rng.sample(contents, rng.choice((1, 1, 2)))))
        deadline = rng.choice(deadlines)
        due = {
            "年底": "2023-12-31",
            "10月底": "2023-10-31",
            "6月底前": "2023-06-30",
            "三季度末": "2023-09-30",
        }.get(deadline)
        target_rows.append((number, 1, number, content, deadline, due))
        for position in range(1, 1 + (2 if rng.random() < 0.04 else 1)):
            assignment_id += 1
            assignment_rows.append((assignment_id, number, position, rng.randint(1, len(leaders))))
            for upos, unit in enumerate(
                rng.sample(range(1, len(units) + 1), rng.choice((1, 1, 1, 2, 4))), 1
            ):
                unit_rows.append((assignment_id, upos, unit))
            status = rng.choices(["on_track", "behind", "completed"], [85, 8, 7])[0]
            progress = _vary(rng, "，".join(rng.sample(progresses, rng.choice((1, 2, 3)))))
            report_rows.append(
                (
                    assignment_id,
                    "2023Q3",
                    1,
                    progress,
                    status,
                    "import",
                    "2023-10-05T09:00:00+08:00",
                )
            )
    conn.executemany(
        "INSERT INTO target (id, plan_id, number, content, deadline, due_date) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        target_rows,
    )
    conn.executemany(
        "INSERT INTO assignment (id, target_id, position, leader_id) VALUES (?, ?, ?, ?)",
        assignment_rows,
    )
    conn.executemany(
        "INSERT INTO assignment_unit (assignment_id, position, unit_id) VALUES (?, ?, ?)", unit_rows
    )
    conn.executemany(
        "INSERT INTO report (assignment_id, period, revision, progress, status, "
        "source, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        report_rows,
    )
    conn.execute("COMMIT")
    conn.close()
