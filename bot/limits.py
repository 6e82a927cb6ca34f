"""Telegram's size limits, measured as Telegram measures them, and texts cut to fit them.

Telegram counts a message's length in UTF-16 code units of the text *after* its HTML has been
parsed: `👍` is 2 units, `&amp;` is 1, a tag is 0. `parsed_units` measures exactly that, and
conservatively where Telegram's parser is not known to shorten (an entity other than the four
named ones and numeric references counts with every character it has). `split` cuts HTML text
into messages that each fit, never inside a tag, an entity or a character (surrogate pairs are
one code point here) and, where it can, at a line end, then at a space, and never inside an
emoji sequence or before a combining mark.
"""

from __future__ import annotations

import re
import unicodedata

MESSAGE_LIMIT = 4096  # UTF-16 units of a message's text, after entity parsing
CAPTION_LIMIT = 1024  # UTF-16 units of a document's or photo's caption, likewise
ALERT_LIMIT = 200  # UTF-16 units of a callback query's answer (an alert)
CALLBACK_DATA_LIMIT = 64  # bytes of an inline button's callback data
DOWNLOAD_LIMIT = 20 * 2**20  # bytes of a file a bot may download from Telegram (getFile)

_TAG = re.compile(r"<[^<>]*>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
# One atom of HTML text: a tag, an entity Telegram decodes, a surrogate pair, or one character.
_ATOM = re.compile(
    r"<[^<>]*>|&(?:lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});"
    r"|[\ud800-\udbff][\udc00-\udfff]|.",
    re.DOTALL,
)
_NAMED = {"&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"'}
_ZWJ = "\u200d"


def units(text: str) -> int:
    """Return the length of plain text in UTF-16 code units, as Telegram counts it."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _decoded(entity: str) -> str:
    """Return the text an entity stands for (itself when it names no character)."""
    if entity in _NAMED:
        return _NAMED[entity]
    digits = entity[2:-1]
    try:
        code = int(digits[1:], 16) if digits[:1] in ("x", "X") else int(digits)
        return chr(code)
    except (ValueError, OverflowError):
        return entity


def parsed_units(html_text: str) -> int:
    """Return the UTF-16 length of HTML text once Telegram has parsed it (tags, entities)."""
    return units(visible(html_text))


def _weight(atom: str) -> int:
    if atom.startswith("<") and atom.endswith(">") and len(atom) > 1:
        return 0
    if atom.startswith("&") and atom.endswith(";") and len(atom) > 2:
        return units(_decoded(atom))
    return units(atom)


def _glued(atom: str) -> bool:
    """Tell whether an atom belongs to the character before it (no cut before it)."""
    if len(atom) != 1:
        return False
    code = ord(atom)
    return (
        atom == _ZWJ
        or 0xFE00 <= code <= 0xFE0F  # variation selectors (emoji presentation)
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # tag characters (flags of regions)
        or unicodedata.combining(atom) != 0
    )


def _regional(atom: str) -> bool:
    return len(atom) == 1 and 0x1F1E6 <= ord(atom) <= 0x1F1FF


def _joined(before: str, after: str) -> bool:
    """Tell whether a cut between two atoms would break a character sequence (an emoji)."""
    return _glued(after) or before == _ZWJ or (_regional(before) and _regional(after))


def split(html_text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Return HTML text in pieces that each measure at most `limit` units once parsed.

    Joined, the pieces are the text itself. A piece ends at the last line end that fits, else
    at the last space (either only if the piece then holds at least half the limit), else at
    the last place that cuts no tag, entity or character sequence. An empty text is one piece.
    """
    atoms = _ATOM.findall(html_text)
    weights = [_weight(atom) for atom in atoms]
    pieces: list[str] = []
    start = 0
    while start < len(atoms):
        weight, end = 0, start
        # Exclusive ends a piece may stop at, and the weight of the piece up to each.
        line_cut = space_cut = soft_cut = (0, 0)
        while end < len(atoms) and (weight + weights[end] <= limit or end == start):
            weight += weights[end]
            atom = atoms[end]
            end += 1
            if atom == "\n":
                line_cut = (end, weight)
            elif atom.isspace():
                space_cut = (end, weight)
            if end < len(atoms) and not _joined(atom, atoms[end]):
                soft_cut = (end, weight)
        if end < len(atoms):  # more follows: a line end, else a space, if the piece is not tiny
            enough = limit // 2
            for cut, size in (line_cut, space_cut):
                if cut and size >= enough:
                    end = cut
                    break
            else:
                end = soft_cut[0] or end
        pieces.append("".join(atoms[start:end]))
        start = end
    return pieces or [""]


def fit(text: str, limit: int) -> str:
    """Return plain text cut to at most `limit` UTF-16 units, ending in `…` when it was cut."""
    if units(text) <= limit:
        return text
    kept, used = [], 1  # room for the ellipsis
    for char in text:
        size = units(char)
        if used + size > limit:
            break
        kept.append(char)
        used += size
    while kept and _glued(kept[-1]):
        kept.pop()  # never end on half an emoji sequence
    return "".join(kept) + "…"


def visible(html_text: str) -> str:
    """Return what a user sees of HTML text: tags dropped, entities decoded."""
    return _ENTITY.sub(lambda m: _decoded(m.group()), _TAG.sub("", html_text))
