"""The keyword index of a plan: which targets a word finds, exactly or nearly.

A character-bigram index finds keywords without reading every text, so two-character Chinese
words (医保, 就业) are found exactly and fast. It knows targets only by their position and
their normalised texts; what a target is, and how a search ranks, is the search's business.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from bot.query.parse import normalise_text

CONTENT_SCORE = 3.0
PROGRESS_SCORE = 1.0
FUZZY_SCORE = 0.5
FUZZY_CUTOFF = 80.0
WORD_CACHE = 512  # keyword lookups remembered per index (forgotten on any change)


def bigrams(text: str) -> set[str]:
    """Return the pairs of neighbouring characters of a text."""
    return {text[i : i + 2] for i in range(len(text) - 1)}


@dataclass
class KeywordIndex:
    """The normalised texts of every target and the bigrams that lead to them."""

    contents: list[str]  # normalised content per target
    progresses: list[str]  # normalised latest progress and unit names of a target
    postings: dict[str, array[int]]  # bigram → targets whose content or progress has it
    content_postings: dict[str, array[int]]  # bigram → targets whose own content has it
    _words: dict[str, tuple[set[int], set[int]]] = field(default_factory=dict)

    @classmethod
    def build(cls, contents: list[str], progresses: list[str]) -> KeywordIndex:
        """Index normalised texts: each target's own content, and what else it is known by."""
        collected: dict[str, array[int]] = {}
        in_content: dict[str, array[int]] = {}
        for index, (content, progress) in enumerate(zip(contents, progresses, strict=True)):
            own = bigrams(content)
            for gram in own:
                in_content.setdefault(gram, array("i")).append(index)
            for gram in own | bigrams(progress):
                collected.setdefault(gram, array("i")).append(index)
        return cls(contents, progresses, collected, in_content)

    def _exact(self, word: str) -> tuple[set[int], set[int]]:
        """Return the targets whose text contains `word`, and those whose own content does."""
        cached = self._words.get(word)
        if cached is not None:
            return cached
        if len(word) < 2:
            in_content = {i for i, c in enumerate(self.contents) if word in c}
            found = in_content | {i for i, p in enumerate(self.progresses) if word in p}
        elif len(word) == 2:  # a word of two characters is its own bigram: no reading needed
            found = set(self.postings.get(word, ()))
            in_content = set(self.content_postings.get(word, ()))
        else:
            # Read only the texts that have the word's rarest bigram.
            rarest = min((self.postings.get(g, array("i")) for g in bigrams(word)), key=len)
            in_content = {i for i in rarest if word in self.contents[i]}
            found = in_content.union(i for i in rarest if word in self.progresses[i])
        if len(self._words) >= WORD_CACHE:
            self._words.clear()
        self._words[word] = (found, in_content)
        return found, in_content

    def _fuzzy(self, word: str) -> set[int]:
        """Return the targets with a near match of a longer word (typos), if it has none exact."""
        grams = bigrams(word)
        if len(word) < 4 or not grams:  # shorter words with a typo could be anything
            return set()
        counts: Counter[int] = Counter()
        for gram in grams:
            counts.update(self.postings.get(gram, ()))
        needed = math.ceil(len(grams) / 2)
        return {
            i
            for i, n in counts.items()
            if n >= needed
            and max(
                fuzz.partial_ratio(word, self.contents[i]),
                fuzz.partial_ratio(word, self.progresses[i]),
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

    def update(self, target: int, progress: str) -> None:
        """Take a target's new normalised progress text in (its content does not change)."""
        old = self.progresses[target]
        if old == progress:
            return
        own = bigrams(self.contents[target])
        before, after = own | bigrams(old), own | bigrams(progress)
        for gram in before - after:
            postings = self.postings[gram]
            postings.remove(target)
            if not postings:
                del self.postings[gram]
        for gram in after - before:
            self.postings.setdefault(gram, array("i")).append(target)
        self.progresses[target] = progress
        self._words.clear()

    def forget(self) -> None:
        """Forget remembered keyword lookups (benchmarks measure them cold)."""
        self._words.clear()

    def knows(self, word: str, exactly: bool) -> bool:
        """Tell whether a word occurs in any target's text, exactly or (if not `exactly`) nearly."""
        word = normalise_text(word)
        return bool(self._exact(word)[0] if exactly else self._fuzzy(word))
