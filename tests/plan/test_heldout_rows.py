"""Tables an evaluator wrote the importer was not built on: what the rows mean, as stored."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import aiosqlite
import pytest

from bot.i18n import Translator
from bot.plan.importer import describe_error, describe_summary, import_file
from bot.plan.tables import TableError
from tests.conftest import snapshot
from tests.plan.test_columns import brief
from tests.plan.test_importer import stored

TABLES = Path(__file__).parent / "tables"
zh = Translator("zh")


async def test_a_number_written_twice_unmerged_is_a_duplicate_not_a_sub_item(
    db: aiosqlite.Connection,
) -> None:
    # In a .tsv nothing is merged: 序号 2 on two rows is two targets claiming one number.
    before = await snapshot(db)
    with pytest.raises(TableError) as refused:
        await import_file(db, TABLES / "lead_dup_adjacent.tsv", actor="test")
    assert describe_error(refused.value, zh) == (
        "lead_dup_adjacent.tsv 第 5 行 A 列（序号）：序号 2 重复（第 4 行已使用）。"
    )
    assert await snapshot(db) == before


async def test_indicators_under_one_number_and_dotted_numbers_are_sub_items(
    db: aiosqlite.Connection,
) -> None:
    # 序号 1 merged over three indicators of two units; 3.1 and 3.2 are target 3's; an
    # empty 完成率 is worked out where it can be (not for amounts without a unit).
    await import_file(db, TABLES / "lead_county_indicators.xlsx", actor="test")
    assert brief(await stored(db)) == [
        (
            1,
            "（1）地区生产总值增长\n（2）规上工业增加值增长\n（3）固定资产投资增长",
            "",
            [
                (
                    "赵德胜",
                    ("县发改局",),
                    "behind",
                    "（1）实际完成 6.1%（目标 6.5%，完成率 93.8%）\n"
                    "（3）实际完成 7.2%（目标 10%，完成率 72%）",
                ),
                (
                    "赵德胜",
                    ("县工信局",),
                    "on_track",
                    "（2）实际完成 8.3%（目标 8%，完成率 103.8%）",
                ),
            ],
        ),
        (
            2,
            "一般公共预算收入（亿元）",
            "",
            [("孙立群", ("县财政局",), "on_track", "实际完成 9.8（目标 12.5）")],
        ),
        (
            3,
            "3.1 城镇新增就业（人）\n3.2 农村劳动力转移就业（人）",
            "",
            [
                (
                    "孙立群",
                    ("县人社局",),
                    "behind",
                    "3.1实际完成 1650（目标 2000，完成率 82.5%）\n"
                    "3.2实际完成 3100（目标 5000，完成率 62%）",
                )
            ],
        ),
    ]


async def test_a_table_without_title_or_quarter_imports_and_says_what_it_assumed(
    db: aiosqlite.Connection,
) -> None:
    summary = await import_file(db, TABLES / "lead_no_title_2024.csv", actor="test")
    # The plan is named after the file, the year is the file name's, the quarter 2024's last.
    assert (summary.plan_title, summary.period) == ("lead_no_title_2024", "2024Q4")
    assert (
        "表中没有写明季度或日期，进度按 2024Q4 记录；如不对，请用 --period 指定（如 2023Q3）。"
        in (describe_summary(summary, zh))
    )


async def test_a_dated_progress_header_gives_the_period_and_a_full_share_is_done(
    db: aiosqlite.Connection,
) -> None:
    summary = await import_file(db, TABLES / "lead_minsheng_dated.xlsx", actor="test")
    # 截至8月底进展: the report is of 2024-08-31, in 2024Q3.
    assert summary.period == "2024Q3"
    assert "表中进度截至 2024-08-31。" in describe_summary(summary, zh)
    statuses = {t["number"]: t["assignments"][0]["status"] for t in await stored(db)}  # type: ignore[index]
    assert statuses[4] == "completed"  # 形象进度 100%, with no status column
    assert summary.as_of == date(2024, 8, 31)


async def test_a_filing_date_in_a_quarters_first_month_reports_the_quarter_before(
    db: aiosqlite.Connection,
) -> None:
    # 填报时间：2024年7月5日 above the header, blank rows and columns, notes below: Q2's report.
    summary = await import_file(db, TABLES / "lead_filed_date.csv", actor="test")
    assert (summary.period, len(summary.added)) == ("2024Q2", 3)
