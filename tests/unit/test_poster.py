"""The counter poster's drawing: the QR code reads back as the join link, and Chinese renders with
or without a CJK font installed on the machine."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from bot.i18n import SUPPORTED, translator
from bot.poster import fonts
from bot.poster.fonts import BUNDLED, POSTER_MSGIDS, FontMissing, pick
from bot.poster.render import counter_poster, join_link, valid_username


def test_the_bundled_font_covers_every_poster_line_in_every_language() -> None:
    """Fails after a `poster.*` message changes until scripts/build_poster_font.py is run again."""
    bundled = [f for f in fonts.fallback_faces() if f.path in BUNDLED.values()]
    assert {f.bold for f in bundled} == {True, False}
    for language in SUPPORTED:
        for msgid in POSTER_MSGIDS:
            line = translator(language).gettext(msgid)
            assert all(face.covers(line) for face in bundled), (language, msgid)


def test_without_system_cjk_fonts_chinese_lines_use_the_bundled_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "system_faces", lambda: ())  # a machine with no CJK font installed
    line = translator("zh-Hant").gettext("poster.benefit")
    assert pick(line, bold=True, language="zh-Hant").path == BUNDLED["Bold"]
    png = counter_poster("Lotus Tea House", "shop_loyalty_bot", "png")
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))] == [
        join_link("shop_loyalty_bot")
    ]
    with pytest.raises(FontMissing, match="install a CJK font"):  # a name no font here can draw
        counter_poster("龍鳳茶樓", "shop_loyalty_bot", "png")


def test_a_chinese_shop_name_draws_with_an_installed_cjk_font() -> None:
    if not fonts.system_faces():
        pytest.fail("this machine has no CJK font: apt-get install fonts-noto-cjk (scripts/ensure-fonts.sh)")
    assert pick("龍鳳茶樓", bold=True, language="zh-Hant").path not in BUNDLED.values()
    png = counter_poster("龍鳳茶樓", "shop_loyalty_bot", "png", default_language="zh-Hant")
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))] == [
        join_link("shop_loyalty_bot")
    ]


@pytest.mark.parametrize(
    ("name", "ok"),
    [("shop_loyalty_bot", True), ("abcde", True), ("ab", False), ("1shop", False), ("a b cd", False)],
)
def test_telegram_usernames(name: str, ok: bool) -> None:
    assert valid_username(name) is ok
