"""The import (SPEC §2) under fuzzing: generated tables — random Unicode names, phones in many
formats, dates in the accepted shapes, amounts as a region writes them, BOMs, UTF-16, CRLF, `;`
and TAB delimiters, XLSX, blank lines, repeated rows — are read and saved so that every valid
row is recorded exactly once with the values it holds, every invalid one is reported with its
line, and a second import of the same file changes nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import col, func, select

from bot.context import AppContext
from bot.importing import read_customers, read_purchases
from bot.services import imports
from storage.models import Customer, Purchase

TODAY = dt.date(2026, 3, 2)
EXAMPLE = itertools.count(1)  # ids unique per example: every example shares the test's database

# (E.164, ways staff write it) with DEFAULT_PHONE_REGION US; full-width digits come from an IME.
PHONES = [
    (
        "+14155552671",
        ["(415) 555-2671", "415.555.2671", "+1 415 555 2671", "4155552671", "４１５５５５２６７１"],
    ),
    ("+886912345678", ["+886 912 345 678", "+886-912-345-678", "＋886912345678"]),
    ("+8613800138000", ["+86 138 0013 8000", "+86-13800138000"]),
    ("+447911123456", ["+44 7911 123456", "+44 (0) 7911 123456"]),
]
NAME_CHARS = st.characters(categories=("Lu", "Ll", "Lo")) | st.sampled_from(
    [" ", ",", ";", '"', "\n", "\t", "'"]
)


@dataclass
class Table:
    """A generated file's rows (cells), and what the import must make of them."""

    header: list[str]
    rows: list[list[str] | None] = field(default_factory=list)  # None: a blank line
    valid: dict[str, tuple[object, ...]] = field(default_factory=dict)  # id → expected values
    invalid_rows: list[int] = field(default_factory=list)  # indexes into rows


@st.composite
def customer_tables(draw: st.DrawFn) -> Table:
    n = next(EXAMPLE)
    table = Table(["customer_id", "name", "phone", "birthday"])
    if draw(st.booleans()):
        table.header = ["Customer ID", "Name", "Phone", "Birthday"]  # how people title columns
    for i in range(draw(st.integers(0, 12))):
        kind = draw(
            st.sampled_from(["valid", "valid", "valid", "repeat", "blank", "bad phone", "bad day", "no id"])
        )
        if kind == "blank":
            table.rows.append(None)
            continue
        if kind == "repeat":
            earlier = [r for r in table.rows if r is not None and r[0] in table.valid]
            if earlier:
                table.rows.append(list(draw(st.sampled_from(earlier))))
            continue
        customer_id = draw(st.sampled_from([f"c{n}-{i}", f"客{n}-{i}", f"  C{n}-{i} "]))
        name = draw(st.text(NAME_CHARS, max_size=20))
        e164, formats = draw(st.sampled_from(PHONES))
        phone = draw(st.sampled_from(formats))
        birthday = draw(st.dates(dt.date(1930, 1, 1), dt.date(2010, 12, 31)))
        day = draw(st.sampled_from(["%Y-%m-%d", "%Y%m%d", "%Y/%m/%d"]))
        cells = [customer_id, name, phone, birthday.strftime(day)]
        if kind == "bad phone":
            cells[2] = draw(st.sampled_from(["12", "555", "+1 000", "phone?"]))
        elif kind == "bad day":
            cells[3] = draw(st.sampled_from(["2024-13-45", "1999-02-30", "someday", "2199-01-01"]))
        elif kind == "no id":
            cells[0] = ""
        table.rows.append(cells)
        if kind == "valid":
            table.valid[customer_id.strip()] = (" ".join(name.split()) or None, e164, birthday)
        else:
            table.invalid_rows.append(len(table.rows) - 1)
    return table


@st.composite
def purchase_tables(draw: st.DrawFn) -> Table:
    n = next(EXAMPLE)
    table = Table(["customer_id", "date", "amount", "order_id"])
    for i in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["valid", "valid", "valid", "repeat", "blank", "bad amount", "bad date"]))
        if kind == "blank":
            table.rows.append(None)
            continue
        if kind == "repeat":
            earlier = [r for r in table.rows if r is not None and r[3] and r[3] in table.valid]
            if earlier:
                table.rows.append(list(draw(st.sampled_from(earlier))))
            continue
        customer = f"p{n}-{draw(st.integers(0, 2))}"
        day = draw(st.dates(dt.date(2015, 1, 1), TODAY))
        amount = draw(st.decimals(min_value=0, max_value=Decimal("99999.99"), places=2, allow_nan=False))
        written = draw(
            st.sampled_from([f"{amount:.2f}", f"{amount:,.2f}", f"${amount:,.2f}", f"{amount:.2f} USD"])
        )
        order = f"o{n}-{i}"
        cells = [customer, day.strftime(draw(st.sampled_from(["%Y-%m-%d", "%Y%m%d"]))), written, order]
        if kind == "bad amount":
            cells[2] = draw(st.sampled_from(["abc", "-5", "1,2,3.4.5", "", "1e9999"]))
        elif kind == "bad date":
            cells[1] = draw(st.sampled_from(["2024-02-30", "yesterday", "", "2999-01-01"]))
        table.rows.append(cells)
        if kind == "valid":
            table.valid[order] = (customer, day, amount)
        else:
            table.invalid_rows.append(len(table.rows) - 1)
    return table


