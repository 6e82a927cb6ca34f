"""TargetIndex on its own: how it is built from a plan's rows, how it filters and how it ranks."""

from __future__ import annotations

from datetime import date

import aiosqlite
import pytest

from bot.query.engine import QueryEngine
from bot.query.index import Positions, TargetIndex
from bot.query.parse import DeadlineFilter, ParsedQuery
from bot.query.words import (
    CONTENT_SCORE,
    FUZZY_SCORE,
    PROGRESS_SCORE,
    KeywordIndex,
    Posting,
    Texts,
)
from storage import targets as plans
from storage.search import AssignmentRow, PlanRows, ReportRow, TargetRow
from storage.targets import Named

TODAY = date(2023, 11, 1)
CAO, WANG = Named(1, "曹临"), Named(2, "王昌华")
WATER, HEALTH, JOBS = Named(5, "市水务局"), Named(6, "市医保局"), Named(7, "市人社局")

ROWS = PlanRows(
    [
        TargetRow(101, 1, "城镇新增就业5万人", "年底", "2023-12-31"),
        TargetRow(102, 2, "新建污水处理厂3座", "10月底", "2023-10-31"),
        TargetRow(103, 3, "新建服务站50个", "年底", "2023-12-31"),
        TargetRow(104, 4, "医保基金监管全覆盖", "长期坚持", None),
        TargetRow(105, 5, "推进标识解析二级节点建设", "11月底", "2023-11-30"),
    ],
    [
        AssignmentRow(11, 101, 1, CAO, (JOBS,)),
        AssignmentRow(12, 102, 1, CAO, (WATER,)),
        AssignmentRow(13, 102, 2, WANG, (WATER, HEALTH)),
        AssignmentRow(14, 103, 1, WANG, (WATER,)),
        AssignmentRow(15, 104, 1, WANG, (HEALTH,)),
        AssignmentRow(16, 105, 1, CAO, (JOBS,)),
        AssignmentRow(99, 999, 1, CAO, (JOBS,)),  # of a target not in the plan
    ],
    [
        ReportRow(11, "2023Q2", 1, "on_track", "新增就业2万人"),
        ReportRow(11, "2023Q3", 2, "completed", "新增就业5.2万人"),
        ReportRow(12, "2023Q3", 1, "on_track", "两座主体完工"),
        ReportRow(13, "2023Q3", 1, "behind", "征地未完成"),
        ReportRow(14, "2023Q3", 1, "on_track", "已建成服务站18个"),
        ReportRow(15, "2023Q2", 1, "on_track", "医保飞行检查已开展"),
    ],
)


@pytest.fixture
def index() -> TargetIndex:
    return TargetIndex.build(ROWS, 2023)


def numbers(index: TargetIndex, query: ParsedQuery, **kwargs: object) -> list[int]:
    result = index.search(query, today=TODAY, **kwargs)  # type: ignore[arg-type]
    return [hit.target.number for hit in result.hits]


# -------------------------------------------------------------- build


def test_build_keeps_the_plan_in_order_and_drops_strays(index: TargetIndex) -> None:
    assert [t.number for t in index.targets] == [1, 2, 3, 4, 5]
    assert [a.id for a in index.assignments] == [11, 12, 13, 14, 15, 16]
    assert [t.assignments for t in index.targets] == [(0,), (1, 2), (3,), (4,), (5,)]
    assert list(index.assignment_target) == [0, 1, 1, 2, 3, 4]
    assert index.by_number == {1: 0, 2: 1, 3: 2, 4: 3, 5: 4}
    assert {k: list(v) for k, v in index.by_leader.items()} == {1: [0, 1, 5], 2: [2, 3, 4]}
    assert {k: list(v) for k, v in index.by_unit.items()} == {7: [0, 5], 5: [1, 2, 3], 6: [2, 4]}
    assert index.periods == ["2023Q2", "2023Q3"]
    assert index.assignments[0].reports == {
        "2023Q2": ("on_track", "新增就业2万人"),
        "2023Q3": ("completed", "新增就业5.2万人"),
    }
    assert index.targets[3].due_date is None
    assert list(index.by_due[None]) == [3]
    assert list(index.by_due[date(2023, 12, 31)]) == [0, 2]


