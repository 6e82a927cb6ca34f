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
    situation progress update updates
    """.split()  # noqa: SIM905 (a list of words reads better as text)
)
_SEP = r"[\s\-]*"  # between syllables of a name: wang changhua, wangchanghua, chang-hua
_TONE = "[1-5]?"  # wang2 chang1 hua2
_LATIN = re.compile("[a-z]")
_ACCENTED = re.compile("[\u00c0-\u024f\u1e00-\u1eff]")
_POSSESSIVE = re.compile(r"['’]s(?![a-z])|['’]")
_WORD = re.compile(r"(?<![a-z0-9])[a-z]+(?![a-z0-9])")
_CJK_NAME = re.compile(r"[\u3400-\u9fff]{2,6}")
MAX_FORMS = 32  # spellings of one name (ü as v, u or yu; a surname's readings) at most


@dataclass
class EnglishReading:
    """What the English of a question named, and the text left for the Chinese reader."""

    rest: str
    leaders: list[tuple[str, list[Named]]] = field(default_factory=list)  # word → leaders
    keywords: list[tuple[str, str]] = field(default_factory=list)  # word → Chinese keyword


def _spellings(syllable: str) -> list[str]:
    """Return the ways a syllable is typed: ü is v in pypinyin, u or yu on a keyboard."""
    if "v" not in syllable:
        return [syllable]
    return [syllable, syllable.replace("v", "u"), syllable.replace("v", "yu")]


def _letters(text: str) -> str:
    return re.sub("[^a-z]", "", text)


def _syllable_pattern(syllables: Sequence[str]) -> str:
    return _SEP.join(re.escape(s) + _TONE for s in syllables)


class PinyinNames:
    """The leaders of a table by their names in pinyin: full names, and surnames for titles."""

    def __init__(self, leaders: Iterable[Named], reserved: Iterable[str] = ()) -> None:
        reserved = set(reserved)
        self.by_name: dict[str, list[Named]] = {}  # wangchanghua, changhuawang → leaders
        self.by_surname: dict[str, list[Named]] = {}  # wang → leaders
        patterns: dict[str, int] = {}  # regex of a spelling → its letters (longest first)
        for leader in leaders:
            name = re.sub(r"\s+", "", leader.name)
            if not _CJK_NAME.fullmatch(name):
                continue
            surname_length = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
            syllables = lazy_pinyin(name)
            if len(syllables) != len(name):
                continue
            surnames = [syllables[:surname_length]]
            if surname_length == 1:
                surnames += [[r] for r in SURNAME_READINGS.get(name[0], ()) if [r] != surnames[0]]
            given = syllables[surname_length:]
            for surname in surnames:
                for spelling in _spelled(surname):
                    _add(self.by_surname, "".join(spelling), leader)
                for s, g in itertools.islice(
                    itertools.product(_spelled(surname), _spelled(given)), MAX_FORMS
                ):
                    surname_first = _letters("".join(s + g))
                    given_first = _letters("".join(g + s))
                    _add(self.by_name, surname_first, leader)
                    _add(self.by_name, given_first, leader)
                    # Wang Changhua, wangchanghua; Changhua Wang (never changhuawang).
                    joined = _SEP if surname_first not in reserved else r"[\s\-]+"
                    patterns[_syllable_pattern(s) + joined + _syllable_pattern(g)] = len(
                        surname_first
                    )
                    patterns[_syllable_pattern(g) + r"[\s\-]+" + _syllable_pattern(s)] = len(
                        given_first
                    )
        titles = "|".join(re.escape(t).replace(r"\-", r"[\s\-]?") for t in TITLES)
        title = rf"(?:(?:{titles})\.?\s+)"
        ordered = sorted(patterns, key=lambda p: (-patterns[p], p))
        self.names = (
            re.compile(rf"(?<![a-z]){title}?(?P<name>{'|'.join(ordered)})(?![a-z0-9])")
            if ordered
            else None
        )
        spelled = sorted(self.by_surname, key=lambda s: (-len(s), s))
        self.titled = (
            re.compile(
                rf"(?<![a-z]){title}(?P<name>{'|'.join(re.escape(s) for s in spelled)})"
                rf"{_TONE}(?![a-z0-9])"
            )
            if spelled
            else None
        )

    def take(self, text: str, found: list[tuple[str, list[Named]]]) -> str:
        """Append the leaders named in `text` to `found`; return the text without them.

        Tone marks are read past (Wáng Chānghuá); the words are recorded as typed.
        """
        for pattern, table in ((self.names, self.by_name), (self.titled, self.by_surname)):
            if pattern is None:
                continue
            kept = []
            end = 0
            for m in pattern.finditer(_without_tones(text)):
                leaders = table.get(_letters(m.group("name")), [])
                if leaders:
                    found.append((text[m.start() : m.end()], leaders))
                kept += [text[end : m.start()], " "]
                end = m.end()
            text = "".join(kept) + text[end:]
        return text


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

    keywords: dict[str, str]  # english (spaces single, lower case) → Chinese keyword
    pattern: re.Pattern[str]  # every English form, longest first, as whole words


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
    forms = sorted(keywords, key=lambda f: (-len(f), f))
    alternatives = "|".join(r"[\s\-]*".join(map(re.escape, f.split(" "))) for f in forms)
    pattern = re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])")
    return Glossary(keywords, pattern)


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

    Fillers and possessives (`'s`) are dropped; other English words stay in the text for the
    parser (a word of the targets' own texts such as `upc`, or "could not place").
    """
    if not _LATIN.search(text):
        return EnglishReading(text)
    reading = EnglishReading(_POSSESSIVE.sub(" ", text))
    reading.rest = names.take(reading.rest, reading.leaders)
    words = glossary()
    for m in words.pattern.finditer(reading.rest):
        reading.keywords.append((m.group(0), words.keywords[_form(m.group(0))]))
    reading.rest = words.pattern.sub(" ", reading.rest)
    reading.rest = _WORD.sub(lambda m: " " if m.group(0) in FILLERS else m.group(0), reading.rest)
    return reading
