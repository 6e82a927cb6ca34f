"""Look up user-facing text by key and language, with fallbacks."""

from __future__ import annotations

import string
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES = ("zh", "en")


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{key}."))
        else:
            flat[key] = str(value)
    return flat


@cache
def load_catalog(language: str) -> dict[str, str]:
    """Return the flat key → text mapping of one language's message file."""
    text = resources.files("locales").joinpath(f"{language}.toml").read_text(encoding="utf-8")
    return _flatten(tomllib.loads(text))


def placeholders(text: str) -> set[str]:
    """Return the names of the `{placeholders}` in a message."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@dataclass(frozen=True)
class Translator:
    """Render messages in a user's language, falling back to the default one, then to the key."""

    default_language: str = "zh"

    def __call__(self, key: str, language: str | None = None, /, **values: object) -> str:
        """Return the message `key` in `language` with `values` filled in.

        Plural rule: with `count=1`, a language's `<key>_one` wins where it has one ("1 target
        found"); languages without plural forms (zh) simply have no such keys.
        """
        for lang in (language, self.default_language):
            if lang in LANGUAGES:
                catalog = load_catalog(lang)
                text = catalog.get(f"{key}_one") if values.get("count") == 1 else None
                text = text if text is not None else catalog.get(key)
                if text is not None:
                    return text.format_map(values)
        return key

    def join(self, items: Iterable[object], language: str | None = None) -> str:
        """Return items as a list in the language's way: 甲、乙 in zh, A, B in en."""
        return self("common.separator", language).join(map(str, items))