@dataclass(frozen=True)
class FileShape:
    kind: str  # csv or xlsx
    encoding: str
    delimiter: str
    newline: str
    leading_blank_lines: int


SHAPES = st.builds(
    FileShape,
    kind=st.sampled_from(["csv", "csv", "csv", "xlsx"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
    delimiter=st.sampled_from([",", ";", "\t"]),
    newline=st.sampled_from(["\n", "\r\n"]),
    leading_blank_lines=st.integers(0, 2),
)


def write(table: Table, shape: FileShape, path: Path) -> dict[int, int]:
    """Write the file; the line (or sheet row) each row starts on, by row index."""
    lines: dict[int, int] = {}
    if shape.kind == "xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        at = 1 + shape.leading_blank_lines
        for column, title in enumerate(table.header, start=1):
            sheet.cell(at, column, title)
        for index, cells in enumerate(table.rows):
            at += 1
            for column, value in enumerate(cells or [], start=1):
                if value:
                    sheet.cell(at, column, value)
            lines[index] = at
        book.save(path)
        return lines
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=shape.delimiter, lineterminator=shape.newline)
    out.write(shape.newline * shape.leading_blank_lines)
    writer.writerow(table.header)
    for index, cells in enumerate(table.rows):
        lines[index] = out.getvalue().count("\n") + 1
        if cells is None:
            out.write(shape.newline)
        else:
            writer.writerow(cells)
    path.write_bytes(out.getvalue().encode(shape.encoding))
    return lines


def counts(ctx: AppContext, model: type[Customer] | type[Purchase]) -> int:
    with ctx.uow() as uow:
        return int(uow.session.exec(select(func.count()).select_from(model)).one())


@settings(max_examples=15)
@given(table=customer_tables(), shape=SHAPES)
def test_a_customer_table_is_saved_row_for_row_and_a_second_import_changes_nothing(
    ctx: AppContext, tmp_path: Path, table: Table, shape: FileShape
) -> None:
    path = tmp_path / f"customers.{shape.kind}"
    lines = write(table, shape, path)
    before = counts(ctx, Customer)

    result = read_customers(path, today=TODAY)
    assert sorted(bad.line for bad in result.bad_rows) == sorted(lines[i] for i in table.invalid_rows)
    assert all("\n" not in str(bad) for bad in result.bad_rows)
    first = imports.import_customers(ctx.uow(), ctx.clock, [record for _, record in result.records])
    assert first.created == len(table.valid)
    assert counts(ctx, Customer) == before + len(table.valid)
    with ctx.uow() as uow:
        saved = uow.session.exec(select(Customer).where(col(Customer.external_id).in_(table.valid))).all()
        assert {c.external_id: (c.name, c.phone, c.birthday) for c in saved} == table.valid

    again = imports.import_customers(
        ctx.uow(), ctx.clock, [record for _, record in read_customers(path, today=TODAY).records]
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(table.valid))
    assert counts(ctx, Customer) == before + len(table.valid)


@settings(max_examples=15)
@given(table=purchase_tables(), shape=SHAPES)
def test_a_purchase_table_is_saved_once_per_order_and_a_second_import_changes_nothing(
    ctx: AppContext, tmp_path: Path, table: Table, shape: FileShape
) -> None:
    path = tmp_path / f"purchases.{shape.kind}"
    lines = write(table, shape, path)
    before = counts(ctx, Purchase), counts(ctx, Customer)

    def run() -> imports.ImportCounts:
        result = read_purchases(path, today=TODAY)
        assert sorted(bad.line for bad in result.bad_rows) == sorted(lines[i] for i in table.invalid_rows)
        records = [record for _, record in result.records]
        return imports.import_purchases(ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz, records)

    first = run()
    assert first.created == len(table.valid)
    buyers = {customer for customer, _, _ in table.valid.values()}
    assert first.customers_created == len(buyers)
    with ctx.uow() as uow:
        saved = uow.session.exec(select(Purchase).where(col(Purchase.order_id).in_(table.valid))).all()
        by_order = {p.order_id: (p.customer_id, p.purchased_on, p.amount) for p in saved}
        ids = {c.id: c.external_id for c in uow.session.exec(select(Customer)).all()}
    assert {o: (ids[c], d, Decimal(a)) for o, (c, d, a) in by_order.items()} == table.valid

    again = run()
    assert (again.created, again.customers_created, again.unchanged) == (0, 0, len(table.valid))
    assert (counts(ctx, Purchase), counts(ctx, Customer)) == (
        before[0] + len(table.valid),
        before[1] + len(buyers),
    )
