"""Purchase identity: stable generated order ids, and ids repeated within one file."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from bot.importing import read_customers, read_purchases

TODAY = dt.date(2026, 1, 1)
HEADER = "customer_id,date,quantity,amount\n"


def write(tmp_path: Path, text: str, name: str = "file.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_identical_rows_without_order_id_get_different_ids_that_are_stable_across_reads(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, HEADER + "00001,1997-01-01,1,11.77\n00001,1997-01-01,1,11.77\n")

    first = read_purchases(path, today=TODAY)
    second = read_purchases(path, today=TODAY)

    ids = [record.order_id for _, record in first.records]
    assert len(set(ids)) == 2
    assert ids == [record.order_id for _, record in second.records]
    assert all(record.order_id_generated for _, record in first.records)


def test_generated_id_is_the_documented_hash_of_content_and_occurrence(tmp_path: Path) -> None:
    path = write(tmp_path, "customer_id,date,amount,quantity,currency\n00001,19970101,11.7,1,usd\n")

    record = read_purchases(path, today=TODAY).records[0][1]

    content = "00001|1997-01-01|11.70|1|USD|1"
    assert record.order_id == "imp-" + hashlib.sha256(content.encode()).hexdigest()[:20]


def test_same_purchase_written_differently_gets_the_same_id(tmp_path: Path) -> None:
    a = write(tmp_path, HEADER + "00001,1997-01-01,1,11.7\n", name="a.csv")
    b = write(tmp_path, HEADER + "00001,19970101,1,$11.70\n", name="b.csv")

    assert read_purchases(a, today=TODAY).records[0][1].order_id == (
        read_purchases(b, today=TODAY).records[0][1].order_id
    )


def test_appending_rows_keeps_the_ids_of_earlier_rows(tmp_path: Path) -> None:
    rows = "00001,1997-01-01,1,11.77\n00002,1997-01-02,1,5.00\n"
    before = read_purchases(write(tmp_path, HEADER + rows, name="a.csv"), today=TODAY)
    after = read_purchases(
        write(tmp_path, HEADER + rows + "00001,1997-01-01,1,11.77\n", name="b.csv"), today=TODAY
    )

    assert [r.order_id for _, r in after.records][:2] == [r.order_id for _, r in before.records]
    assert len({r.order_id for _, r in after.records}) == 3


def test_bad_rows_do_not_shift_the_ids_of_good_rows(tmp_path: Path) -> None:
    good = read_purchases(write(tmp_path, HEADER + "1,1997-01-01,1,1.00\n", name="a.csv"), today=TODAY)
    mixed = read_purchases(
        write(tmp_path, HEADER + "1,1997-01-01,1,oops\n1,1997-01-01,1,1.00\n", name="b.csv"), today=TODAY
    )

    assert mixed.records[0][1].order_id == good.records[0][1].order_id


def test_order_id_from_the_file_is_kept(tmp_path: Path) -> None:
    path = write(tmp_path, "customer_id,date,amount,order_id\n1,1997-01-01,5,SO-001\n")

    record = read_purchases(path, today=TODAY).records[0][1]

    assert (record.order_id, record.order_id_generated) == ("SO-001", False)


def test_repeated_order_id_with_different_values_is_a_bad_row_naming_the_first_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "customer_id,date,amount,order_id\n1,1997-01-01,5,SO-1\n2,1997-01-02,6,SO-2\n1,1997-01-01,7,SO-1\n",
    )

    result = read_purchases(path, today=TODAY)

    assert [str(bad) for bad in result.bad_rows] == [
        "line 4: order_id 'SO-1' already appears on line 2 with different values"
    ]


def test_exact_repeat_of_a_row_with_order_id_is_skipped_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "customer_id,date,amount,order_id\n1,1997-01-01,5,SO-1\n1,1997-01-01,5.00,SO-1\n")

    result = read_purchases(path, today=TODAY)

    assert [line for line, _ in result.records] == [2]
    assert result.bad_rows == []
    assert result.warnings == ["1 rows repeat an earlier row with the same order_id and were skipped"]


def test_repeated_customer_id_with_different_values_is_a_bad_row(tmp_path: Path) -> None:
    path = write(tmp_path, "customer_id,name\n007,Ann\n007,Annie\n007,Ann\n")

    result = read_customers(path, today=TODAY)

    assert [(line, r.name) for line, r in result.records] == [(2, "Ann")]
    assert [str(bad) for bad in result.bad_rows] == [
        "line 3: customer_id '007' already appears on line 2 with different values"
    ]
    assert result.warnings == ["1 rows repeat an earlier row with the same customer_id and were skipped"]
