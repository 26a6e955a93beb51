"""Compile the gettext catalogues with Babel: `python -m bot.i18n.compile [--check]`.

Both the .po (edited by people) and the .mo (read at run time) are committed, so the bot
needs no build step; `--check` (and a unit test) catch a .mo that was not recompiled.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from bot.i18n import DOMAIN, LOCALE_DIR

Entries = set[tuple[str | tuple[str, ...], str | tuple[str, ...]]]


def po_files() -> list[Path]:
    """Every catalogue source, one per locale directory."""
    return sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def read_catalogue(po: Path) -> Catalog:
    """Parse a .po file, failing on syntax errors instead of silently skipping entries."""
    with po.open("rb") as fileobj:
        return read_po(fileobj, abort_invalid=True)


def compile_catalogue(po: Path) -> Path:
    """Write the .mo next to `po` (fuzzy entries are left out, as gettext tools do)."""
    mo = po.with_suffix(".mo")
    catalogue = read_catalogue(po)
    with mo.open("wb") as fileobj:
        write_mo(fileobj, catalogue, use_fuzzy=False)
    return mo


def stale_catalogues() -> list[Path]:
    """The .po files whose .mo is missing or holds other translations or plural rules.

    Compared by content, not bytes: the .mo header names the Babel version that wrote it.
    """
    stale = []
    for po in po_files():
        mo = po.with_suffix(".mo")
        if not mo.exists():
            stale.append(po)
            continue
        source = read_catalogue(po)
        with mo.open("rb") as fileobj:
            compiled = read_mo(fileobj)
        if _entries(source) != _entries(compiled) or source.plural_forms != compiled.plural_forms:
            stale.append(po)
    return stale


def _entries(catalogue: Catalog) -> Entries:
    return {
        (_frozen(message.id), _frozen(message.string))
        for message in catalogue
        if message.id and message.string and not message.fuzzy
    }


def _frozen(value: str | Sequence[str]) -> str | tuple[str, ...]:
    """Plural ids and strings come back as lists from read_mo and tuples from read_po."""
    return value if isinstance(value, str) else tuple(value)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.i18n.compile", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale .mo files (exit 1 if any)")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_catalogues()
        for po in stale:
            print(f"stale: {po.with_suffix('.mo')} (run: python -m bot.i18n.compile)", file=sys.stderr)
        return 1 if stale else 0
    for po in po_files():
        print(f"compiled {compile_catalogue(po)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