def test_build_indexes_contents_and_latest_progress_and_unit_names(index: TargetIndex) -> None:
    assert index.contents[1] == "新建污水处理厂3座"
    # Only the latest period's progress counts; unit names come after, lead row first.
    assert index.progresses[1] == "两座主体完工\n征地未完成\n市水务局\n市水务局\n市医保局"
    assert index.progresses[3] == "市医保局"  # its Q2 progress is not the latest period's
    assert index.find_word("医保") == {3: CONTENT_SCORE, 1: PROGRESS_SCORE}


def test_an_empty_plan_builds_and_finds_nothing() -> None:
    empty = TargetIndex.build(PlanRows([], [], []), 2023)
    assert list(empty.search(ParsedQuery(text=""), today=TODAY).ranked) == []
    assert empty.latest_view(TODAY).period is None
    assert not empty.knows("医保", exactly=True)


# -------------------------------------------------------------- filters


def test_leader_and_unit_filters_meet_on_one_assignment(index: TargetIndex) -> None:
    assert numbers(index, ParsedQuery(text="", leaders=[CAO])) == [2, 5, 1]
    assert numbers(index, ParsedQuery(text="", units=[WATER])) == [2, 3]
    # 曹临 and 市医保局 both answer for #2, but not on the same row.
    assert numbers(index, ParsedQuery(text="", leaders=[CAO], units=[HEALTH])) == []
    assert numbers(index, ParsedQuery(text="", leaders=[WANG], units=[HEALTH])) == [2, 4]
    assert numbers(index, ParsedQuery(text="", leaders=[CAO, WANG], units=[JOBS])) == [5, 1]


def test_a_hit_holds_the_assignments_that_matched_and_all_of_its_own(index: TargetIndex) -> None:
    [hit] = index.search(ParsedQuery(text="", numbers=[2], leaders=[CAO]), today=TODAY).hits
    assert [a.id for a in hit.assignments] == [12]
    assert [a.id for a in hit.assignments_of_target] == [12, 13]
    assert (hit.status, hit.light) == ("behind", "🔴")  # the target's, not the row's


def test_only_unit_limits_every_question(index: TargetIndex) -> None:
    assert numbers(index, ParsedQuery(text=""), only_unit=HEALTH.id) == [2, 4]
    assert numbers(index, ParsedQuery(text="", leaders=[CAO]), only_unit=HEALTH.id) == []


def test_status_filters_and_what_would_have_been_found_without_them(index: TargetIndex) -> None:
    # 曹临's row of #2 is at risk (2 of 3 at 90 % of its time): #2 is found, and shows red.
    assert numbers(index, ParsedQuery(text="", statuses=["at_risk"])) == [2, 3]
    assert index.latest_view(TODAY).of[1] == "at_risk"
    assert numbers(index, ParsedQuery(text="", statuses=["behind", "completed"])) == [2, 1]
    none = index.search(ParsedQuery(text="", leaders=[WANG], statuses=["completed"]), today=TODAY)
    assert list(none.ranked) == []
    assert none.without_status == 3
    assert (
        index.search(ParsedQuery(text="", statuses=["behind"]), today=TODAY).without_status is None
    )


def test_numbers_deadline_and_keywords_filter_targets(index: TargetIndex) -> None:
    assert numbers(index, ParsedQuery(text="", numbers=[3, 1, 42])) == [3, 1]
    ongoing = DeadlineFilter("长期", ongoing=True)
    assert numbers(index, ParsedQuery(text="", deadline=ongoing)) == [4]
    this_month = DeadlineFilter("本月", this_month=True)
    assert numbers(index, ParsedQuery(text="", deadline=this_month)) == [5]
    on_day = DeadlineFilter("10月底", due_date=date(2023, 10, 31))
    assert numbers(index, ParsedQuery(text="", deadline=on_day)) == [2]
    assert numbers(index, ParsedQuery(text="", keywords=["新建"])) == [2, 3]
    assert numbers(index, ParsedQuery(text="", keywords=["新建", "污水"])) == [2]
    assert numbers(index, ParsedQuery(text="", keywords=["新建"], numbers=[1])) == []


def test_every_keyword_must_hold(index: TargetIndex) -> None:
    # 医保 is in #4's content and #2's units; 监管 only in #4's content.
    result = index.search(ParsedQuery(text="", keywords=["医保", "监管"]), today=TODAY)
    assert list(result.ranked) == [3]


# -------------------------------------------------------------- ranking and lights


