"""Traffic lights on the demo table: the numbers in the text against the time gone."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import aiosqlite
import pytest

from bot.cli.commands import main
from bot.i18n import Translator
from bot.plan.importer import DEMO_TABLE, import_file
from bot.query.engine import QueryEngine
from bot.query.text import answer_json, light_reason
from storage.db import connect

TODAY = date(2026, 11, 25)
en = Translator("en")


async def lights(conn: aiosqlite.Connection, margin: int = 15) -> dict[int, str]:
    engine = QueryEngine(margin)
    answer = await engine.ask(conn, "Q3", today=TODAY)
    return {hit.target.number: hit.light for hit in answer.hits}


async def test_only_46_and_90_are_at_risk_on_the_demo_table(demo: aiosqlite.Connection) -> None:
    found = await lights(demo)
    assert len(found) == 57
    assert {n for n, light in found.items() if light == "🟡"} == {46, 90}
    assert found[86] == found[44] == "🟢"
    assert set(found.values()) == {"🟢", "🟡"}


@pytest.mark.parametrize("words", ["at risk", "预警", "风险", "王昌华 at risk", "曹临 预警"])
async def test_at_risk_words_find_them(demo: aiosqlite.Connection, words: str) -> None:
    answer = await QueryEngine().ask(demo, words, today=TODAY)
    expected = {
        "at risk": [46, 90],
        "预警": [46, 90],
        "风险": [46, 90],
        "王昌华 at risk": [],
        "曹临 预警": [90],
    }[words]
    assert [hit.target.number for hit in answer.hits] == expected


async def test_the_reason_is_given_in_words_and_in_json(demo: aiosqlite.Connection) -> None:
    answer = await QueryEngine().ask(demo, "预警", today=TODAY)
    reasons = {hit.target.number: light_reason(hit, en, None) for hit in answer.hits}
    assert reasons == {
        46: "18/50个 (36%) at 75% of the year",
        90: "16.32亿元/30亿元 (54%) at 75% of the year",
    }
    five_g = answer_json(await QueryEngine().ask(demo, "#86", today=TODAY), en)
    results: list[dict[str, object]] = five_g["results"]  # type: ignore[assignment]
    [result] = results
    assert result["light"] == "🟢"
    assert result["progress_estimate"] == {
        "target": 1700.0,
        "achieved": 1640.0,
        "unit": "个",
        "share": 0.9647,
        "stated": False,
        "elapsed": 0.75,
    }
    assert result["light_reason"] == "1640/1700个 (96%) at 75% of the year"
    loans = answer_json(await QueryEngine().ask(demo, "#44", today=TODAY), en)
    assert loans["results"][0]["progress_estimate"]["achieved"] == 14.64e8  # type: ignore[index]


async def test_the_margin_is_a_setting(demo: aiosqlite.Connection) -> None:
    assert {n for n, light in (await lights(demo, margin=25)).items() if light == "🟡"} == {46}
    assert {n for n, light in (await lights(demo, margin=50)).items() if light == "🟡"} == set()


async def test_different_units_never_make_a_target_yellow(
    tmp_path: Path, demo_lines: list[str]
) -> None:
    lines = []
    for line in demo_lines:
        cells = line.split("\t")
        if cells[0] == "47":  # 100个 asked, 10处 done by 10月底: different units, no estimate
            cells[4] = "全市10处“小荷学堂”已开课"
        if cells[0] == "90":  # 30亿元 asked, a percentage reported: not a pairing
            cells[4] = "推进现代水网建设,投资完成30%"
        lines.append("\t".join(cells))
    path = tmp_path / "units.tsv"
    path.write_text("\n".join(lines), encoding="utf-8")
    conn = await connect(tmp_path / "units.db")
    try:
        await import_file(conn, path, actor="test")
        found = await lights(conn)
    finally:
        await conn.close()
    assert (found[47], found[90], found[46]) == ("🟢", "🟢", "🟡")


def test_targets_json_carries_light_estimate_and_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    db = str(tmp_path / "t.db")
    assert main(["import", str(DEMO_TABLE), "--db", db]) == 0
    capsys.readouterr()
    assert main(["targets", "--json", "--db", db]) == 0
    targets = {t["number"]: t for t in json.loads(capsys.readouterr().out)}
    assert targets[46]["light"] == "🟡"
    assert targets[46]["progress_estimate"]["share"] == 0.36
    assert targets[46]["light_reason"] == "18/50个 (36%) at 75% of the year"
    assert targets[40]["progress_estimate"] is None
    assert targets[40]["light_reason"] == "reported on track for 2023Q3"
