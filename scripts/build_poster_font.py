"""Rebuild the small font the counter poster falls back to when the machine has no CJK font.

It is Noto Sans CJK SC (SIL OFL 1.1), cut down to printable ASCII and the characters of the
poster's catalogue lines in en, zh-Hans and zh-Hant. Run after editing a `poster.*` message:

    apt-get install fonts-noto-cjk && .venv/bin/python scripts/build_poster_font.py

(tests/unit/test_poster.py fails while a poster line has a character the bundled font lacks.)
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

from bot.i18n import SUPPORTED, translator
from bot.poster.fonts import BUNDLED, POSTER_MSGIDS

SOURCES = {
    "Regular": Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    "Bold": Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
}
SC_FACE = 2  # JP, KR, SC, TC, HK in the Debian collection


def characters() -> str:
    chars = {chr(c) for c in range(0x20, 0x7F)} | set("·–—…「」『』：，。！？（）、")
    for language in SUPPORTED:
        t = translator(language)
        for msgid in POSTER_MSGIDS:
            chars.update(t.gettext(msgid))
    return "".join(sorted(chars))


def main() -> None:
    text = characters()
    for weight, source in SOURCES.items():
        font = TTCollection(str(source)).fonts[SC_FACE]
        options = subset.Options()
        options.layout_features = ["*"]
        options.name_IDs = ["*"]
        options.notdef_outline = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=text)
        subsetter.subset(font)
        out = BUNDLED[weight]
        font.save(str(out))
        print(f"{out}: {len(text)} characters, {out.stat().st_size} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
