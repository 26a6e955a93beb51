"""Reading CSV import files: delimiters, encodings, headers, line numbers and file-level errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from bot.importing import ImportFileError, read_customers, read_purchases

TODAY = dt.date(2026, 1, 1)

CDNOW = (
    "customer_id,date,quantity,amount\n"
    "00001,1997-01-01,1,11.77\n"
    "00002,1997-01-12,1,12.00\n"
    "00002,19970112,5,77.00\n"
    "00003,1997-01-02,2,20.76\n"
    "00003,19970330,2,20.76\n"
    "00004,1997-01-01,2,29.33\n"
    "01101,1997-01-05,1,0.00\n"
)


def write(tmp_path: Path, text: str, name: str = "file.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_cdnow_rows_with_iso_and_compact_dates_parse_without_bad_rows_and_keep_leading_zeros(
    tmp_path: Path,
) -> None:
    result = read_purchases(write(tmp_path, CDNOW), today=TODAY)

    assert result.bad_rows == []
    assert result.total_rows == 7
    assert [line for line, _ in result.records] == [2, 3, 4, 5, 6, 7, 8]
    assert [r.customer_id for _, r in result.records][:3] == ["00001", "00002", "00002"]
    third = result.records[2][1]
    assert (third.date, third.quantity, third.amount) == (dt.date(1997, 1, 12), 5, Decimal("77.00"))
    assert result.records[-1][1].amount == Decimal("0.00")
    assert result.columns == ("customer_id", "date", "quantity", "amount")


def test_broken_cdnow_copy_reports_exactly_the_bad_date_the_bad_amount_and_the_latin1_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(
        b"customer_id,date,quantity,amount\n"
        b"00001,1997-01-01,1,11.77\n"
        b"00002,1997-13-45,1,12.00\n"
        b"00003,1997-01-02,2,20.76\n"
        b"00004,1997-01-01,2,abc\n"
        b"00005,1997-01-01,1,5.00\n"
        b"00006 caf\xe9,1997-01-01,1,5.00\n"
        b"00007,1997-01-03,1,8.50\n"
    )

    result = read_purchases(path, today=TODAY)

    assert [str(bad) for bad in result.bad_rows] == [
        "line 3: date '1997-13-45' is not a valid date (use YYYY-MM-DD or YYYYMMDD)",
        "line 5: amount 'abc' is not a number",
        "line 7: not valid utf-8 text; if the file came from Excel in a Chinese locale, "
        "try --encoding gbk or --encoding big5",
    ]
    assert [line for line, _ in result.records] == [2, 4, 6, 8]
    assert result.total_rows == 7


def test_gbk_file_with_chinese_names_reads_with_encoding_gbk(tmp_path: Path) -> None:
    path = write(tmp_path, "customer_id,name,tags\nC1,张伟,老客户、会员\nC2,李娜,新客户\n", encoding="gbk")

    result = read_customers(path, encoding="gbk", today=TODAY)

    assert result.bad_rows == []
    assert [(r.name, r.tags) for _, r in result.records] == [
        ("张伟", ("老客户", "会员")),
        ("李娜", ("新客户",)),
    ]


def test_big5_file_with_chinese_names_reads_with_encoding_big5(tmp_path: Path) -> None:
    path = write(
        tmp_path, "customer_id,name,language\nT1,陳大文,zh-TW\nT2,林美玲,繁體中文\n", encoding="big5"
    )

    result = read_customers(path, encoding="big5", today=TODAY)

    assert result.bad_rows == []
    assert [(r.name, r.language) for _, r in result.records] == [("陳大文", "zh-Hant"), ("林美玲", "zh-Hant")]


def test_gbk_file_read_as_utf8_reports_each_chinese_line_and_suggests_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, "customer_id,name\nC1,张伟\nC2,Ann\nC3,李娜\n", encoding="gbk")

    result = read_customers(path, today=TODAY)

    assert [bad.line for bad in result.bad_rows] == [2, 4]
    assert all("--encoding gbk" in bad.reason for bad in result.bad_rows)
    assert [r.name for _, r in result.records] == ["Ann"]


def test_wrong_explicit_encoding_reason_names_that_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, "customer_id,name\nC1,陳大文\n", encoding="big5")

    result = read_customers(path, encoding="utf-8", today=TODAY)

    assert result.bad_rows[0].reason.startswith("not valid utf-8 text; check --encoding")


def test_utf8_bom_file_recognises_its_first_header(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffcustomer_id,name\n00042,Ann\n")

    result = read_customers(path, today=TODAY)

    assert [(r.customer_id, r.name) for _, r in result.records] == [("00042", "Ann")]


def test_utf16_file_from_excel_is_recognised_by_its_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "customer_id\tname\r\nC1\t王小明\r\n", encoding="utf-16")

    result = read_customers(path, today=TODAY)
    explicit = read_customers(path, encoding="utf-16", today=TODAY)

    assert [r.name for _, r in result.records] == ["王小明"]
    assert explicit.records == result.records


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiter_is_sniffed_from_the_header(tmp_path: Path, delimiter: str) -> None:
    rows = [["customer_id", "date", "amount"], ["00007", "1997-02-03", "1,234.50"]]
    text = "\n".join(delimiter.join(f'"{cell}"' for cell in row) for row in rows) + "\n"

    result = read_purchases(write(tmp_path, text), today=TODAY)

    assert [(r.customer_id, r.amount) for _, r in result.records] == [("00007", Decimal("1234.50"))]


def test_quoted_multiline_record_is_numbered_by_the_line_it_starts_on(tmp_path: Path) -> None:
    text = 'customer_id,name\nC1,"Ann\nLee"\nC2,\n"C3",Bo\n'

    result = read_customers(write(tmp_path, text), today=TODAY)

    assert [(line, r.customer_id, r.name) for line, r in result.records] == [
        (2, "C1", "Ann Lee"),
        (4, "C2", None),
        (5, "C3", "Bo"),
    ]


def test_empty_lines_are_skipped_and_lines_keep_their_file_numbers(tmp_path: Path) -> None:
    text = "\n\ncustomer_id,name\n\nC1,Ann\n,\n   \nC2,Bo\n\n"

    result = read_customers(write(tmp_path, text), today=TODAY)

    assert [line for line, _ in result.records] == [5, 8]
    assert result.total_rows == 2
    assert result.bad_rows == []


def test_crlf_line_endings_are_read_like_lf(tmp_path: Path) -> None:
    result = read_customers(write(tmp_path, "customer_id,name\r\nC1,Ann\r\nC2,Bo\r\n"), today=TODAY)

    assert [(line, r.name) for line, r in result.records] == [(2, "Ann"), (3, "Bo")]


def test_headers_match_case_insensitively_with_spaces_and_dashes(tmp_path: Path) -> None:
    text = " Customer ID ,NAME,E-Mail,Order_ID\nC1,Ann,ann@example.com,x\n"

    result = read_customers(write(tmp_path, text), today=TODAY)

    assert result.columns == ("customer_id", "name", "email")
    assert result.records[0][1].email == "ann@example.com"


def test_map_renames_other_headers_case_insensitively(tmp_path: Path) -> None:
    text = "Member No,Full Name,Mobile\n0001,Ann Lee,(415) 555-0132\n"

    result = read_customers(
        write(tmp_path, text),
        mapping={"member no": "customer_id", "FULL NAME": "Name", "mobile": "phone"},
        today=TODAY,
    )

    assert result.records[0][1].customer_id == "0001"
    assert result.records[0][1].name == "Ann Lee"
    assert result.records[0][1].phone == "+14155550132"
    assert result.warnings == []


def test_map_to_an_empty_field_ignores_that_column(tmp_path: Path) -> None:
    text = "customer_id,name,nickname\nC1,Ann,Annie\n"

    result = read_customers(write(tmp_path, text), mapping={"name": "", "nickname": "name"}, today=TODAY)

    assert result.records[0][1].name == "Annie"


def test_map_to_an_unknown_field_is_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match=r"--map id=client: 'client' is not a customers column"):
        read_customers(write(tmp_path, "id\n1\n"), mapping={"id": "client"}, today=TODAY)


def test_map_naming_a_header_the_file_lacks_is_a_warning(tmp_path: Path) -> None:
    result = read_customers(write(tmp_path, "customer_id\n1\n"), mapping={"mobile": "phone"}, today=TODAY)

    assert result.warnings == ["--map: the file has no column 'mobile'"]


def test_unknown_columns_are_reported_once_as_a_warning(tmp_path: Path) -> None:
    text = "customer_id,name,Favourite Genre,notes\nC1,Ann,jazz,x\nC2,Bo,rock,y\n"

    result = read_customers(write(tmp_path, text), today=TODAY)

    assert result.warnings == ["ignored columns: Favourite Genre, notes"]
    assert len(result.records) == 2


def test_missing_required_column_names_it_and_lists_the_columns_found(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError) as caught:
        read_purchases(write(tmp_path, "customer_id,date,qty\n1,1997-01-01,2\n"), today=TODAY)

    message = str(caught.value)
    assert "missing required column 'amount'" in message
    assert message.endswith("columns found: customer_id, date, qty")
    assert "\n" not in message


def test_file_without_a_header_row_says_line_1_must_be_a_header(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="line 1 must be a header row such as customer_id,date,amount"):
        read_purchases(write(tmp_path, "00001,19970101,1,11.77\n"), today=TODAY)


def test_two_columns_meaning_the_same_field_is_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="columns 'Name' and 'NAME' both mean name"):
        read_customers(write(tmp_path, "customer_id,Name,NAME \n1,a,b\n"), today=TODAY)


def test_header_that_cannot_be_decoded_is_a_file_error_with_the_encoding_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "客户编号,姓名\n1,张伟\n", encoding="gbk")

    with pytest.raises(
        ImportFileError, match=r"line 1: the header is not valid utf-8 text; .*--encoding gbk"
    ):
        read_customers(path, today=TODAY)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "no such file"),
        ("empty.csv", b"", "the file is empty"),
        ("blank.csv", b"\n\r\n  \n", "no header row"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "legacy Excel .xls files are not supported"),
        ("data.json", b'{"customer_id": 1}', "unsupported file type '.json'; use a .csv or .xlsx file"),
        ("damaged.xlsx", b"not a zip at all", "not a readable .xlsx file"),
    ],
)
def test_unusable_file_raises_one_line_import_file_error(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)

    with pytest.raises(ImportFileError) as caught:
        read_customers(path, today=TODAY)

    assert message in str(caught.value)
    assert str(caught.value).startswith(str(path))
    assert "\n" not in str(caught.value)


def test_directory_instead_of_file_is_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="is a directory"):
        read_customers(tmp_path, today=TODAY)


def test_unknown_encoding_is_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="unknown encoding 'klingon'"):
        read_customers(write(tmp_path, "customer_id\n1\n"), encoding="klingon", today=TODAY)


def test_a_non_text_codec_is_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="'base64' is not a text encoding"):
        read_customers(write(tmp_path, "customer_id\n1\n"), encoding="base64", today=TODAY)


def test_utf16_without_bom_read_as_utf8_points_at_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, "customer_id,name\n1,Ann\n", encoding="utf-16-le")

    with pytest.raises(ImportFileError, match="--encoding utf-16"):
        read_customers(path, today=TODAY)


def test_progress_is_called_with_rows_processed_and_finally_the_total(tmp_path: Path) -> None:
    lines = "".join(f"{n:05d},1997-01-01,1,1.00\n" for n in range(2500))
    calls: list[int] = []

    read_purchases(write(tmp_path, "customer_id,date,quantity,amount\n" + lines), progress=calls.append)

    assert calls == [1000, 2000, 2500]


def test_record_too_long_for_the_csv_module_is_a_bad_row_and_reading_goes_on(tmp_path: Path) -> None:
    huge = "x" * 200_000
    text = f"customer_id,name\nC1,{huge}\nC2,Bo\n"

    result = read_customers(write(tmp_path, text), today=TODAY)

    assert [bad.line for bad in result.bad_rows] == [2]
    assert "cannot read this CSV record" in result.bad_rows[0].reason
    assert [(line, r.customer_id) for line, r in result.records] == [(3, "C2")]


def test_unclosed_quote_is_a_bad_row_instead_of_silently_swallowing_the_rest(tmp_path: Path) -> None:
    text = 'customer_id,name\nC1,Ann\nC2,"Bo\nC3,Cy\nC4,Di\n'

    result = read_customers(write(tmp_path, text), today=TODAY)

    assert [r.customer_id for _, r in result.records] == ["C1"]
    assert [str(bad) for bad in result.bad_rows] == [
        "line 3: a quoted value opened here is never closed, so lines 3-5 were read as one row; "
        'check the " characters'
    ]


def test_last_line_without_newline_and_stray_quote_in_a_value_are_fine(tmp_path: Path) -> None:
    text = 'customer_id,name,tags\nC1,"Ann ""The Fan"" Lee","a\nb"\nC2,12" vinyl,x'

    result = read_customers(write(tmp_path, text), today=TODAY)

    assert [(r.name, r.tags) for _, r in result.records] == [
        ('Ann "The Fan" Lee', ("a b",)),
        ('12" vinyl', ("x",)),
    ]


SHARED_CDNOW = Path(__file__).resolve().parents[2] / "bot" / "demo" / "data" / "cdnow_sample.csv"


def test_shared_cdnow_file_reads_every_purchase_with_a_distinct_id() -> None:
    result = read_purchases(SHARED_CDNOW, today=TODAY)

    assert result.bad_rows == []
    assert len(result.records) == result.total_rows == 6919
    assert len({record.order_id for _, record in result.records}) == 6919  # 19 rows repeat exactly
    assert sum(record.amount == 0 for _, record in result.records) == 8
    line, first = result.records[0]
    assert (line, first.customer_id) == (2, "00004")
