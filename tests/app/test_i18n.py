"""Message files: every key in every language, with the same placeholders."""

from __future__ import annotations

import pytest

from bot.i18n import LANGUAGES, Translator, load_catalog, placeholders


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "zh"])
def test_every_key_exists_in_every_language_with_the_same_placeholders(language: str) -> None:
    reference, other = load_catalog("zh"), load_catalog(language)
    # Plural forms (`<key>_one`) exist only in languages that have them, beside their key.
    plurals = {key for key in other if key.endswith("_one") and key not in reference}
    assert sorted(key for key in plurals if key.removesuffix("_one") not in reference) == []
    assert sorted(set(reference) ^ (set(other) - plurals)) == []
    assert {
        key: placeholders(other[key])
        for key in plurals
        if not placeholders(other[key]) <= placeholders(other[key.removesuffix("_one")])
    } == {}
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


def test_lists_and_plurals_follow_the_language() -> None:
    t = Translator("zh")
    assert t.join(["市水务局", "市财政局"], "zh") == "市水务局、市财政局"
    assert t.join(["Water", "Finance"], "en") == "Water, Finance"
    assert t("query.count", "en", count=1, period="2023Q3") == "1 target found (2023Q3):"
    assert t("query.count", "en", count=2, period="2023Q3") == "2 targets found (2023Q3):"
    assert t("query.count", "zh", count=1, period="2023Q3") == "找到 1 个目标（2023Q3）："
