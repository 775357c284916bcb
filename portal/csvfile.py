"""Reading the CSV files of the import commands: the header check and the row loop they share."""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterator

from portal.errors import Invalid


class ImportError_(Invalid):  # noqa: N801 - "ImportError" is a builtin
    """A file that can't be imported; ``errors`` lists (line, message) pairs."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__("; ".join(f"line {line}: {msg}" for line, msg in errors))
        self.errors = errors

    def problems(self) -> dict[str | None, list[str]]:
        return {None: [f"line {line}: {msg}" for line, msg in self.errors]}


def csv_rows(
    text: str, *, required: str, known: Collection[str], errors: list[tuple[int, str]]
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, stripped cells) of each non-blank row; the header is line 1.

    A header without the ``required`` column or with a column not in ``known`` refuses the whole file;
    a row with more cells than columns is appended to ``errors`` and skipped.
    """
    reader = csv.DictReader(io.StringIO(text))
    headers = [h.strip() for h in (reader.fieldnames or [])]
    if required not in headers:
        raise ImportError_([(1, f"the header must name a {required} column")])
    unknown = [h for h in headers if h not in known]
    if unknown:
        raise ImportError_([(1, f"unknown column {', '.join(repr(u) for u in unknown)}")])
    for line, raw_row in enumerate(reader, start=2):
        if None in raw_row:
            errors.append((line, "more cells than columns"))
            continue
        cells = {k.strip(): (v or "").strip() for k, v in raw_row.items()}
        if any(cells.values()):  # a blank line is skipped
            yield line, cells
