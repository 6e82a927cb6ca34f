"""Properties of the text splitter: every piece fits, nothing is lost, nothing is cut in two."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.limits import fit, parsed_units, split, units
from bot.playground.botapi import telegram_refusal

# What must never be cut: an entity Telegram decodes, or a tag.
WHOLE = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});|<[^<>]*>")
FRAGMENTS = [
    "&amp;",
    "&lt;",
    "&gt;",
    "&quot;",
    "&#128077;",
    "&#x1F44D;",
    "<b>",
    "</b>",
    "\n",
    " ",
    "👍",
    "👍🏽",
    "👨\u200d👩\u200d👧",
    "🇨🇳",
    "e\u0301",
    "水务局",
    "\ud83d\udc4d",  # a surrogate pair as two code points (as a lax decoder may leave it)
    "&",
    ";",
]
texts = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=80).map(
    "".join
)


def cuts(pieces: list[str]) -> list[int]:
    """Return where the pieces meet, as offsets into the joined text."""
    offsets, at = [], 0
    for piece in pieces[:-1]:
        at += len(piece)
        offsets.append(at)
    return offsets


@settings(max_examples=200, deadline=None)
@given(text=texts, limit=st.integers(min_value=2, max_value=60))
def test_pieces_fit_join_to_the_text_and_cut_nothing_in_two(text: str, limit: int) -> None:
    pieces = split(text, limit)
    assert "".join(pieces) == text
    assert all(parsed_units(piece) <= limit for piece in pieces)
    assert all(piece for piece in pieces) or pieces == [""]
    spans = [match.span() for match in WHOLE.finditer(text)]
    for at in cuts(pieces):
        assert not any(start < at < end for start, end in spans), (text, at)
        assert not ("\ud800" <= text[at - 1] <= "\udbff" and "\udc00" <= text[at] <= "\udfff")


# Text without emoji sequences or combining marks: every place between two atoms may be cut.
loose = st.lists(
    st.one_of(
        st.sampled_from([*FRAGMENTS[:11], "水务局", "&", ";"]),
        st.text(st.characters(exclude_categories=("Mn", "Mc", "Me", "Sk", "Cf", "Cs", "So"))),
    ),
    max_size=80,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(text=loose, limit=st.integers(min_value=2, max_value=60))
def test_no_piece_but_the_last_is_less_than_half_full(text: str, limit: int) -> None:
    pieces = split(text, limit)
    # The splitter does not waste messages: a line end or a space is a cut only past the middle.
    assert all(parsed_units(piece) >= limit // 2 for piece in pieces[:-1])


@settings(max_examples=50, deadline=None)
@given(
    words=st.lists(st.sampled_from(FRAGMENTS[:16]), min_size=1, max_size=40),
    times=st.integers(min_value=50, max_value=400),
)
def test_escaped_text_of_any_length_is_taken_by_telegram(words: list[str], times: int) -> None:
    plain = "".join(words) * times
    escaped = html.escape(plain)
    pieces = split(escaped)
    assert "".join(pieces) == escaped
    for piece in pieces:
        if html.unescape(piece).strip():
            assert telegram_refusal("sendMessage", {"text": piece}) is None


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300), limit=st.integers(min_value=2, max_value=250))
def test_fit_keeps_to_the_limit_and_marks_a_cut(text: str, limit: int) -> None:
    kept = fit(text, limit)
    assert units(kept) <= limit
    if units(text) <= limit:
        assert kept == text
    else:
        assert kept.endswith("…")
        assert text.startswith(kept[:-1])
