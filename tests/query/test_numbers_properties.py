"""Properties of the readers of questions, quantities, numerals and deadlines, over any text.

Each test states an invariant that must hold for every input hypothesis generates, not only
that nothing raises: values stay finite and in range, known forms read right, parsing is
deterministic. Bounded (max_examples, no deadline) so that `make test` stays fast.
"""

from __future__ import annotations

import calendar
import math
import re
import unicodedata
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.plan.deadlines import parse_deadline
from bot.plan.numerals import CHARACTERS, DIGITS, MAX_LENGTH, chinese_number
from bot.query.parse import (
    MAX_AMBIGUOUS,
    MAX_NUMBER_DIGITS,
    STATUS_WORDS,
    ParsedQuery,
    Vocabulary,
    parse_query,
)
from bot.status.quantities import (
    MAGNITUDES,
    MAX_VALUE,
    UNITS,
    estimate,
    quantities,
    stated_completion,
)
from storage.targets import Named

SETTINGS = settings(max_examples=150, deadline=None)
NUMERALS = "零一二三四五六七八九"

# Text of any characters, and text drawn mostly from the characters the readers look for, so
# that the generated inputs reach their paths (numbers, units, magnitudes, months, names).
ANY = st.text(max_size=300)
NUMBERY = st.text(
    alphabet="0123456789.%#号第项年月日底末前季度上中下旬万亿千百十个元人以上左右约余多或至 "
    + CHARACTERS
    + "完成率的",
    max_size=300,
)
TEXTS = st.one_of(ANY, NUMBERY)


def chinese(n: int) -> str:
    """Return n (0…9999) as tables write it: 三, 十一, 二十五, 三百零五, 一千二百三十四."""
    if n == 0:
        return "零"
    parts: list[str] = []
    pending_zero = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // value % 10
        if digit == 0:
            pending_zero = bool(parts)
            continue
        if pending_zero:
            parts.append("零")
            pending_zero = False
        parts.append(("" if value == 10 and n < 20 else NUMERALS[digit]) + unit)
    return "".join(parts)


# ------------------------------------------------------------------ numerals


@SETTINGS
@given(st.text(alphabet=CHARACTERS + "x五G第", max_size=40))
def test_a_numeral_is_none_or_a_bounded_whole_number(text: str) -> None:
    value = chinese_number(text)
    if value is None:
        return
    assert 0 <= value < 10**MAX_LENGTH
    assert len(text) <= MAX_LENGTH
    assert set(text) <= set(CHARACTERS)


@SETTINGS
@given(st.integers(min_value=0, max_value=9999))
def test_the_written_forms_of_a_number_read_as_it(n: int) -> None:
    assert chinese_number(chinese(n)) == n
    spelled = "".join(NUMERALS[int(d)] for d in str(n))  # 一二三: digit by digit
    assert chinese_number(spelled) == n


@SETTINGS
@given(st.text(alphabet="".join(DIGITS), min_size=MAX_LENGTH + 1, max_size=5000))
def test_a_run_of_numerals_too_long_for_a_number_is_none(text: str) -> None:
    assert chinese_number(text) is None


# ------------------------------------------------------------------ quantities


@SETTINGS
@given(TEXTS)
def test_quantities_are_finite_bounded_and_where_they_say(text: str) -> None:
    for q in quantities(text):
        assert math.isfinite(q.value)
        assert 0 <= q.value <= MAX_VALUE
        assert q.unit in UNITS
        assert q.bound in ("exact", "at_least", "about", "at_most")
        assert 0 <= q.start < q.end <= len(text)
        assert text[q.start : q.end] == q.text
        assert q.text.endswith(q.unit)


@SETTINGS
@given(
    st.integers(min_value=1, max_value=10**15 - 1),
    # 千米 and 千瓦 read as 千 (a magnitude) of 米 and 瓦: the same amount in another unit.
    st.sampled_from(sorted(u for u in UNITS if u[0] not in "千百万亿")),
    st.sampled_from(["", *MAGNITUDES]),
)
def test_an_amount_reads_as_written_or_not_at_all_when_out_of_range(
    n: int, unit: str, magnitude: str
) -> None:
    factor = MAGNITUDES[magnitude] if magnitude else 1.0
    found = [(q.value, q.unit) for q in quantities(f"完成投资{n}{magnitude}{unit}")]
    if n * factor > MAX_VALUE or (magnitude == "百" and unit != "万"):
        # 百 is no magnitude the pattern reads (百万 is): the number stands alone or not at all.
        assert all(v <= MAX_VALUE for v, _ in found)
        return
    assert len(found) == 1
    value, read_unit = found[0]
    assert read_unit == unit
    assert math.isclose(value, n * factor, rel_tol=1e-9)


@SETTINGS
@given(st.integers(min_value=2, max_value=9999), st.sampled_from(["个", "家", "人", "项"]))
def test_an_amount_in_numerals_reads_as_written(n: int, unit: str) -> None:
    assert [q.value for q in quantities(f"新建{chinese(n)}{unit}")] == [n]


@SETTINGS
@given(st.integers(min_value=16, max_value=5000), st.sampled_from(["1", "9", "一", "九"]))
def test_a_run_of_digits_too_long_for_an_amount_is_none(length: int, digit: str) -> None:
    assert quantities(f"已完成{digit * length}个") == []


@SETTINGS
@given(TEXTS, TEXTS)
def test_an_estimate_is_none_or_a_finite_share(goal: str, progress: str) -> None:
    found = estimate(goal, progress)
    if found is None:
        return
    assert math.isfinite(found.share)
    assert found.share >= 0
    if found.explicit:
        assert found.share == stated_completion(progress)
        assert found.share < 100  # at most 9999.99…%
    else:
        assert found.target is not None
        assert found.achieved is not None
        assert 0 < found.target <= MAX_VALUE
        assert 0 <= found.achieved <= MAX_VALUE


