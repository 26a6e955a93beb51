"""The counter poster (SPEC §9 "At the counter"): the shop's name, a QR code of the bot's join link
and one line on what customers get, in English, Simplified and Traditional Chinese.

An A4 portrait page drawn with Pillow; the QR code is segno's module matrix painted as whole
pixels (crisp at any print size). PNG for Slack and screens, PDF (one A4 page, 300 dpi) to print.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

import segno

from bot.i18n import SUPPORTED, translator
from bot.poster import JOIN_CODE
from bot.poster.fonts import Face, pick

if TYPE_CHECKING:
    from PIL import Image, ImageDraw, ImageFont

Format = Literal["png", "pdf"]
A4_MM: Final = (210.0, 297.0)
PNG_DPI: Final = 150
PDF_DPI: Final = 300
_USERNAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")

INK: Final = (31, 35, 40)
MUTED: Final = (87, 96, 106)
BRAND: Final = (14, 99, 112)
BAND_TEXT: Final = (255, 255, 255)
PAPER: Final = (255, 255, 255)
TINT: Final = (232, 244, 245)


def valid_username(username: str) -> bool:
    """A Telegram bot username: 5-32 of A-Z a-z 0-9 _, starting with a letter."""
    return bool(_USERNAME.fullmatch(username))


def join_link(username: str) -> str:
    return f"https://t.me/{username}?start={JOIN_CODE}"


@dataclass(frozen=True)
class PosterText:
    business: str
    link: str
    scan: dict[str, str]
    benefit: dict[str, str]
    how: dict[str, str]


def poster_text(business: str, link: str) -> PosterText:
    """Every word the poster shows, from the catalogues of all three languages."""
    ts = {language: translator(language) for language in SUPPORTED}
    return PosterText(
        business=business.strip(),
        link=link,
        scan={lang: t.gettext("poster.scan") for lang, t in ts.items()},
        benefit={lang: t.gettext("poster.benefit") for lang, t in ts.items()},
        how={lang: t.gettext("poster.how") for lang, t in ts.items()},
    )


class _Page:
    def __init__(self, dpi: int, business_language: str | None) -> None:
        from PIL import Image, ImageDraw

        self.dpi = dpi
        self.business_language = business_language
        self.width, self.height = (self.px(A4_MM[0]), self.px(A4_MM[1]))
        self.image: Image.Image = Image.new("RGB", (self.width, self.height), PAPER)
        self.draw: ImageDraw.ImageDraw = ImageDraw.Draw(self.image)

    def px(self, mm: float) -> int:
        return round(mm * self.dpi / 25.4)

    def font(self, face: Face, size_mm: float) -> ImageFont.FreeTypeFont:
        from PIL import ImageFont

        return ImageFont.truetype(str(face.path), max(1, self.px(size_mm)), index=face.index)

    def fit(
        self,
        text: str,
        *,
        bold: bool,
        language: str | None,
        size_mm: float,
        width_mm: float,
        lines: int = 1,
        height_mm: float | None = None,
    ) -> tuple[ImageFont.FreeTypeFont, list[str]]:
        """The largest font (down to 40% of size_mm) at which `text` fits in `lines` lines of width_mm."""
        face = pick(text, bold=bold, language=language)
        size = size_mm
        while True:
            font = self.font(face, size)
            wrapped = self._wrap(text, font, self.px(width_mm))
            fits = height_mm is None or self.block(font, len(wrapped)) <= self.px(height_mm)
            if (len(wrapped) <= lines and fits) or size <= size_mm * 0.4:
                return font, wrapped
            size *= 0.94

    @staticmethod
    def block(font: ImageFont.FreeTypeFont, lines: int) -> int:
        """The height of `lines` lines drawn by `centred`."""
        ascent, descent = font.getmetrics()
        return round((ascent + descent) * 1.12) * lines

    def _wrap(self, text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
        # Words for space-separated text; characters for Chinese (no spaces between words).
        tokens = re.findall(r"\S+\s*", text) if " " in text.strip() else list(text)
        lines: list[str] = []
        current = ""
        for token in tokens:
            if current and self.draw.textlength((current + token).rstrip(), font=font) > width:
                lines.append(current.rstrip())
                current = token.lstrip() if " " in token else token
            else:
                current += token
        if current.strip():
            lines.append(current.rstrip())
        return lines or [""]

    def centred(
        self, lines: list[str], font: ImageFont.FreeTypeFont, top: int, fill: tuple[int, int, int]
    ) -> int:
        """Draw the lines centred from `top`; the y below the last one."""
        ascent, descent = font.getmetrics()
        step = round((ascent + descent) * 1.12)
        for line in lines:
            self.draw.text((self.width // 2, top), line, font=font, fill=fill, anchor="ma")
            top += step
        return top


def poster_image(
    text: PosterText, *, dpi: int = PNG_DPI, business_language: str | None = None
) -> Image.Image:
    page = _Page(dpi, business_language)
    px, draw, width = page.px, page.draw, page.width
    margin_mm = 16.0
    inner_mm = A4_MM[0] - 2 * margin_mm

    # The band: the shop's name, as big as fits on two lines.
    band = px(50)
    draw.rectangle((0, 0, width, band), fill=BRAND)
    font, lines = page.fit(
        text.business,
        bold=True,
        language=business_language,
        size_mm=18,
        width_mm=inner_mm,
        lines=2,
        height_mm=50 - 10,
    )
    page.centred(lines, font, (band - page.block(font, len(lines))) // 2 + px(1), BAND_TEXT)

    # The call to action, in the three languages.
    scan = "  ·  ".join(text.scan[lang] for lang in SUPPORTED)
    font, lines = page.fit(scan, bold=True, language="zh-Hans", size_mm=11, width_mm=inner_mm)
    y = page.centred(lines, font, band + px(10), INK)

    # The QR code on a tinted card.
    qr = segno.make(text.link, error="m")
    matrix = [list(row) for row in qr.matrix]
    modules = len(matrix)
    quiet = 4
    side = px(92)
    module = max(1, side // (modules + 2 * quiet))
    side = module * (modules + 2 * quiet)
    card_pad = px(6)
    left = (width - side) // 2
    top = y + px(9)
    draw.rounded_rectangle(
        (left - card_pad, top - card_pad, left + side + card_pad, top + side + card_pad),
        radius=px(6),
        fill=PAPER,
        outline=BRAND,
        width=px(1.2),
    )
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                x0, y0 = left + (c + quiet) * module, top + (r + quiet) * module
                draw.rectangle((x0, y0, x0 + module - 1, y0 + module - 1), fill=INK)
    y = top + side + card_pad + px(5)

    # The link in words, for a phone that does not scan.
    shown_link = text.link.removeprefix("https://")
    font, lines = page.fit(shown_link, bold=False, language=None, size_mm=5.2, width_mm=inner_mm)
    y = page.centred(lines, font, y, MUTED) + px(7)

    # What customers get, in each language.
    for language in SUPPORTED:
        font, lines = page.fit(
            text.benefit[language],
            bold=True,
            language=language,
            size_mm=7.0,
            width_mm=inner_mm,
            lines=2 if language == "en" else 1,  # Chinese shrinks to one line rather than break
        )
        y = page.centred(lines, font, y, INK) + px(2.5)

    # How it works, small, at the foot of the page.
    foot = [text.how[lang] for lang in SUPPORTED]
    fonts = [
        page.fit(line, bold=False, language=lang, size_mm=4.2, width_mm=inner_mm)
        for line, lang in zip(foot, SUPPORTED, strict=True)
    ]
    height = sum(round(sum(f.getmetrics()) * 1.12) * len(ls) for f, ls in fonts)
    y = max(y + px(4), page.height - px(14) - height)
    draw.line(
        (px(margin_mm + 30), y - px(5), width - px(margin_mm + 30), y - px(5)), fill=TINT, width=px(0.6)
    )
    for font, lines in fonts:
        y = page.centred(lines, font, y, MUTED)
    return page.image


def poster_bytes(text: PosterText, fmt: Format, *, business_language: str | None = None) -> bytes:
    """The poster as a PNG (150 dpi) or a one-page A4 PDF (300 dpi)."""
    buffer = io.BytesIO()
    if fmt == "png":
        poster_image(text, dpi=PNG_DPI, business_language=business_language).save(
            buffer, format="PNG", optimize=True
        )
    else:
        image = poster_image(text, dpi=PDF_DPI, business_language=business_language)
        image.save(buffer, format="PDF", resolution=float(PDF_DPI), title=f"{text.business} – {text.link}")
    return buffer.getvalue()


def counter_poster(
    business: str, username: str, fmt: Format, *, default_language: str | None = None
) -> bytes:
    """The poster for this shop and bot (raises FontMissing when no font can draw the shop's name)."""
    return poster_bytes(poster_text(business, join_link(username)), fmt, business_language=default_language)
