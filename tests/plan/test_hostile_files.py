"""The hostile-files corpus through `targetbot import`: each refused in one line, nothing stored.

The corpus (tests/hostile/) holds tables that attack the importer one way each: cells and merges
far out, zip bombs, entity declarations, broken XML, 序号 cells that are no numbers, names beyond
their limits. Every importer change must pass it: a non-zero exit, exactly one line on stderr
naming the file (the same line the importer's error gives), nothing on stdout, the database as
it was. Memory and time are bounded by the files' limits; bench/ measures them.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.cli import commands as cli
from bot.i18n import Translator
from bot.plan.importer import DEMO_TABLE, describe_error, read_table
from bot.plan.tables import TableError
from tests.hostile import make_corpus as corpus


def snapshot(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Return every row of every table."""
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}


@pytest.fixture
def demo_db(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Path:
    """Return a database holding the demo table, imported by the CLI (run in an empty folder)."""
    monkeypatch.chdir(tmp_path)
    for name in ("DEFAULT_LANGUAGE", "DATABASE_PATH", "BOT_TOKEN", "ADMIN_IDS"):
        monkeypatch.delenv(name, raising=False)
    db = tmp_path / "targetbot.db"
    assert cli.main(["import", str(DEMO_TABLE), "--db", str(db)]) == 0
    capsys.readouterr()
    return db


def assert_refused_in_one_line(
    path: Path, key: str, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Import `path` with the CLI; check the one-line refusal with `key` and an unchanged db."""
    with pytest.raises(TableError) as caught:
        read_table(path)
    assert caught.value.key == key
    before = snapshot(db)

    code = cli.main(["import", str(path), "--db", str(db)])

    out, err = capsys.readouterr()
    assert code != 0
    assert out == ""
    assert err.splitlines() == [describe_error(caught.value, Translator("zh"))]
    assert err.startswith(path.name)
    assert snapshot(db) == before


@pytest.mark.parametrize("name", sorted(corpus.SMALL))
def test_each_small_hostile_file_is_refused_in_one_line(
    name: str, demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = corpus.FILES / name
    _, key = corpus.SMALL[name]
    assert_refused_in_one_line(path, key, demo_db, capsys)


@pytest.mark.parametrize("name", sorted(corpus.LARGE))
def test_each_bomb_made_at_test_time_is_refused_in_one_line(
    name: str, demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make, key = corpus.LARGE[name]
    path = tmp_path / name
    path.write_bytes(make())
    assert_refused_in_one_line(path, key, demo_db, capsys)


def test_the_checked_in_corpus_is_what_the_script_makes(tmp_path: Path) -> None:
    corpus.write_small(tmp_path)
    assert sorted(p.name for p in corpus.FILES.iterdir()) == sorted(corpus.SMALL)
    for name in corpus.SMALL:
        assert (corpus.FILES / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_every_file_is_a_valid_table_but_for_its_hostile_feature(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The same builders without the hostile part import: a refusal is owed to that part alone.
    for name, content in {
        "plain.tsv": corpus.tsv(corpus.row_with(0, "2")),
        "plain.xlsx": corpus.xlsx(corpus.sheet_xml(corpus.table_rows())),
        # a used range declared as the whole sheet is no reason to refuse: the values decide
        "dimension.xlsx": corpus.xlsx(
            corpus.sheet_xml(corpus.table_rows(), dimension="A1:XFD1048576")
        ),
        "merged.xlsx": corpus.xlsx(
            corpus.sheet_xml(
                corpus.table_rows({4: [(2, "刘连栋"), (7, "市退役军人事务局")]}),
                after='<mergeCells count="2"><mergeCell ref="A3:A4"/><mergeCell ref="C3:C4"/>'
                "</mergeCells>",
            )
        ),
    }.items():
        path = tmp_path / name
        path.write_bytes(content)
        assert cli.main(["import", str(path), "--db", str(tmp_path / f"{name}.db")]) == 0, name
        out, err = capsys.readouterr()
        assert err == ""
        assert "某市2023年责任目标" in out
    table = read_table(tmp_path / "merged.xlsx")
    assert [(a.leader, a.units) for a in table.targets[0].assignments] == [
        ("王昌华", ("市工业和信息化局",)),
        ("刘连栋", ("市退役军人事务局",)),
    ]