def test_every_target_comes_red_yellow_white_green(index: TargetIndex) -> None:
    result = index.search(ParsedQuery(text=""), today=TODAY)
    assert [(h.target.number, h.status) for h in result.hits] == [
        (2, "behind"),
        (3, "at_risk"),  # 18 of 50 at 75 % of the year
        (5, "not_submitted"),
        (1, "completed"),
        (4, "on_track"),  # carried from Q2, still not reported for Q3
    ]
    assert result.light_counts() == {"🔴": 1, "🟡": 1, "⚪": 1, "🟢": 2}
    assert result.period == "2023Q3"
    assert [h.target.number for h in result.page(1, 2)] == [5, 1]
    assert len(result) == 5


def test_a_carried_status_says_where_it_is_from(index: TargetIndex) -> None:
    hit = index.light_of(4, today=TODAY)
    assert hit is not None
    assert (hit.status, hit.carried_from, hit.period) == ("on_track", "2023Q2", "2023Q2")
    assert index.light_of(42, today=TODAY) is None


def test_a_period_asked_for_is_judged_as_of_its_end(index: TargetIndex) -> None:
    result = index.search(ParsedQuery(text="", period="2023Q2"), today=TODAY)
    assert result.period == "2023Q2"
    assert {h.target.number: h.status for h in result.hits} == {
        1: "on_track",
        2: "not_submitted",
        3: "not_submitted",
        4: "on_track",
        5: "not_submitted",
    }


def test_views_are_kept_two_at_a_time(index: TargetIndex) -> None:
    latest = index.latest_view(TODAY)
    assert index.latest_view(TODAY) is latest
    index.status_view("2023Q2", date(2023, 6, 30))
    index.status_view("2023Q1", date(2023, 3, 31))
    assert len(index._views) == 2
    assert index.latest_view(TODAY) is not latest
    assert index.latest_view(TODAY).of == latest.of


def test_the_margin_is_the_index_s(index: TargetIndex) -> None:
    lenient = TargetIndex.build(ROWS, 2023, margin=0.5)
    assert [
        h.status for h in lenient.search(ParsedQuery(text="", numbers=[3]), today=TODAY).hits
    ] == ["on_track"]


# -------------------------------------------------------------- what pushes ask


def test_a_leader_s_lights_come_by_number(index: TargetIndex) -> None:
    hits = index.leader_lights(CAO.id, today=TODAY)
    assert [(h.target.number, h.light, h.status) for h in hits] == [
        (1, "🟢", "completed"),
        (2, "🔴", "behind"),  # the target's light, from 王昌华's row
        (5, "⚪", "not_submitted"),
    ]
    assert [a.id for a in hits[1].assignments] == [12]
    assert index.leader_lights(42, today=TODAY) == []


def test_a_leader_s_lights_are_those_a_search_for_the_leader_gives(index: TargetIndex) -> None:
    for leader in (CAO, WANG):
        searched = index.search(ParsedQuery(text=leader.name, leaders=[leader]), today=TODAY)
        expected = sorted(searched.hits, key=lambda h: h.target.number)
        got = index.leader_lights(leader.id, today=TODAY)
        assert [(h.target, h.light, h.status, h.assignments) for h in got] == [
            (h.target, h.light, h.status, h.assignments) for h in expected
        ]


def test_completed_assignments_are_those_whose_latest_report_says_so(index: TargetIndex) -> None:
    assert index.completed_assignments() == {11}


# -------------------------------------------------------------- the keyword index


def keywords(contents: list[str], known_by: list[list[str]]) -> KeywordIndex:
    """Return the keyword index of targets' contents and what else each is known by."""
    return KeywordIndex.build(Texts(contents.__len__, contents.__getitem__, known_by.__getitem__))


def test_the_keyword_index_finds_exact_short_and_near_words() -> None:
    words = keywords(["新建服务站50个", "标识解析二级节点"], [["市水务局"], ["已建成5个"]])
    assert words.find("服务站") == {0: CONTENT_SCORE}
    assert words.find("水务") == {0: PROGRESS_SCORE}
    assert words.find("5") == {0: CONTENT_SCORE, 1: PROGRESS_SCORE}  # one character: read all
    assert words.find("标识解折二级") == {1: FUZZY_SCORE}  # a typo in a longer word
    assert words.find("解折") == {}  # too short to guess
    assert words.knows("服务站", exactly=True)
    assert not words.knows("标识解折二级", exactly=True)
    assert words.knows("标识解折二级", exactly=False)


