"""docs/benchmarks.md holds one section per suite between markers; a run replaces only its own."""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
HEADER = (
    "# Benchmarks\n\n"
    "Produced by `make bench` (`python -m benchmarks`); each suite rewrites only its own section,\n"
    "between its `<!-- name:start -->` and `<!-- name:end -->` markers.\n"
)


def write_section(name: str, body: str, doc: Path = DOC) -> None:
    """Replace (or append) the section `name` of `doc` with `body`."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body.strip()}\n{end}"
    text = doc.read_text(encoding="utf-8") if doc.exists() else HEADER
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        text = before + block + after
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text, encoding="utf-8")
