"""Message files: every key in every language, with the same placeholders."""

from __future__ import annotations

import pytest

from bot.i18n import LANGUAGES, Translator, load_catalog, placeholders


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "zh"])
def test_every_key_exists_in_every_language_with_the_same_placeholders(language: str) -> None:
    reference, other = load_catalog("zh"), load_catalog(language)
    assert sorted(set(reference) ^ set(other)) == []
    mismatched = {
        key: (placeholders(reference[key]), placeholders(other[key]))
        for key in reference
        if placeholders(reference[key]) != placeholders(other[key])
    }
    assert mismatched == {}


def test_lookup_fills_values_and_falls_back_to_default_language_then_key() -> None:
    t = Translator("zh")
    assert t("import.error.duplicate_number", "en", number=48, first_row=9) == (
        "number 48 is used twice (already on row 9)."
    )
    assert t("import.error.empty", "xx") == "文件是空的。"
    assert t("import.error.empty", None) == "文件是空的。"
    assert t("no.such.key", "en") == "no.such.key"
