"""Looking for a person's data everywhere the database keeps text: every text column of every table
the database has (read from the database itself, not from our models)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine, MetaData, String, Text, select


def traces(engine: Engine, needles: Iterable[str], *, exact: Iterable[str] = ()) -> list[str]:
    """`table.column = value` for every stored text that contains a needle (any case), or equals one
    of `exact` (ids that may legitimately appear inside other ids, such as order numbers)."""
    wanted = [n.lower() for n in needles]
    equal = set(exact)
    schema = MetaData()
    schema.reflect(engine)
    found = []
    with engine.connect() as connection:
        for table in schema.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            if not columns:
                continue
            for row in connection.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    text = str(value)
                    if text in equal or any(n in text.lower() for n in wanted):
                        found.append(f"{table.name}.{column.name} = {text[:120]!r}")
    return found
