"""Turn a question typed in chat ("王昌华 behind schedule", "曹临水务局滞后") into filters."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from bot.plan.deadlines import parse_deadline
from bot.plan.names import normalise_name
from bot.plan.numerals import CHARACTERS, chinese_number
from bot.query.bodies import BodyNames, body_names
from bot.query.english import PinyinNames, read_english, reserved_words
from bot.query.matching import clear_best, is_subsequence, sounds_alike
from bot.query.sentences import (
    ASKING,
    FILLERS,
    NEGATED_STATUSES,
    STATUS_QUESTIONS,
    is_filler,
    words_of,
)
from storage.targets import Named

# Status words of the query language, zh and en (matched longest first).
STATUS_WORDS: dict[str, str] = {
    "behind schedule": "behind",
    "behind": "behind",
    "delayed": "behind",
    "late": "behind",
    "lagging": "behind",
    "滞后": "behind",
    "落后": "behind",
    "未按计划": "behind",
    "进度滞后": "behind",
    "没按计划": "behind",
    "on track": "on_track",
    "on schedule": "on_track",
    "按计划": "on_track",
    "正常": "on_track",
    "done": "completed",
    "completed": "completed",
    "complete": "completed",
    "finished": "completed",
    "已完成": "completed",
    "已经完成": "completed",
    "overdue": "overdue",
    "逾期": "overdue",
    "超期": "overdue",
    "过期": "overdue",
    "not submitted": "not_submitted",
    "not reported": "not_submitted",
    "missing": "not_submitted",
    "unreported": "not_submitted",
    "未填报": "not_submitted",
    "未报送": "not_submitted",
    "未上报": "not_submitted",
    "未报": "not_submitted",
    "at risk": "at_risk",
    "risky": "at_risk",
    "预警": "at_risk",
    "风险": "at_risk",
    # Negations: "not on track" is behind; "not completed" is behind or overdue.
    "not on track": "behind",
    "off track": "behind",
    "not on schedule": "behind",
    "not completed": "unfinished",
    "not complete": "unfinished",
    "not done": "unfinished",
    "not finished": "unfinished",
    "unfinished": "unfinished",
    "incomplete": "unfinished",
    "not behind": "fine",
    "not late": "fine",
    "not delayed": "fine",
    # The traffic lights, as the replies show them (红黄绿灯).
    "红灯": "red",
    "🔴": "red",
    "red light": "red",
    "red lights": "red",
    "黄灯": "at_risk",
    "🟡": "at_risk",
    "yellow light": "at_risk",
    "yellow lights": "at_risk",
    "amber": "at_risk",
    "绿灯": "fine",
    "🟢": "fine",
    "green light": "fine",
    "green lights": "fine",
    "白灯": "not_submitted",
    "⚪": "not_submitted",
    **NEGATED_STATUSES,  # 没按计划, 没有完成, 还没报, 不滞后, 按时完成 …
}
# Status words that stand for several statuses: not finished is behind or overdue; not behind
# is on track or completed.
STATUS_GROUPS: dict[str, tuple[str, ...]] = {
    "unfinished": ("behind", "overdue"),
    "red": ("behind", "overdue"),
    "fine": ("on_track", "completed"),
}
# One-character answers of the 是否 column count only as a whole word: "否", not 是否 in a text.
STATUS_TOKENS = {"否": "behind", "是": "on_track"}
THIS_MONTH_WORDS = ("due this month", "this month", "本月到期", "本月底", "本月")
# Words that carry no filter: "which of my targets are behind?", "王昌华的目标", question
# words and courtesies ("工信局5g进展怎么样", "please show me…", "what about 5G").
STOP_WORDS = {
    "which",
    "what",
    "how",
    "about",
    "doing",
    "going",
    "tell",
    "give",
    "find",
    "can",
    "could",
    "you",
    "i",
    "do",
    "does",
    "there",
    "progress",
    "status",
    "update",
    "updates",
    "on",
    "to",
    "pls",
    "of",
    "the",
    "a",
    "an",
    "are",
    "is",
    "show",
    "list",
    "me",
    "all",
    "targets",
    "target",
    "with",
    "and",
    "for",
    "in",
    "whose",
    "any",
    "please",
    "?",
    "的",
    "目标",
    "哪些",
    "有哪些",
    "情况",
    "查询",
    "查看",
    "所有",
    "全部",
    "请",
    "请问",
    "麻烦",
    "帮我",
    "帮忙",
    "看看",
    "看一下",
    "查一下",
    "查查",
    "一下",
    "吗",
    "呢",
    "了",
    "啊",
    "吧",
    "进展",
    "进度",
    "进展情况",
    "推进情况",
    "完成情况",
    "怎么样",
    "怎样",
    "如何",
    "咋样",
    "什么",
    "哪个",
    "有没有",
}
# Thanks and greetings: not keywords, not errors; a message of nothing else is answered kindly.
THANKS_WORDS = ("谢谢您", "谢谢你", "谢谢", "多谢", "感谢", "辛苦了", "thank you", "thanks", "thx")
GREETING_WORDS = ("您好", "你好", "hello", "hi")
ACK_WORDS = {
    "好的",
    "好",
    "ok",
    "okay",
    "收到",
    "明白",
    "明白了",
    "知道了",
    "嗯",
    "嗯嗯",
}  # whole words
# "My" targets: the asker's own (a leader's, or a liaison's unit's). 我市/我省 are not "my".
_MINE = re.compile(
    r"我们单位的?|本单位的?|我(?:们)?(?:分管|负责)的?|我们?的|^\s*我(?![市省国区县想要看问查来])"
    r"|(?<![a-z])(?:my|mine|our|ours)(?![a-z])"
)
# Titles after a surname (王副市长, 孙县长): of a city's, a county's, a district's leaders.
LEADER_TITLES = tuple(
    sorted(
        {
            *(
                f"{rank}{head}"
                for rank in ("常务副", "副", "")
                for head in ("市长", "县长", "区长")
            ),
            *("镇长", "副镇长", "秘书长", "副秘书长", "书记", "副书记", "主任", "副主任"),
            *("局长", "副局长", "部长", "副部长", "省长", "副省长", "州长", "副州长", "旗长"),
        },
        key=len,
        reverse=True,
    )
)
TITLE_CHARS = "常务副市县区镇秘"  # characters that start a title, never a surname before one
UNIT_END_CHARS = "局委办府县区会司团港联协厅处"
UNIT_ENDINGS = (*UNIT_END_CHARS, "镇", "乡", "街道", "中心", "政府", "分局", "社区", "村")
PLACE_CHARS = ("市", "县", "区", "省")
_CN_NUM = "一二两三四五六七八九十"
_NUMBER = re.compile(r"#\s*(\d+)|(\d+)\s*号|第\s*(\d+)\s*[项号条]")
_CN_NUMBER = re.compile(rf"第([{CHARACTERS}]{{1,6}})[项号条]")
# A target of a table numbered per section, as the table shows it: #2-3, 2-3号 (stored 2003).
_LABEL = re.compile(
    r"#\s*(\d{1,3})\s*[-‐–—]\s*(\d{1,3})(?!\d)|(?<![\d-])(\d{1,3})\s*-\s*(\d{1,3})\s*号"
)
_LABEL_ALONE = re.compile(r"#?\s*([0-9]{1,3})\s*[-‐–—]\s*([0-9]{1,3})\s*号?", re.ASCII)
SECTION_FACTOR = 1000  # section 2's item 3 is stored as 2003
MAX_NUMBER_DIGITS = 6  # a target number (#48, 48号, 第48项) has at most so many digits
_NUMBER_ALONE = re.compile(r"[#＃]?\s*第?\s*([0-9]+)\s*[项号条]?", re.ASCII)
MAX_SEGMENT = 40  # the longest name looked for inside a word written without spaces
MAX_SENTENCE_WORDS = 12  # more words than this, unspaced, are not a question but a paste
MAX_AMBIGUOUS = 3  # words naming several leaders or units asked about at once (buttons each)
_PERIOD = re.compile(r"(20\d\d)\s*[qQ]\s*([1-4])|\b[qQ]([1-4])\b|(?:前|第)?([一二三四])季度")
_MONTH_END = re.compile(
    rf"(?:(20\d\d)年)?(\d{{1,2}}|(?<![{_CN_NUM}])[{_CN_NUM}]{{1,3}})月(?:底|末)(?:前)?"
)
_MONTHS = [
    *("january", "february", "march", "april", "may", "june"),
    *("july", "august", "september", "october", "november", "december"),
]
# English deadlines: "due end of October", "by the end of the year", "year-end".
_EN_MONTH_END = re.compile(
    r"(?<![a-z])(?:(?:due|by)\s+)?(?:the\s+)?(?:end\s+of\s+(?:the\s+)?"
    rf"({'|'.join(_MONTHS)}|year)|(year)[\s-]?end)(?![a-z])"
)
_YEAR_END = re.compile(r"(?:(20\d\d)年)?(?:年底|年末)(?:前)?")
_ONGOING = re.compile(r"长期坚持|持续推进")
_SPLIT = re.compile(r"[\s,，\u3001;；。.!！?？:：/]+")  # \u3001: the ideographic comma
_CJK = re.compile(r"[\u3400-\u9fff]")


def normalise_text(text: str) -> str:
    """Return text as the search compares it: NFKC, lower case."""
    return unicodedata.normalize("NFKC", text).lower()


@dataclass(frozen=True)
class DeadlineFilter:
    """A deadline asked for: a due date, ongoing work, or "due this month"."""

    text: str
    due_date: date | None = None
    ongoing: bool = False
    this_month: bool = False


@dataclass(frozen=True)
class Ambiguity:
    """A word that names several leaders or units: the user must choose."""

    kind: str  # "leader" or "unit"
    word: str
    choices: tuple[Named, ...]


@dataclass(frozen=True)
class Taken:
    """A word of the question and what it was taken as: `环保局` → unit 市生态环境局."""

    word: str  # as typed (normalised: NFKC, lower case)
    kind: str  # leader, unit, status, deadline, period, number, keyword
    meaning: str  # the leader's or unit's name, the status code, the period, the keyword…


@dataclass
class ParsedQuery:
    """What a question asks for; filters of one kind are OR-ed, different kinds AND-ed."""

    text: str
    leaders: list[Named] = field(default_factory=list)
    units: list[Named] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    deadline: DeadlineFilter | None = None
    period: str | None = None
    numbers: list[int] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)
    ambiguous: list[Ambiguity] = field(default_factory=list)
    mine: bool = False  # "我的", "my": the asker's own targets
    courtesy: str | None = None  # "thanks", "greeting" or "ack" when the text had such words
    taken: list[Taken] = field(default_factory=list)  # each word placed, and what as
    not_in_plan: list[str] = field(default_factory=list)  # bodies named that have no targets here

    def took(self, word: str, kind: str, meaning: str) -> None:
        """Record that `word` was taken as `meaning` of `kind` (once)."""
        item = Taken(" ".join(word.split()), kind, meaning)
        if item.word and item not in self.taken:
            self.taken.append(item)

    def words_for(self, kind: str, meaning: str) -> list[str]:
        """Return the words that were taken as this meaning, as typed."""
        return [t.word for t in self.taken if t.kind == kind and t.meaning == meaning]

    @property
    def is_empty(self) -> bool:
        """Tell whether the question asks for nothing we understood."""
        return not (
            self.leaders
            or self.units
            or self.statuses
            or self.deadline
            or self.period
            or self.numbers
            or self.keywords
            or self.ambiguous
            or self.mine
        )

    @property
    def only_courtesy(self) -> bool:
        """Tell whether the text was only thanks or a greeting, with nothing to look up."""
        return self.courtesy is not None and self.is_empty and not self.unplaced


def _add(items: list[Named], new: Iterable[Named]) -> None:
    for item in new:
        if item not in items:
            items.append(item)


@dataclass(frozen=True)
class Vocabulary:
    """The names a question can mention: leaders, units with their forms, and aliases."""

    leaders: tuple[Named, ...]
    units: tuple[Named, ...]
    aliases: dict[str, Named] = field(default_factory=dict)  # alias → unit

    def unit_forms(self) -> dict[str, list[Named]]:
        """Return every way a unit is named: full, without 市, county (东明县), and aliases."""
        forms: dict[str, list[Named]] = {}
        for unit in self.units:
            names = {unit.name}
            if unit.name[0] in "市县区" and len(unit.name) > 2:
                names.add(unit.name[1:])
            street = re.fullmatch(r"(.+?)街道办事处", unit.name)
            if street:  # 东湖街道办事处: 东湖街道, 东湖街办, 东湖办事处
                names |= {street.group(1) + end for end in ("街道", "街办", "办事处")}
            county = re.fullmatch(r"(.+?[县区市])人民政府", unit.name)
            if county:
                names.add(county.group(1))
            for name in names:
                forms.setdefault(normalise_text(name), []).append(unit)
        # The other names of the unit's body (环保局 → 市生态环境局); a plan's own names win,
        # admin aliases win over them, and a body not in the plan names no unit at all.
        # With the place in front as people write it too: 区环保局, 市卫健委, 县人社局.
        from_bodies: set[str] = set()
        for name, unit in self.bodies.chinese.items():
            for placed in (name, *(place + name for place in "市县区")):
                if normalise_text(placed) not in forms:
                    forms[normalise_text(placed)] = [unit]
                    from_bodies.add(normalise_text(placed))
        for name in self.bodies.elsewhere:
            if _CJK.match(name):
                for placed in (name, *(place + name for place in "市县区")):
                    forms.setdefault(normalise_text(placed), [])
        for alias, unit in self.aliases.items():
            if normalise_text(alias) in from_bodies or forms.get(normalise_text(alias)) == []:
                forms[normalise_text(alias)] = []
            forms.setdefault(normalise_text(alias), [])
            if unit not in forms[normalise_text(alias)]:
                forms[normalise_text(alias)].append(unit)
        return forms

    def abbreviated_units(self, word: str, minimum: int = 3) -> list[Named]:
        """Return the units `word` abbreviates: 人社局 → 市人力资源社会保障局, 工信局, 卫健委.

        An abbreviation keeps the first character of the name (after 市), its last character
        (the 局 or 委), and some of the characters between, in order.
        """
        if len(word) < minimum or word[-1] not in UNIT_END_CHARS:
            return []
        found = []
        for unit in self.units:
            core = unit.name[1:] if unit.name.startswith("市") else unit.name
            if core[0] == word[0] and core[-1] == word[-1] and is_subsequence(word, core):
                found.append(unit)
        return found

    @cached_property
    def bodies(self) -> BodyNames:
        """Return the other names of the units' bodies (bodies.toml), made once."""
        return body_names(self.units)

    @cached_property
    def english_units(self) -> list[tuple[re.Pattern[str], list[Named]]]:
        """Return the English names of bodies as whole-word patterns, longest first.

        A body that is not in the plan names no unit (an empty list): never another unit.
        """
        names: dict[str, list[Named]] = {n: [u] for n, u in self.bodies.english.items()}
        for name in self.bodies.elsewhere:
            if not _CJK.search(name):
                names.setdefault(name, [])
        return [
            (re.compile(rf"(?<![a-z]){re.escape(name)}(?![a-z])"), names[name])
            for name in sorted(names, key=len, reverse=True)
        ]

    @cached_property
    def pinyin(self) -> PinyinNames:
        """Return the leaders by their names in pinyin (Wang Changhua, Mayor Cao), made once."""
        return PinyinNames(self.leaders, reserved_words())

    @cached_property
    def spaced_leaders(self) -> list[tuple[re.Pattern[str], str]]:
        """Return each leader's name as a pattern allowing spaces inside it (曹 临), made once."""
        found = []
        for leader in self.leaders:
            name = normalise_text(leader.name)
            found.append((re.compile(r"\s*".join(map(re.escape, name))), name))
        return found

    @cached_property
    def segmenter(self) -> _Segmenter:
        """Return the segmenter of these names, made once (the vocabulary never changes)."""
        return _Segmenter(self)

    def prepare(self) -> None:
        """Make the segmenter and the pinyin names now, not on the first question."""
        self.segmenter  # noqa: B018
        self.pinyin  # noqa: B018

    def leaders_by_title(self, word: str) -> list[Named] | None:
        """Return the leaders a surname or a given name with a title names (王副市长, 昌华市长),
        or None if the word is not such."""
        for title in LEADER_TITLES:
            if len(word) == 1 + len(title) and word.endswith(title):
                return [leader for leader in self.leaders if leader.name.startswith(word[0])]
            given = word[: -len(title)]
            if word.endswith(title) and len(given) == 2:
                found = [p for p in self.leaders if len(p.name) == 3 and p.name[1:] == given]
                if found:
                    return found
        return None


