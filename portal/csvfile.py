"""CSV in and out: reading uploaded and imported files, and writing every CSV export.

Reading (``csv_records``, ``csv_rows``): any line ending (``\\n``, ``\\r\\n`` or a bare ``\\r``, as old
Mac spreadsheets save), a file the csv module can't read and a NUL cell (PostgreSQL can't store NUL) are
refused with their line number, never raised as ``csv.Error``.

Writing (``csv_lines``): every cell of every export goes through ``safe_cell``, so a spreadsheet opens a
value starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as text, never as a formula
(OWASP's CSV injection advice).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable, Iterator
from typing import Any

from portal.errors import Invalid

NUL_CELL = "a cell contains a NUL character, which can't be stored"
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ImportError_(Invalid):  # noqa: N801 - "ImportError" is a builtin
    """A file that can't be imported; ``errors`` lists (line, message) pairs."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__("; ".join(f"line {line}: {msg}" for line, msg in errors))
        self.errors = errors

    def problems(self) -> dict[str | None, list[str]]:
        return {None: [f"line {line}: {msg}" for line, msg in self.errors]}


def uploaded_csv_text(upload: Any, *, missing: str) -> str:
    """The text of a CSV file uploaded on a page (a Django ``UploadedFile`` or None), or ``Invalid``
    saying what is wrong: ``missing`` when there is none, too large, or not UTF-8 (a BOM is dropped, as
    spreadsheets save "CSV UTF-8" with one)."""
    if upload is None:
        raise Invalid(missing)
    if upload.size > MAX_UPLOAD_BYTES:
        raise Invalid("The file is larger than 2 MB.")
    try:
        return upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("The file is not UTF-8 text: save it as CSV UTF-8.") from None


def csv_records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, cells) of each record, whatever the line endings.

    A file the csv module can't read (a cell over its size limit...) raises ImportError_ with the line.
    """
    reader = csv.reader(io.StringIO(text, newline=""))  # newline="": \r, \n and \r\n all end a line
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ImportError_([(reader.line_num or 1, f"the file can't be read as CSV ({exc})")]) from None


def csv_rows(
    text: str, *, required: str, known: Collection[str], errors: list[tuple[int, str]]
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, stripped cells) of each non-blank row; the header is line 1.

    A header without the ``required`` column or with a column not in ``known`` refuses the whole file;
    a row with more cells than columns, or with a NUL character, is appended to ``errors`` and skipped.
    """
    records = csv_records(text)
    headers = [h.strip() for h in next(records, (1, []))[1]]
    if required not in headers:
        raise ImportError_([(1, f"the header must name a {required} column")])
    unknown = [h for h in headers if h not in known]
    if unknown:
        raise ImportError_([(1, f"unknown column {', '.join(repr(u) for u in unknown)}")])
    for line, raw in records:
        if len(raw) > len(headers):
            errors.append((line, "more cells than columns"))
            continue
        if any("\x00" in cell for cell in raw):
            errors.append((line, NUL_CELL))
            continue
        cells = {h: (raw[i] if i < len(raw) else "").strip() for i, h in enumerate(headers)}
        if any(cells.values()):  # a blank line is skipped
            yield line, cells


def safe_cell(value: Any) -> str:
    """The text of a cell, with a leading ``'`` when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The lines of a CSV export (for a StreamingHttpResponse), every cell through ``safe_cell``."""
    writer = csv.writer(_Echo())
    yield writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])
