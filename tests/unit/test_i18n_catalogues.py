"""The message catalogues: complete in every language, same placeholders, .mo files fresh."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message

from bot.i18n import LOCALE_DIR, SUPPORTED, translator
from bot.i18n.compile import main, po_files, read_catalogue, stale_catalogues

CHINESE = ("zh_Hans", "zh_Hant")


def _catalogue(directory: str) -> Catalog:
    return read_catalogue(LOCALE_DIR / directory / "LC_MESSAGES" / "messages.po")


def _messages(directory: str) -> dict[str, Message]:
    return {_key(m): m for m in _catalogue(directory) if m.id}


def _key(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _forms(message: Message) -> list[str]:
    return [message.string] if isinstance(message.string, str) else list(message.string or ())


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


ENGLISH = _messages("en")


def test_there_is_a_catalogue_for_each_supported_language() -> None:
    assert {po.parent.parent.name for po in po_files()} == {"en", "zh_Hans", "zh_Hant"}
    assert len(SUPPORTED) == 3


@pytest.mark.parametrize("directory", ["en", *CHINESE])
def test_every_message_is_translated_and_not_fuzzy(directory: str) -> None:
    untranslated = [
        key
        for key, m in _messages(directory).items()
        if m.fuzzy or not all(form.strip() for form in _forms(m))
    ]
    assert untranslated == []


@pytest.mark.parametrize("directory", CHINESE)
def test_chinese_catalogue_has_exactly_the_english_message_ids(directory: str) -> None:
    chinese = _messages(directory)
    assert sorted(set(ENGLISH) - set(chinese)) == [], "missing translations"
    assert sorted(set(chinese) - set(ENGLISH)) == [], "ids that English does not have"
    assert {k: m.id for k, m in chinese.items()} == {k: m.id for k, m in ENGLISH.items()}


@pytest.mark.parametrize("directory", CHINESE)
def test_placeholders_are_identical_across_languages(directory: str) -> None:
    chinese = _messages(directory)
    mismatched = {
        key: (english_form, chinese_form)
        for key, message in ENGLISH.items()
        for english_form in _forms(message)
        for chinese_form in _forms(chinese[key])
        if _placeholders(english_form) != _placeholders(chinese_form)
    }
    assert mismatched == {}


@pytest.mark.parametrize("directory", ["en", *CHINESE])
def test_placeholders_are_named_never_positional(directory: str) -> None:
    for key, message in _messages(directory).items():
        for form in _forms(message):
            for name in _placeholders(form):
                assert name.isidentifier(), f"{key}: {{{name}}} is not a named placeholder"


def test_plural_messages_have_two_english_forms_and_one_chinese() -> None:
    plural_keys = [key for key, m in ENGLISH.items() if m.pluralizable]
    assert plural_keys
    for key in plural_keys:
        assert len(_forms(ENGLISH[key])) == 2
        for directory in CHINESE:
            assert len(_forms(_messages(directory)[key])) == 1


@pytest.mark.parametrize("language", SUPPORTED)
def test_every_message_renders_with_its_placeholders(language: str) -> None:
    t = translator(language)
    for key, message in ENGLISH.items():
        values = {name: "X" for form in _forms(message) for name in _placeholders(form)}
        text = t.nformat(key, 2, **values) if message.pluralizable else t.format(key, **values)
        assert text and key not in text


def test_compiled_catalogues_are_fresh() -> None:
    assert stale_catalogues() == [], "run: python -m bot.i18n.compile"


def test_check_reports_a_stale_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES"
    target = tmp_path / "zh_Hans" / "LC_MESSAGES"
    target.mkdir(parents=True)
    po_text = (source / "messages.po").read_text(encoding="utf-8")
    (target / "messages.po").write_text(po_text.replace("取消", "不要了"), encoding="utf-8")
    (target / "messages.mo").write_bytes((source / "messages.mo").read_bytes())
    monkeypatch.setattr("bot.i18n.compile.LOCALE_DIR", tmp_path)

    assert main(["--check"]) == 1
    assert main([]) == 0
    assert main(["--check"]) == 0