class _Segmenter:
    """Finds the known names and words inside text written without spaces."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.leaders = {normalise_text(p.name): p for p in vocabulary.leaders}
        self.units = vocabulary.unit_forms()
        # Two-character names known only from bodies.toml count only where a word starts:
        # 卫建委 is a typo of 卫健委, not 卫 and 建委 (the former 住建局).
        own = {normalise_text(a) for a in vocabulary.aliases} | {
            normalise_text(n) for u in vocabulary.units for n in (u.name, u.name[1:])
        }
        bodies = vocabulary.bodies
        self.body_only = {
            normalise_text(n) for n in (*bodies.chinese, *bodies.elsewhere) if _CJK.match(n)
        } - own
        # Names longer than MAX_SEGMENT are found only as a whole word: looking for them at
        # every position of a long question would take time that grows with both.
        words = [*self.leaders, *self.units, *STATUS_WORDS, *STATUS_QUESTIONS]
        self.longest = min(MAX_SEGMENT, max([len(w) for w in words] + [4]))

    def match_at(
        self, text: str, start: int, *, inside: bool = False
    ) -> tuple[int, str, object] | None:
        """Return (length, kind, value) of the longest known word starting at `start`.

        `inside`: the position is within a word (after characters that named nothing).
        """
        for length in range(min(self.longest, len(text) - start), 1, -1):
            word = text[start : start + length]
            if inside and len(word) <= 2 and word in self.body_only:
                continue
            if word in self.leaders:
                return length, "leader", [self.leaders[word]]
            by_title = self.vocabulary.leaders_by_title(word)
            # 李市长 with no leader 李 is said back as unplaced; 副市长 after a name is a title.
            if by_title or (by_title == [] and not inside and word[0] not in TITLE_CHARS):
                return length, "leader", by_title
            if word in STATUS_QUESTIONS or word in ASKING:  # 是否按计划完成, 有没有: no filter
                return length, "filler", word
            if word in STATUS_WORDS and _CJK.match(word):
                return length, "status", STATUS_WORDS[word]
            if word in self.units and self._ends_like_a_unit(word):
                return length, "unit", self.units[word]
            abbreviated = self.vocabulary.abbreviated_units(word)
            if abbreviated:
                return length, "unit", abbreviated
        return None

    def _ends_like_a_unit(self, word: str) -> bool:
        # 医保 is a word of many targets, 医保局 is the unit: a bare stem stays a keyword.
        return (
            word[-1] in UNIT_END_CHARS
            or word in self.vocabulary.aliases
            or word in self.vocabulary.bodies.chinese
            or len(word) >= 5
        )


def parse_query(
    text: str,
    vocabulary: Vocabulary,
    *,
    plan_year: int,
    is_known_word: Callable[[str, bool], bool],
) -> ParsedQuery:
    """Read a question: numbers, period, deadline, status, leaders, units, then keywords.

    `is_known_word(word, exactly)` tells whether a word occurs in any target's text (exactly,
    or nearly); a word that does not, and is not a leader or unit mistyped, is reported back
    as unplaced.
    """
    query = ParsedQuery(text=text)
    rest = normalise_text(text).replace("\ufe0f", "")  # ⚪️ is ⚪
    if re.search(r"\s", rest):  # 曹 临 → 曹临: tables and people put spaces in short names
        for spaced, name in vocabulary.spaced_leaders:
            rest = spaced.sub(name, rest)

    def take(pattern: re.Pattern[str], handle: Callable[[re.Match[str]], None]) -> None:
        nonlocal rest
        for m in list(pattern.finditer(rest)):
            handle(m)
        rest = pattern.sub(" ", rest)

    for kind, words in (("thanks", THANKS_WORDS), ("greeting", GREETING_WORDS)):
        for word in words:
            pattern = re.compile(rf"(?<![a-z]){re.escape(word)}(?![a-z])")
            if pattern.search(rest):
                query.courtesy = query.courtesy or kind
                rest = pattern.sub(" ", rest)
    if _MINE.search(rest):
        query.mine = True
        rest = _MINE.sub(" ", rest)
    take(_LABEL, lambda m: _set_label(query, m))
    take(_NUMBER, lambda m: _set_number(query, m))
    take(_CN_NUMBER, lambda m: _set_cn_number(query, m))
    take(_PERIOD, lambda m: _set_period(query, m, plan_year))
    take(_EN_MONTH_END, lambda m: _set_english_deadline(query, m, plan_year))
    take(_MONTH_END, lambda m: _set_deadline(query, m.group(0), plan_year))
    take(_YEAR_END, lambda m: _set_deadline(query, m.group(0), plan_year))
    take(_ONGOING, lambda m: _set_deadline(query, m.group(0), plan_year))
    for phrase in THIS_MONTH_WORDS:
        if phrase in rest:
            query.deadline = DeadlineFilter(phrase, this_month=True)
            rest = rest.replace(phrase, " ")
    # Latin status phrases by whole words, longest first ("behind schedule" before "behind").
    for phrase in sorted((w for w in STATUS_WORDS if not _CJK.search(w)), key=len, reverse=True):
        pattern = re.compile(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])")
        if pattern.search(rest):
            _status(query, phrase, STATUS_WORDS[phrase])
            rest = pattern.sub(" ", rest)

    # English names of bodies by whole words (water bureau → 市水务局), longest first.
    for pattern, found in vocabulary.english_units if re.search("[a-z]", rest) else ():
        m = pattern.search(rest)
        if m:
            _place(query, m.group(0), ("unit", list(found)))
            rest = pattern.sub(" ", rest)
    # English leaders by pinyin, the plan's words in English (glossary.toml), fillers.
    if re.search("[a-z]", rest):
        english = read_english(rest, vocabulary.pinyin)
        for word, leaders in english.leaders:
            _place(query, word, ("leader", leaders))
        for word, keyword in english.keywords:
            _keyword(query, keyword, word)
        rest = english.rest

    segmenter = vocabulary.segmenter
    for token in _SPLIT.split(rest):
        if not token or token in STOP_WORDS or (_CJK.match(token) and is_filler(token)):
            continue
        if token in ("我", "我们"):
            query.mine = True
            continue
        if token in ACK_WORDS:
            query.courtesy = query.courtesy or "ack"
            continue
        if token in STATUS_TOKENS:
            _status(query, token, STATUS_TOKENS[token])
            continue
        _read_token(token, query, segmenter, vocabulary, is_known_word)
    # A word asked twice is one filter (and is echoed once).
    query.statuses = list(dict.fromkeys(query.statuses))
    query.numbers = list(dict.fromkeys(query.numbers))
    query.keywords = list(dict.fromkeys(query.keywords))
    query.unplaced = list(dict.fromkeys(query.unplaced))
    ambiguous: dict[tuple[str, str], Ambiguity] = {}
    for ambiguity in query.ambiguous:
        ambiguous.setdefault((ambiguity.kind, ambiguity.word), ambiguity)
    query.ambiguous = list(ambiguous.values())[:MAX_AMBIGUOUS]
    return query


def _read_token(
    token: str,
    query: ParsedQuery,
    segmenter: _Segmenter,
    vocabulary: Vocabulary,
    is_known_word: Callable[[str, bool], bool],
) -> None:
    """Split one space-free token into known words and keywords."""
    whole = _known_name(token, segmenter)
    if whole is not None:
        _place(query, token, whole)
        return
    leftover = ""
    position = 0
    while position < len(token):
        found = (
            segmenter.match_at(token, position, inside=bool(leftover))
            if _CJK.match(token[position])
            else None
        )
        if found is None:
            leftover += token[position]
            position += 1
            continue
        _word(leftover, query, segmenter, vocabulary, is_known_word)
        leftover = ""
        length, kind, value = found
        _place(query, token[position : position + length], (kind, value))
        position += length
    _word(leftover, query, segmenter, vocabulary, is_known_word)


def _known_name(token: str, segmenter: _Segmenter) -> tuple[str, object] | None:
    """Return what a whole token names, if it is a leader, unit or status word."""
    found = segmenter.match_at(token, 0) if len(token) >= 2 else None
    if found is not None and found[0] == len(token):
        return found[1], found[2]
    if token in segmenter.units:
        return "unit", segmenter.units[token]
    return None


def _place(query: ParsedQuery, word: str, found: tuple[str, object], sure: bool = True) -> None:
    """Take what a word names; one that is not sure, or names several, is offered to choose."""
    kind, value = found
    if kind == "filler":
        return
    if kind == "status":
        assert isinstance(value, str)
        _status(query, word, value)
        return
    assert isinstance(value, list)
    if len(value) == 1 and sure:
        _add(query.leaders if kind == "leader" else query.units, value)
        query.took(word, kind, value[0].name)
    elif value:
        query.ambiguous.append(Ambiguity(kind, word, tuple(value)))
    else:
        query.unplaced.append(word)
        if kind == "unit":  # 自规局 where the plan has no 自然资源和规划局: said so plainly
            query.not_in_plan.append(word)


def _word(
    word: str,
    query: ParsedQuery,
    segmenter: _Segmenter,
    vocabulary: Vocabulary,
    is_known_word: Callable[[str, bool], bool],
) -> None:
    """Decide what a leftover word is: a keyword, a typo of a name, words of a sentence
    (分管的医保工作 → 医保), or unplaced."""
    word = _strip_fillers(word.strip())
    if not word or is_filler(word) or word in PLACE_CHARS:  # 市 of 市教育局: no keyword
        return
    units = [
        u
        for u in vocabulary.units
        if len(word) >= 2 and word[-1] in UNIT_END_CHARS and word in u.name
    ]
    if units:  # 县人民政府: part of unit names, not a word of the targets' texts
        _place(query, word, ("unit", units))
        return
    if is_known_word(word, True):
        _keyword(query, word)
        return
    # 新华镇, 新民街道: a name of a place or body the plan lacks, not the keyword 新华.
    unit_like = word.endswith(UNIT_ENDINGS)
    pieces = words_of(word) if _CJK.search(word) and len(word) > 2 and not unit_like else [word]
    sentence = "".join(pieces) != word  # the dictionary found fillers inside: 分管的医保
    if not sentence:
        typo = _typo_of_name(word, vocabulary)
        if typo is not None:
            _place(query, word, typo[:2], sure=typo[2])
            return
    if (len(pieces) == 1 and not sentence) or len(pieces) > MAX_SENTENCE_WORDS:
        _single(word, query, is_known_word)
        return
    # The words of a sentence: each a keyword, a name, or unknown. A split that finds nothing
    # (苹果000桃桃桃) is no sentence: the word is taken whole, as typed.
    found: list[tuple[str, tuple[str, object] | None, bool]] = []
    unknown: list[str] = []
    for group in _groups(pieces, is_known_word):
        if len(group) < 2 and _CJK.match(group):
            continue  # one character the dictionary split off (局, 做) asks for nothing
        if _CJK.search(group) and is_known_word(group, True):  # 教育: a word of targets
            found.append((group, None, True))
            continue
        named = _known_name(group, segmenter)
        typo = None if named else _typo_of_name(group, vocabulary)
        if named is not None:
            found.append((group, named, True))
        elif typo is not None:
            found.append((group, typo[:2], typo[2]))
        else:
            unknown.append(group)
    if not found:
        _single(word, query, is_known_word)
        return
    for group, named, sure in found:
        if named is None:
            _keyword(query, group)
        else:
            _place(query, group, named, sure=sure)
    query.unplaced.extend(unknown)


def _groups(pieces: list[str], is_known_word: Callable[[str, bool], bool]) -> list[str]:
    """Join neighbouring words back where the plan has them together (空气/质量 → 空气质量)."""
    groups: list[str] = []
    start = 0
    while start < len(pieces):
        end = len(pieces)
        while end > start + 1 and not is_known_word("".join(pieces[start:end]), True):
            end -= 1
        groups.append("".join(pieces[start:end]))
        start = end
    return groups


def _single(word: str, query: ParsedQuery, is_known_word: Callable[[str, bool], bool]) -> None:
    """Take one word that names nothing: a keyword (exactly or nearly), or unplaced."""
    if is_known_word(word, True) or is_known_word(word, False):
        _keyword(query, word)  # near a word of some target: a typo of a keyword
    elif len(word) >= 2:
        query.unplaced.append(word)


def _status(query: ParsedQuery, word: str, status: str) -> None:
    """Add a status, or the statuses a word stands for (没有完成: behind or overdue)."""
    for each in STATUS_GROUPS.get(status, (status,)):
        query.statuses.append(each)
        query.took(word, "status", each)


def _keyword(query: ParsedQuery, word: str, typed: str | None = None) -> None:
    """Add a keyword, recording the word typed for it (an English word for a Chinese one)."""
    query.keywords.append(word)
    query.took(typed or word, "keyword", word)


# Fillers taken off the ends of a leftover word; one character only if the parser always
# dropped it (的, 了): 中, 上, 有 end many real words.
_CJK_FILLERS = sorted(
    {w for w in STOP_WORDS if _CJK.match(w)} | {w for w in FILLERS if len(w) >= 2},
    key=len,
    reverse=True,
)


def _strip_fillers(word: str) -> str:
    """Take filler words off both ends: 的目标 → "", 王昌华的 → 王昌华."""
    changed = True
    while word and changed:
        changed = False
        for filler in _CJK_FILLERS:
            if word == filler:
                return ""
            if word.startswith(filler) or word.endswith(filler):
                word = word[len(filler) :] if word.startswith(filler) else word[: -len(filler)]
                changed = True
                break
    return word


def _typo_of_name(word: str, vocabulary: Vocabulary) -> tuple[str, list[Named], bool] | None:
    """Return the leader or units a mistyped or partial word means, and whether for sure.

    Sure: a typo that sounds like the name (王长华 → 王昌华, 公信局 → 工信局, 卫建委 → 卫健委),
    or part of unit names (县人民政府: all of them, to choose). A word only near a name
    (王昌明, 林业局 for 农业局) may be another person or body: it is offered, never taken.
    """
    if not _CJK.search(word):
        return None
    if 2 <= len(word) <= 4:
        alike = [p for p in vocabulary.leaders if sounds_alike(word, p.name)]
        if alike:
            return "leader", alike, True
        leader = clear_best(normalise_name(word), list(vocabulary.leaders), 60)
        # Same surname, same length, one character off: 曹磊 → 曹临?
        near = [
            person
            for person in vocabulary.leaders
            if len(person.name) == len(word)
            and person.name[0] == word[0]
            and sum(a != b for a, b in zip(person.name, word, strict=True)) == 1
        ]
        if leader is None and len(near) == 1:
            leader = near[0]
        if leader is not None:
            return "leader", [leader], False
    forms = vocabulary.segmenter.units
    # A body's name without its 局 or 委, where no target says it: 教育工作 is the 教育局's.
    for end in ("局", "委", "办"):
        if forms.get(word + end):
            return "unit", forms[word + end], True
    if word[-1] in UNIT_END_CHARS:
        containing = [unit for unit in vocabulary.units if word in unit.name]
        if containing:
            return "unit", containing, True
        # One wrong character inside an abbreviation: 卫建委 → 卫健委 → 市卫生健康委.
        found: list[Named] = []
        for i in range(1, len(word) - 1):
            _add(found, vocabulary.abbreviated_units(word[:i] + word[i + 1 :], minimum=2))
        if len(found) == 1:
            return "unit", found, _sounds_like_a_form(word, found[0], forms)
    alike_units: list[Named] = []
    for form, units in forms.items():
        if sounds_alike(word, form):
            _add(alike_units, units)
    if len(alike_units) == 1:
        return "unit", alike_units, True
    named = [Named(unit.id, form) for form, units in forms.items() for unit in units]
    best = clear_best(normalise_name(word), named, 60)
    if best is not None:
        unit = next(u for u in vocabulary.units if u.id == best.id)
        return "unit", [unit], False
    return None


def _sounds_like_a_form(word: str, unit: Named, forms: dict[str, list[Named]]) -> bool:
    """Tell whether a word sounds like one of the names of a unit (卫建委 like 卫健委)."""
    return any(unit in units and sounds_alike(word, form) for form, units in forms.items())


def number_alone(text: str) -> int | None:
    """Return the target number a text names and nothing else (90, #90, 90号, #90号, 第90,
    第90项, 第90条); None otherwise, or when it is too long to be any target's number."""
    label = _LABEL_ALONE.fullmatch(text.strip())
    if label is not None and int(label.group(2)) < SECTION_FACTOR:
        return int(label.group(1)) * SECTION_FACTOR + int(label.group(2))
    found = _NUMBER_ALONE.fullmatch(text.strip())
    if found is None or len(found.group(1)) > MAX_NUMBER_DIGITS:
        return None
    return int(found.group(1))


