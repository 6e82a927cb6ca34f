"""The keyword index of a plan: which targets a word finds, exactly or nearly.

A character-bigram index finds keywords without reading every text, so two-character Chinese
words (医保, 就业) are found exactly and fast. It knows targets only by their position and
their texts, which it reads through the search's `Texts` when it needs them; what a target
is, and how a search ranks, is the search's business.

It keeps no copy of the texts: at 100k targets their normalised copies took 30 MB. A longer
word is looked for in the texts that have all its bigrams, as written first (the word is
normalised, and so is nearly every text that holds it) and normalised where that fails.
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain

from rapidfuzz import fuzz

from bot.query.parse import normalise_text

CONTENT_SCORE = 3.0
PROGRESS_SCORE = 1.0
FUZZY_SCORE = 0.5
FUZZY_CUTOFF = 80.0
WORD_CACHE = 512  # keyword lookups remembered per index (forgotten on any change)
CACHE_ENTRIES = 1_000_000  # targets remembered across those lookups at most (4 bytes each)


BLOCK = 1 << 16  # targets per block of a posting: an index within one fits in 2 bytes


class Posting(Collection[int]):
    """The targets a bigram leads to, 2 bytes each: per block of 65,536 targets an array of
    their places in it (at 100k targets 9 million entries: 18 MB instead of 36)."""

    __slots__ = ("_blocks",)

    def __init__(self, targets: Iterable[int] = ()) -> None:
        self._blocks: list[array[int]] = []
        for target in targets:
            self.add(target)

    def add(self, target: int) -> None:
        block, place = divmod(target, BLOCK)
        while len(self._blocks) <= block:
            self._blocks.append(array("H"))
        self._blocks[block].append(place)

    def put(self, block: int, places: array[int]) -> None:
        """Take in the places of a block after the last one it has."""
        while len(self._blocks) < block:
            self._blocks.append(array("H"))
        self._blocks.append(places)

    def remove(self, target: int) -> None:
        block, place = divmod(target, BLOCK)
        self._blocks[block].remove(place)

    def __len__(self) -> int:
        return sum(len(places) for places in self._blocks)

    def __contains__(self, target: object) -> bool:
        if not isinstance(target, int):
            return False
        block, place = divmod(target, BLOCK)
        return 0 <= block < len(self._blocks) and place in self._blocks[block]

    def __iter__(self) -> Iterator[int]:
        return chain.from_iterable(
            map((block * BLOCK).__add__, places) if block else places
            for block, places in enumerate(self._blocks)
        )


NO_POSTING = Posting()


def bigrams(text: str) -> set[str]:
    """Return the pairs of neighbouring characters of a text."""
    return {text[i : i + 2] for i in range(len(text) - 1)}


# Chinese characters, which normalising leaves as they are; and the characters that normalise
# into them (Kangxi radicals ⾦, compatibility ideographs, ㈠ ㊀ ㋀ ㍻ 〸 and the like).
_IDEOGRAPHS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002f7ff\U00030000-\U0003ffff]+")
_BECOME_IDEOGRAPHS = re.compile(
    r"[\u2e80-\u2fdf\u3038-\u303a\u3200-\u33ff\uf900-\ufaff\U0001f200-\U0001f2ff\U0002f800-\U0002fa1f]"
)


def plain(word: str) -> bool:
    """Tell whether a normalised word is Chinese characters only (most keywords are)."""
    return _IDEOGRAPHS.fullmatch(word) is not None


def holds(text: str, word: str, is_plain: bool) -> bool:
    """Tell whether a text, once normalised, holds a normalised word.

    A word of Chinese characters only is in the normalised text exactly where it is in the
    text as written, unless the text has characters that normalise into Chinese ones: then
    the text need not be normalised (a thousand candidates cost 6 ms less).
    """
    if is_plain and _BECOME_IDEOGRAPHS.search(text) is None:
        return word in text
    return word in normalise_text(text)


@dataclass(frozen=True)
class Texts:
    """How the keyword index reads a target's texts, as stored (not normalised).

    `content` is a target's own text; `known_by` what else it is known by (its latest progress
    texts and its units' names), one text each.
    """

    count: Callable[[], int]
    content: Callable[[int], str]
    known_by: Callable[[int], Sequence[str]]

    def progress(self, target: int) -> str:
        """Return what else a target is known by as one normalised text, a line each."""
        return normalise_text("\n".join(self.known_by(target)))


@dataclass
class KeywordIndex:
    """The bigrams of every target's texts, and the targets they lead to."""

    texts: Texts
    # Each target once per bigram: under its content's, else under what it is known by.
    content_postings: dict[str, Posting]  # bigram → targets whose own content has it
    known_postings: dict[str, Posting]  # bigram → targets only their progress leads to
    short: set[int]  # targets whose content or progress is shorter than two characters
    # Remembered lookups, in arrays: sets of common words at 100k targets took 1 MB a word.
    _words: dict[str, tuple[array[int], array[int]]] = field(default_factory=dict)
    _remembered: int = 0  # targets in them

    @classmethod
    def build(cls, texts: Texts) -> KeywordIndex:
        """Index the targets' texts: each one's own content, and what else it is known by."""
        in_content: dict[str, Posting] = {}
        known: dict[str, Posting] = {}
        short: set[int] = set()
        count = texts.count()
        for start in range(0, count, BLOCK):  # a block of targets at a time
            block_own: dict[str, array[int]] = {}
            block_known: dict[str, array[int]] = {}
            for index in range(start, min(count, start + BLOCK)):
                content = normalise_text(texts.content(index))
                progress = texts.progress(index)
                if len(content) < 2 or len(progress) < 2:
                    short.add(index)
                own = bigrams(content)
                place = index - start
                for gram in own:
                    block_own.setdefault(gram, array("H")).append(place)
                for gram in bigrams(progress) - own:
                    block_known.setdefault(gram, array("H")).append(place)
            for found, block in ((in_content, block_own), (known, block_known)):
                for gram, places in block.items():
                    found.setdefault(gram, Posting()).put(start // BLOCK, places)
        return cls(texts, in_content, known, short)

    @property
    def contents(self) -> list[str]:
        """Return the normalised content of every target (worked out: for tests, benchmarks)."""
        return [normalise_text(self.texts.content(i)) for i in range(self.texts.count())]

    @property
    def progresses(self) -> list[str]:
        """Return the normalised progress text of every target (worked out, as `contents`)."""
        return [self.texts.progress(i) for i in range(self.texts.count())]

    def _holding(self, candidates: Iterable[int], word: str, *, own: bool) -> set[int]:
        """Return the candidates whose content (`own`), or else what they are known by, holds
        a normalised word."""
        is_plain = plain(word)
        if own:
            content = self.texts.content
            return {i for i in candidates if holds(content(i), word, is_plain)}
        known_by = self.texts.known_by
        return {i for i in candidates if any(holds(t, word, is_plain) for t in known_by(i))}

    def targets_of(self, gram: str) -> set[int]:
        """Return the targets whose content or progress has a bigram."""
        return set(self.content_postings.get(gram, ())).union(self.known_postings.get(gram, ()))

    def _spread(self, gram: str) -> int:
        """Return how many targets a bigram leads to."""
        return len(self.content_postings.get(gram, ())) + len(self.known_postings.get(gram, ()))

    def _exact(self, word: str) -> tuple[Collection[int], Collection[int]]:
        """Return the targets whose text contains `word`, and those whose own content does."""
        if len(word) == 2:  # a word of two characters is its own bigram: no reading needed
            own = self.content_postings.get(word, NO_POSTING)
            return set(own).union(self.known_postings.get(word, ())), own
        cached = self._words.get(word)
        if cached is not None:
            return cached
        if not word:
            found = in_content = set(range(self.texts.count()))
        elif len(word) == 1:  # in every bigram that holds the character, or a text shorter
            in_content = _union(p for gram, p in self.content_postings.items() if word in gram)
            found = in_content | _union(
                p for gram, p in self.known_postings.items() if word in gram
            )
            in_content |= self._holding(self.short, word, own=True)
            found |= in_content | self._holding(self.short, word, own=False)
        else:
            # Read only the texts that have every bigram of the word.
            grams = sorted(bigrams(word), key=self._spread)
            candidates = self.targets_of(grams[0])
            for gram in grams[1:]:
                if not candidates:
                    break
                candidates.intersection_update(self.targets_of(gram))
            in_content = self._holding(candidates, word, own=True)
            found = in_content | self._holding(candidates - in_content, word, own=False)
        remembered = array("i", found), array("i", in_content)
        size = len(found) + len(in_content)
        if len(self._words) >= WORD_CACHE or self._remembered + size > CACHE_ENTRIES:
            self.forget()
        self._words[word] = remembered
        self._remembered += size
        return remembered

    def _fuzzy(self, word: str) -> set[int]:
        """Return the targets with a near match of a longer word (typos), if it has none exact."""
        grams = bigrams(word)
        if len(word) < 4 or not grams:  # shorter words with a typo could be anything
            return set()
        counts: Counter[int] = Counter()
        for gram in grams:
            counts.update(self.content_postings.get(gram, ()))
            counts.update(self.known_postings.get(gram, ()))
        needed = math.ceil(len(grams) / 2)
        return {
            i
            for i, n in counts.items()
            if n >= needed
            and max(
                fuzz.partial_ratio(word, normalise_text(self.texts.content(i))),
                fuzz.partial_ratio(word, self.texts.progress(i)),
            )
            >= FUZZY_CUTOFF
        }

    def find(self, word: str) -> dict[int, float]:
        """Return the targets a keyword finds with their scores: own text, progress, or near."""
        word = normalise_text(word)
        found, in_content = self._exact(word)
        if found:
            scores = dict.fromkeys(found, PROGRESS_SCORE)
            scores.update(dict.fromkeys(in_content, CONTENT_SCORE))
            return scores
        return dict.fromkeys(self._fuzzy(word), FUZZY_SCORE)

    def update(self, target: int, old: str, progress: str) -> None:
        """Take a target's new normalised progress text in, given its old one (its content does
        not change)."""
        if old == progress:
            return
        content = normalise_text(self.texts.content(target))
        own = bigrams(content)
        before, after = bigrams(old) - own, bigrams(progress) - own
        for gram in before - after:
            postings = self.known_postings[gram]
            postings.remove(target)
            if not postings:
                del self.known_postings[gram]
        for gram in after - before:
            self.known_postings.setdefault(gram, Posting()).add(target)
        if len(content) < 2 or len(progress) < 2:
            self.short.add(target)
        else:
            self.short.discard(target)
        self.forget()

    def forget(self) -> None:
        """Forget remembered keyword lookups (benchmarks measure them cold)."""
        self._words.clear()
        self._remembered = 0

    def knows(self, word: str, exactly: bool) -> bool:
        """Tell whether a word occurs in any target's text, exactly or (if not `exactly`) nearly."""
        word = normalise_text(word)
        return bool(self._exact(word)[0] if exactly else self._fuzzy(word))


def _union(postings: Iterable[Posting]) -> set[int]:
    found: set[int] = set()
    for members in postings:
        found.update(members)
    return found
