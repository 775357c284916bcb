from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.csvfile import ImportError_, csv_lines, csv_records, csv_rows, safe_cell, uploaded_csv_text
from portal.errors import Invalid
from portal.models import User
from portal.services import users_import

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("text", ["=1", "+1", "-1", "@x", "\tx", "\rx"])
def test_it_makes_formula_cells_text(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Ann", "1-2", " =x", "", None, 42])
def test_it_leaves_other_cells_alone(value):
    assert safe_cell(value) == ("" if value is None else str(value))


def test_it_writes_every_cell_and_the_header_through_the_guard():
    lines = list(csv_lines(["=h", "ok"], [["+1", "a"], ["\t", None]]))
    assert lines == ["'=h,ok\r\n", "'+1,a\r\n", "'\t,\r\n"]


@pytest.mark.parametrize("ending", ["\r", "\n", "\r\n"])
def test_it_reads_records_with_their_line_numbers_whatever_the_line_endings(ending):
    text = ending.join(["a,b", "1,2", '"multi', 'line",3', "4,5", ""])
    assert list(csv_records(text)) == [
        (1, ["a", "b"]),
        (2, ["1", "2"]),
        (3, [f"multi{ending}line", "3"]),  # a quoted line break is kept as written
        (5, ["4", "5"]),
    ]


def test_it_reports_nul_cells_and_long_rows_by_line():
    errors: list = []
    text = "name,city\rann,Oslo\rb\x00b,Rome\rcarl,Paris,extra\rdora,\r"
    rows = list(csv_rows(text, required="name", known={"name", "city"}, errors=errors))
    assert rows == [(2, {"name": "ann", "city": "Oslo"}), (5, {"name": "dora", "city": ""})]
    assert [line for line, _ in errors] == [3, 4] and "NUL" in errors[0][1]


def test_it_refuses_an_unreadable_file_with_its_line():
    with pytest.raises(ImportError_) as caught:
        list(csv_records("a\nb\n" + "x" * 200_000 + "\n"))
    assert caught.value.errors[0][0] == 3


def test_it_imports_users_from_a_file_with_bare_cr_line_endings(tenant):
    users_import(
        tenant=tenant, text="userPrincipalName,displayName\rann@contoso.test,Ann\rbob@contoso.test,Bob\r"
    )
    assert set(User.objects.filter(tenant=tenant).values_list("display_name", flat=True)) == {"Ann", "Bob"}


def test_it_reads_an_uploaded_csv_or_says_what_is_wrong_with_it():
    upload = SimpleUploadedFile("m.csv", "\ufeffuserPrincipalName\nané@x.test\n".encode())
    assert uploaded_csv_text(upload, missing="Choose a file.") == "userPrincipalName\nané@x.test\n"
    refusals = [
        (None, "Choose a file."),
        (SimpleUploadedFile("big.csv", b"x" * (2 * 1024 * 1024 + 1)), "larger than 2 MB"),
        (SimpleUploadedFile("latin1.csv", "né".encode("latin-1")), "not UTF-8"),
    ]
    for bad, message in refusals:
        with pytest.raises(Invalid, match=message):
            uploaded_csv_text(bad, missing="Choose a file.")