def _set_label(query: ParsedQuery, m: re.Match[str]) -> None:
    """Take a section's target (#2-3, 2-3号): stored as section × 1000 + item."""
    section, item = (int(g) for g in m.groups() if g)
    query.numbers.append(section * SECTION_FACTOR + item)
    query.took(m.group(0), "number", f"#{section}-{item}")


def _set_number(query: ParsedQuery, m: re.Match[str]) -> None:
    """Take a target number; one too long to be any target's is an unplaced word."""
    digits = next(g for g in m.groups() if g)
    if len(digits) > MAX_NUMBER_DIGITS:
        query.unplaced.append(m.group(0).strip())
    else:
        query.numbers.append(int(digits))
        query.took(m.group(0), "number", f"#{int(digits)}")


def _set_cn_number(query: ParsedQuery, m: re.Match[str]) -> None:
    """Take a target number in Chinese numerals: 第十六项, 第三条."""
    number = chinese_number(m.group(1))
    if number is None:
        query.unplaced.append(m.group(0).strip())
    else:
        query.numbers.append(number)
        query.took(m.group(0), "number", f"#{number}")


def _set_period(query: ParsedQuery, m: re.Match[str], plan_year: int) -> None:
    year = int(m.group(1)) if m.group(1) else plan_year
    quarter = m.group(2) or m.group(3) or str("一二三四".index(m.group(4)) + 1)
    query.period = f"{year}Q{quarter}"
    query.took(m.group(0), "period", query.period)


def _set_deadline(query: ParsedQuery, text: str, plan_year: int, said: str | None = None) -> None:
    deadline = parse_deadline(text, plan_year)
    query.deadline = DeadlineFilter(said or text, deadline.due_date, deadline.ongoing)


def _set_english_deadline(query: ParsedQuery, m: re.Match[str], plan_year: int) -> None:
    """Take an English deadline as its Chinese form says it: end of October is 10月底."""
    month = m.group(1) or m.group(2)
    chinese = "年底" if month == "year" else f"{_MONTHS.index(month) + 1}月底"
    _set_deadline(query, chinese, plan_year, said=" ".join(m.group(0).split()))
