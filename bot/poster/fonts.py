"""Fonts for the counter poster: a line is drawn with the first font that has every one of its glyphs.

The order: a CJK font installed on the machine (Noto Sans CJK, Source Han Sans, WenQuanYi, Droid
Sans Fallback, Microsoft YaHei/JhengHei, PingFang; the face of the line's language where the
collection has one), then the small Noto Sans CJK SC cut shipped here (ASCII and the poster's
catalogue lines only: see scripts/build_poster_font.py), then matplotlib's DejaVu Sans (Latin).
A shop name that no font can draw is an error that says which font to install, never a poster
with empty boxes.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from fontTools.ttLib import TTCollection, TTFont

Weight = Literal["Regular", "Bold"]

HERE: Final = Path(__file__).resolve().parent / "fonts"
BUNDLED: Final[dict[Weight, Path]] = {
    "Regular": HERE / "NotoSansSC-Poster-Regular.otf",
    "Bold": HERE / "NotoSansSC-Poster-Bold.otf",
}
POSTER_MSGIDS: Final = ("poster.benefit", "poster.scan", "poster.how")
"""The catalogue lines the poster draws (the bundled font must cover them in every language)."""

_CJK_FILE: Final = re.compile(
    r"(notosanscjk|notosans(sc|tc|hk)|sourcehansans|wqy|droidsansfallback|msyh|msjh|pingfang)", re.I
)
_FACE_BY_LANGUAGE: Final = {"zh-Hans": ("SC", "GB"), "zh-Hant": ("TC", "HK", "TW", "B5")}


class FontMissing(Exception):
    """No font on this machine can draw the text."""

    def __init__(self, text: str) -> None:
        super().__init__(
            f"no font on this machine can draw {text!r}: install a CJK font "
            "(e.g. apt-get install fonts-noto-cjk) and try again"
        )


@dataclass(frozen=True)
class Face:
    path: Path
    index: int
    name: str
    bold: bool
    glyphs: frozenset[int] = field(repr=False)

    def covers(self, text: str) -> bool:
        return all(ord(c) in self.glyphs or c.isspace() for c in text)


def _font_dirs() -> list[Path]:
    home = Path.home()
    dirs = [
        Path("/usr/share/fonts"),
        Path("/usr/local/share/fonts"),
        home / ".fonts",
        home / ".local/share/fonts",
    ]
    if sys.platform == "darwin":
        dirs += [Path("/System/Library/Fonts"), Path("/Library/Fonts"), home / "Library/Fonts"]
    if os.name == "nt":
        dirs.append(Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts")
    return [d for d in dirs if d.is_dir()]


def _faces(path: Path) -> list[Face]:
    try:
        fonts = (
            TTCollection(str(path), lazy=True).fonts
            if path.suffix.lower() == ".ttc"
            else [TTFont(str(path), lazy=True)]
        )
    except Exception:  # an unreadable font file is skipped, not fatal
        return []
    faces = []
    for index, font in enumerate(fonts):
        name = font["name"].getDebugName(4) or path.stem
        if "mono" in name.lower():
            continue
        bold = "bold" in name.lower() or "bold" in path.stem.lower() or bool(font["OS/2"].fsSelection & 0x20)
        faces.append(Face(path, index, name, bold, frozenset(font.getBestCmap() or {})))
    return faces


@functools.cache
def system_faces() -> tuple[Face, ...]:
    """The CJK-capable faces installed on this machine (read once per process)."""
    found: list[Face] = []
    for directory in _font_dirs():
        for path in sorted(directory.rglob("*")):
            if path.suffix.lower() in {".ttc", ".otf", ".ttf"} and _CJK_FILE.search(path.name):
                found += _faces(path)
    return tuple(found)


@functools.cache
def fallback_faces() -> tuple[Face, ...]:
    from matplotlib import get_data_path

    dejavu = Path(get_data_path()) / "fonts" / "ttf"
    paths = [*BUNDLED.values(), dejavu / "DejaVuSans.ttf", dejavu / "DejaVuSans-Bold.ttf"]
    return tuple(face for path in paths if path.exists() for face in _faces(path))


def pick(text: str, *, bold: bool, language: str | None = None) -> Face:
    """The face to draw `text` with: its weight first (installed before bundled), then the line's language."""
    preferred = _FACE_BY_LANGUAGE.get(language or "", ())

    def rank(ranked: tuple[int, Face]) -> tuple[int, int, int]:
        group, face = ranked
        upper = face.name.upper()
        language_fit = 0 if any(f" {tag}" in upper or upper.endswith(tag) for tag in preferred) else 1
        return (0 if face.bold == bold else 1, group, language_fit)

    candidates = [(0, f) for f in system_faces()] + [(1, f) for f in fallback_faces()]
    for _group, face in sorted((c for c in candidates if c[1].covers(text)), key=rank):
        return face
    raise FontMissing(text)