def test_the_keyword_index_normalises_and_remembers_within_bounds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    words = keywords(["新建5g基站", "新建５Ｇ基站"], [[], []])
    assert words.find("５Ｇ") == {0: CONTENT_SCORE, 1: CONTENT_SCORE}  # full width, upper case
    assert words.find("5G基站") == {0: CONTENT_SCORE, 1: CONTENT_SCORE}
    assert list(words._words) == ["5g基站"]  # a bigram's targets are read, not remembered
    # Past the targets it may remember, what it remembered is forgotten first.
    monkeypatch.setattr("bot.query.words.CACHE_ENTRIES", 5)
    assert words.find("新建5") == {0: CONTENT_SCORE, 1: CONTENT_SCORE}
    assert list(words._words) == ["新建5"]
    words.forget()
    assert words._words == {}


def test_the_keyword_index_reads_the_texts_that_have_every_bigram() -> None:
    # 务服务 has both bigrams of 服务服 (服务, 务服) but not the word.
    words = keywords(["务服务", "提升服务服务水平", "水"], [["市政务服务中心"], [], ["河"]])
    assert words.find("服务服") == {1: CONTENT_SCORE}
    assert words.find("务服务") == {0: CONTENT_SCORE, 1: CONTENT_SCORE}
    assert words.find("服务中心") == {0: PROGRESS_SCORE}
    # A one-character text has no bigram: it is still found, by its content or its progress.
    assert words.find("水") == {1: CONTENT_SCORE, 2: CONTENT_SCORE}
    assert words.find("河") == {2: PROGRESS_SCORE}


# -------------------------------------------------------------- through the engine


async def test_the_engine_gives_pushes_the_lights_of_leaders(demo: aiosqlite.Connection) -> None:
    engine = QueryEngine()
    today = date(2026, 11, 25)
    leaders = await plans.list_leaders(demo)
    lights = await engine.leader_lights(demo, [p.id for p in leaders] + [9999], today)
    assert list(lights) == [p.id for p in leaders] + [9999]
    assert lights[9999] == []
    for leader in leaders:
        asked = await engine.ask(demo, leader.name, today=today)
        expected = sorted(asked.hits, key=lambda h: h.target.number)
        assert lights[leader.id]
        assert [(h.target.number, h.light, h.status) for h in lights[leader.id]] == [
            (h.target.number, h.light, h.status) for h in expected
        ]
    assert await engine.completed_assignments(demo, today) == set()  # every row on track


async def test_without_a_plan_the_engine_gives_no_lights(db: aiosqlite.Connection) -> None:
    engine = QueryEngine()
    assert await engine.leader_lights(db, [1], TODAY) == {}
    assert await engine.completed_assignments(db, TODAY) == set()


def test_a_posting_keeps_targets_past_the_first_block() -> None:
    far = [3, 65_535, 65_536, 70_000, 200_000]
    posting = Posting(far)
    assert sorted(posting) == far
    assert len(posting) == 5
    posting.remove(65_536)
    posting.add(131_071)
    assert sorted(posting) == [3, 65_535, 70_000, 131_071, 200_000]


def test_positions_find_where_each_key_stands_the_last_place_of_a_repeated_one() -> None:
    ordered = Positions([3, 5, 5, 9])
    assert dict(ordered.items()) == {3: 0, 5: 2, 9: 3}
    shuffled = Positions([90, 7, 86, 7, 12])
    assert dict(shuffled.items()) == {7: 3, 12: 4, 86: 2, 90: 0}
    assert 8 not in shuffled
    assert shuffled.get(8) is None
    with pytest.raises(KeyError):
        shuffled[100]


def test_a_change_that_cannot_be_read_leaves_the_index_as_it_was(index: TargetIndex) -> None:
    before = (list(index.assignments), index.progresses, index.find_word("完工"))
    changed = PlanRows(
        [TargetRow(102, 2, "新建污水处理厂3座", "10月底", "2023-10-31", closed_on="2023-13-01")],
        [],
        [ReportRow(12, "2023Q3", 2, "on_track", "全部建成投用")],
    )
    with pytest.raises(ValueError, match="month"):
        index.apply(changed, [12])
    assert (list(index.assignments), index.progresses, index.find_word("完工")) == before
    assert index.find_word("投用") == {}


def test_characters_that_normalise_into_chinese_ones_are_found_as_them() -> None:
    # ⾦ is the Kangxi radical (U+2FA6): normalised it is 金, as a search compares texts.
    words = keywords(["推进⾦融服务", "金融服务中心"], [[], ["⾦融服务站"]])
    assert words.find("金融服务") == {0: CONTENT_SCORE, 1: CONTENT_SCORE}
    assert words.find("融服务站") == {1: PROGRESS_SCORE}