# ------------------------------------------------------------------ deadlines

DEADLINE_WORDS = st.text(
    alphabet="0123456789年月日号底末前之以完成季度第上中下旬半内全份长期持续推进"
    + "一二两三四五六七八九十-./ ",
    max_size=30,
)


@SETTINGS
@given(st.one_of(ANY, DEADLINE_WORDS), st.integers(min_value=2000, max_value=2100))
def test_a_deadline_is_a_valid_date_ongoing_or_not_understood(text: str, year: int) -> None:
    deadline = parse_deadline(text, year)
    assert deadline.text == text.strip()
    assert deadline.understood == (deadline.ongoing or deadline.due_date is not None)
    assert not (deadline.ongoing and deadline.due_date is not None)
    due = deadline.due_date
    if due is not None:
        assert isinstance(due, date)
        named = re.search(r"20\d\d", unicodedata.normalize("NFKC", text))
        # The plan's year, or a year the text names itself.
        assert due.year == year or (named is not None and str(due.year) in text)
    assert parse_deadline(text, year) == deadline  # deterministic


@SETTINGS
@given(
    st.integers(min_value=2000, max_value=2099),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=1, max_value=31),
)
def test_written_dates_read_as_the_date_or_none_when_no_such_day(
    year: int, month: int, day: int
) -> None:
    last = calendar.monthrange(year, month)[1]
    written = parse_deadline(f"{year}年{month}月{day}日", 2023).due_date
    assert written == (date(year, month, day) if day <= last else None)
    assert parse_deadline(f"{month}月底", year).due_date == date(year, month, last)
    assert parse_deadline(f"{chinese(month)}月底前", year).due_date == date(year, month, last)


# ------------------------------------------------------------------ the query parser

VOCABULARY = Vocabulary(
    (Named(1, "王昌华"), Named(2, "曹临"), Named(3, "聂元科")),
    (
        Named(10, "市水务局"),
        Named(11, "市人力资源社会保障局"),
        Named(12, "东明县人民政府"),
        Named(13, "单县人民政府"),
        Named(14, "市医疗保障局"),
    ),
    {"人社局": Named(11, "市人力资源社会保障局")},
)
CORPUS = "新建并开通5G基站1700个以上 就业 医保 水利工程施工完成投资30亿元以上 高校毕业生"
QUESTION_WORDS = st.lists(
    st.sampled_from(
        [
            "王昌华",
            "曹 临",
            "王副市长",
            "水务局",
            "人社局",
            "县人民政府",
            "滞后",
            "behind",
            "on track",
            "已完成",
            "逾期",
            "未填报",
            "#48",
            "48号",
            "第9项",
            "#" + "9" * 7,
            "Q3",
            "2023Q4",
            "三季度",
            "10月底",
            "十二月底",
            "年底",
            "本月到期",
            "长期坚持",
            "5G",
            "就业",
            "医保",
            "我的",
            "谢谢",
            "好的",
            "否",
            "xyz",
            "，",
            " ",
        ]
    ),
    max_size=40,
).map("".join)


def known(word: str, exactly: bool) -> bool:
    """Tell whether a word is in the small corpus (near: shares its first two characters)."""
    return word in CORPUS if exactly else len(word) >= 4 and word[:2] in CORPUS


def parse(text: str) -> ParsedQuery:
    return parse_query(text, VOCABULARY, plan_year=2023, is_known_word=known)


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).lower())


@SETTINGS
@given(st.one_of(ANY, QUESTION_WORDS, NUMBERY))
def test_a_question_parses_deterministically_into_bounded_filters(text: str) -> None:
    parsed = parse(text)
    assert parse(text) == parsed
    assert all(0 <= n < 10**MAX_NUMBER_DIGITS for n in parsed.numbers)
    assert parsed.period is None or re.fullmatch(r"20\d\dQ[1-4]", parsed.period)
    assert set(parsed.statuses) <= set(STATUS_WORDS.values())
    assert len(parsed.ambiguous) <= MAX_AMBIGUOUS
    for filters in (parsed.numbers, parsed.keywords, parsed.unplaced, parsed.statuses):
        assert len(filters) == len(set(filters))  # a word asked twice is one filter
    assert {p.id for p in parsed.leaders} <= {p.id for p in VOCABULARY.leaders}
    assert {u.id for u in parsed.units} <= {u.id for u in VOCABULARY.units}
    whole = squeezed(text)
    typed = [t.word for t in parsed.taken if t.kind == "keyword"]  # employment for 就业
    for word in (*typed, *parsed.unplaced):
        assert squeezed(word) in whole  # every word echoed back is the asker's own
    if parsed.deadline is not None and parsed.deadline.due_date is not None:
        assert 2000 <= parsed.deadline.due_date.year <= 2099


@SETTINGS
@given(st.integers(min_value=1, max_value=999), st.sampled_from(["#{}", "{}号", "第{}项"]))
def test_a_target_number_is_read_in_each_way_it_is_written(n: int, form: str) -> None:
    assert parse(form.format(n)).numbers == [n]


@SETTINGS
@given(st.integers(min_value=MAX_NUMBER_DIGITS + 1, max_value=5000))
def test_a_number_too_long_for_a_target_is_an_unplaced_word(length: int) -> None:
    parsed = parse("#" + "9" * length)
    assert parsed.numbers == []
    assert parsed.unplaced == ["#" + "9" * length]
