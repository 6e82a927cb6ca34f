"""English in questions: leaders by pinyin, the plan's words (glossary.toml), and fillers.

`Wang Changhua`, `changhua wang`, `caolin`, `Mayor Wang` name leaders: their pinyin is derived
from the names of the imported table (pypinyin), never listed. `employment` is the keyword
就业, `air quality` 空气质量 (glossary.toml). `please`, `show me`, `'s` carry nothing.
English names of government bodies are bodies.toml's and read before this (parse.py).
"""

from __future__ import annotations

import itertools
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from pypinyin import lazy_pinyin

from storage.targets import Named

# Readings a character has as a surname that pypinyin does not give it alone: 曾 is zēng, 单
# shàn, 解 xiè as a surname. Used besides pypinyin's reading, never instead of it.
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "曾": ("zeng",),
    "单": ("shan",),
    "解": ("xie",),
    "区": ("ou",),
    "仇": ("qiu",),
    "朴": ("piao",),
    "查": ("zha",),
    "盖": ("ge",),
    "乐": ("yue", "le"),
    "尉": ("yu",),
    "召": ("shao",),
    "翟": ("zhai",),
    "覃": ("qin",),
    "缪": ("miao",),
    "员": ("yun",),
    "宓": ("fu",),
    "繁": ("po",),
    "种": ("chong",),
    "秘": ("bi",),
    "长": ("chang",),
    "蕃": ("pi",),
    "黑": ("he",),
    "纪": ("ji",),
    "任": ("ren",),
    "沈": ("shen",),
    "柏": ("bai",),
    "薄": ("bo",),
}
# Two-character surnames (欧阳修 is Ouyang Xiu); the rest are of one character.
COMPOUND_SURNAMES = frozenset(
    {"欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "司徒", "夏侯", "令狐"}
)
# English titles before a surname (Mayor Wang, Vice Mayor Cao): like 王市长, a title names the
# leaders of that surname, whatever their office (the table does not say it).
TITLES = (
    "executive vice mayor",
    "executive deputy mayor",
    "vice mayor",
    "vice-mayor",
    "deputy mayor",
    "mayor",
    "secretary-general",
    "secretary general",
    "deputy secretary",
    "party secretary",
    "secretary",
    "comrade",
    "mr",
    "mrs",
    "ms",
    "madam",
)
# English words that carry no filter: question words, courtesies, pronouns, "led by".
# (parse.STOP_WORDS holds the first of them; these are dropped here, before the tokens.)
FILLERS = frozenset(
    """
    a about after again all also am an and any anything are as at be been being by can
    check could current currently dear detail details display do does doing each every
    everything far for from get give going had has have he her here his how i in is it its
    just kindly know latest let like list look looking many may me might much must need now
    of on overview please pls related regarding concerning re see she should show so some
    status still summary tell than that the their them there these they thing things
    this those to under up us view want was we were what when where which who whom whose
    why will with would yet you your
    target targets task tasks goal goals item items work works
    lead leads led leading handle handles handled handling charge responsible responsibility
    situation progress update updates leader leaders official officials
    """.split()  # noqa: SIM905 (a list of words reads better as text)
)
_LATIN = re.compile("[a-z]")
_ACCENTED = re.compile("[\u00c0-\u024f\u1e00-\u1eff]")
_TOKEN = re.compile("['’]s(?![a-z0-9])|['’]|[a-z0-9]+")  # a word, or 's, or an apostrophe
_APOSTROPHES = frozenset({"'s", "’s", "'", "’"})  # the water bureau's targets
_GAP = re.compile(r"[\s\-]+")  # between the words of a name or phrase: spaces or a hyphen
_TITLE_GAP = re.compile(r"\.?[\s\-]+")  # Mr. Cao
# wang2 chang1hua2: tone numbers are read past (written so that no word makes it backtrack).
_SYLLABLES = re.compile("[a-z]+(?:[1-5][a-z]+)*[1-5]?")
_CJK_NAME = re.compile(r"[\u3400-\u9fff]{2,6}")
MIN_JOINED = 5  # letters of a name written as one word (caolin), at least
MAX_FORMS = 32  # spellings of one name (ü as v, u or yu; a surname's readings) at most
_TITLE_WORDS = sorted((tuple(_t.replace("-", " ").split()) for _t in TITLES), key=len, reverse=True)
_TITLE_STARTS = frozenset(title[0] for title in _TITLE_WORDS)


@dataclass
class EnglishReading:
    """What the English of a question named, and the text left for the Chinese reader."""

    rest: str
    leaders: list[tuple[str, list[Named]]] = field(default_factory=list)  # word → leaders
    keywords: list[tuple[str, str]] = field(default_factory=list)  # word → Chinese keyword


@dataclass
class _Words:
    """The Latin words of a text (tone marks taken off) and where each is."""

    text: str
    spans: list[tuple[int, int]]
    words: list[str]
    used: list[bool]

    @classmethod
    def of(cls, text: str) -> _Words:
        plain = _without_tones(text)  # as long as text: places in it are places in text
        spans = [m.span() for m in _TOKEN.finditer(plain)]
        return cls(text, spans, [plain[a:b] for a, b in spans], [False] * len(spans))

    def joined(self, i: int, j: int) -> bool:
        """Tell whether words i..j-1 are free and stand apart only by spaces or hyphens."""
        return not any(self.used[i:j]) and all(
            _GAP.fullmatch(self.text, self.spans[k][1], self.spans[k + 1][0])
            for k in range(i, j - 1)
        )

    def take(self, i: int, j: int) -> str:
        """Mark words i..j-1 as read; return them as typed."""
        self.used[i:j] = [True] * (j - i)
        return self.text[self.spans[i][0] : self.spans[j - 1][1]]

    def rest(self) -> str:
        """Return the text without the words read."""
        kept, end = [], 0
        for (start, stop), used in zip(self.spans, self.used, strict=True):
            if used:
                kept += [self.text[end:start], " "]
                end = stop
        return "".join(kept) + self.text[end:]


def _spellings(syllable: str) -> list[str]:
    """Return the ways a syllable is typed: ü is v in pypinyin, u or yu on a keyboard."""
    if "v" not in syllable:
        return [syllable]
    return [syllable, syllable.replace("v", "u"), syllable.replace("v", "yu")]


class PinyinNames:
    """The leaders of a table by their names in pinyin: full names, and surnames for titles."""

    def __init__(self, leaders: Iterable[Named], reserved: Iterable[str] = ()) -> None:
        reserved = set(reserved)
        self.one_word: dict[str, list[Named]] = {}  # wangchanghua, caolin → leaders
        self.words: dict[str, list[Named]] = {}  # wang changhua, changhua wang, lin cao → …
        self.surnames: dict[str, list[Named]] = {}  # wang → leaders (Mayor Wang)
        self.longest = 1  # syllables of the longest name
        for leader in leaders:
            surnames, given = _readings(leader.name)
            for surname in surnames:
                self.longest = max(self.longest, len(surname) + len(given))
                for spelling in _spelled(surname):
                    _add(self.surnames, "".join(spelling), leader)
                for s, g in itertools.islice(
                    itertools.product(_spelled(surname), _spelled(given)), MAX_FORMS
                ):
                    # Wang Changhua, wangchanghua; Changhua Wang (never changhuawang). Written
                    # as one word, a short name could be an English word (马可: make): not so.
                    surname_first, given_first = "".join(s + g), "".join(g + s)
                    _add(self.words, surname_first, leader)
                    _add(self.words, given_first, leader)
                    if len(surname_first) >= MIN_JOINED and surname_first not in reserved:
                        _add(self.one_word, surname_first, leader)

    def match(self, words: _Words, i: int) -> tuple[int, list[Named]] | None:
        """Return where the leader's name starting at word i ends, and the leaders it names."""
        title = _title_at(words, i)
        start = i + title
        if title and not (
            start < len(words.words)
            and not words.used[start]
            and _TITLE_GAP.fullmatch(words.text, words.spans[start - 1][1], words.spans[start][0])
        ):
            return None  # a title not followed by a name: not a leader
        for end in range(min(len(words.words), start + self.longest), start, -1):
            if not words.joined(start, end):
                continue
            parts = words.words[start:end]
            if not all(_SYLLABLES.fullmatch(p) for p in parts):
                continue
            key = re.sub("[1-5]", "", "".join(parts))
            found = self.one_word.get(key) if end - start == 1 else self.words.get(key)
            if found:
                return end, found
        if title and start < len(words.words):
            found = self.surnames.get(re.sub("[1-5]", "", words.words[start]))
            if found:
                return start + 1, found
        return None


def _title_at(words: _Words, i: int) -> int:
    """Return how many words of a title (vice mayor) start at word i: 0 if none."""
    if words.words[i] not in _TITLE_STARTS:
        return 0
    for title in _TITLE_WORDS:
        end = i + len(title)
        if tuple(words.words[i:end]) == title and words.joined(i, end):
            return len(title)
    return 0


def _readings(name: str) -> tuple[list[list[str]], list[str]]:
    """Return the readings of a name's surname, and its given name, in syllables.

    曾华 → ([["ceng"], ["zeng"]], ["hua"]); 欧阳明 → ([["ou", "yang"]], ["ming"]). A name that
    is not all Chinese characters has none.
    """
    name = re.sub(r"\s+", "", name)
    syllables = lazy_pinyin(name)
    if not _CJK_NAME.fullmatch(name) or len(syllables) != len(name):
        return [], []
    length = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    surnames = [syllables[:length]]
    if length == 1:
        surnames += [[r] for r in SURNAME_READINGS.get(name[0], ()) if r != syllables[0]]
    return surnames, syllables[length:]


def _spelled(syllables: Sequence[str]) -> list[list[str]]:
    """Return every spelling of a run of syllables (each ü three ways)."""
    return [list(p) for p in itertools.product(*(_spellings(s) for s in syllables))]


def _add(table: dict[str, list[Named]], key: str, leader: Named) -> None:
    found = table.setdefault(key, [])
    if leader not in found:
        found.append(leader)


@dataclass(frozen=True)
class Glossary:
    """English words and phrases of the plan (glossary.toml) and the Chinese keyword of each."""

    keywords: dict[str, str]  # english (words apart by one space) → Chinese keyword
    longest: int  # words of the longest phrase


def plural(word: str) -> str:
    """Return the regular English plural of a word or of a phrase's last word."""
    if re.search("[^aeiou]y$", word):
        return word[:-1] + "ies"
    if re.search("(?:s|x|z|ch|sh)$", word):
        return word + "es"
    return word + "s"


def _form(text: str) -> str:
    """Return an English form as compared: lower case, one space for spaces and hyphens."""
    return " ".join(re.split(r"[\s\-]+", text.strip().lower()))


@cache
def glossary() -> Glossary:
    """Return the package's glossary (glossary.toml), read once.

    An English word listed under two keywords is refused: a question would mean either.
    """
    text = resources.files("bot.query").joinpath("glossary.toml").read_text(encoding="utf-8")
    keywords: dict[str, str] = {}
    for keyword, words in tomllib.loads(text).items():
        chinese = unicodedata.normalize("NFKC", keyword).lower()
        for word in words:
            form = _form(word)
            if keywords.get(form, chinese) != chinese:
                raise ValueError(f"glossary.toml: {word!r} is under {keywords[form]} and {keyword}")
            keywords[form] = chinese
    for form, chinese in list(keywords.items()):
        keywords.setdefault(_form(plural(form)), chinese)  # a listed word wins over a plural
    return Glossary(keywords, max(len(f.split(" ")) for f in keywords))


def reserved_words() -> frozenset[str]:
    """Return English words a leader's name written without spaces must not be taken for."""
    return FILLERS | {f for f in glossary().keywords if " " not in f}


def _without_tones(text: str) -> str:
    """Return text with the marks taken off Latin letters: wáng chānghuá → wang changhua.

    Each character stays one character, so that places in the result are places in `text`.
    """
    if not _ACCENTED.search(text):
        return text
    return "".join(_base_letter(ch) if _ACCENTED.match(ch) else ch for ch in text)


def _base_letter(ch: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    return base if len(base) == 1 else ch


def read_english(text: str, names: PinyinNames) -> EnglishReading:
    """Take leaders by pinyin and the glossary's words out of a normalised question.

    Words are whole words, longest first. Fillers and possessives (`'s`) are dropped; other
    English words stay in the text for the parser (a word of the targets' own texts such as
    `upc`, or "could not place").
    """
    if not _LATIN.search(text):
        return EnglishReading(text)
    words = _Words.of(text)
    reading = EnglishReading(text)
    count = len(words.words)
    for i in range(count):
        found = None if words.used[i] else names.match(words, i)
        if found is not None:
            reading.leaders.append((words.take(i, found[0]), found[1]))
    table = glossary()
    for i in range(count):
        for end in range(min(count, i + table.longest), i, -1):
            keyword = table.keywords.get(" ".join(words.words[i:end]))
            if keyword is not None and words.joined(i, end):
                reading.keywords.append((words.take(i, end), keyword))
                break
    for i, word in enumerate(words.words):
        if (word in FILLERS or word in _APOSTROPHES) and not words.used[i]:
            words.take(i, i + 1)
    reading.rest = words.rest()
    return reading
