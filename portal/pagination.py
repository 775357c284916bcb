"""Paginators for lists whose count costs more than their page.

``CappedPaginator``: a count that stops at a cap. Counting every row of a 100,000-user directory or a
million-event audit log costs more than the page itself, and nobody pages to the 2,001st page (they
filter). It counts at most ``cap + 1`` rows (``COUNT`` over a ``LIMIT``), so the cost is flat.

``CountingPaginator``: the count read with the page, in one query."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Count, Window
from django.utils.functional import cached_property

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    cap = COUNT_CAP

    def __init__(self, object_list, per_page, *args, cap: int | None = None, **kwargs) -> None:
        super().__init__(object_list, per_page, *args, **kwargs)
        if cap is not None:
            self.cap = cap

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if hasattr(rows, "order_by"):  # a queryset: neither its order nor what it shows counts
            rows = rows.order_by().values("pk")
        return min(rows[: self.cap + 1].count(), self.cap + 1)

    @property
    def capped(self) -> bool:
        """More rows than counted: the page shows "more than 10,000"."""
        return self.count > self.cap

    @property
    def count_label(self) -> str:
        return f"more than {self.cap:,}" if self.capped else f"{self.count:,}"


class CountingPaginator(Paginator):
    """Reads a page and the number of rows in one query (``COUNT(*) OVER ()``), for a list whose rows are
    costly to find: a member of a thousand groups through nesting had the nesting walked, and the groups
    found, once for the count and again for the page. Only a page past the end (none of its rows to carry
    the total) falls back to counting first."""

    def get_page(self, number) -> Page:
        try:
            wanted = int(number)
        except (TypeError, ValueError):
            wanted = 1
        if wanted >= 1 and "count" not in self.__dict__:
            bottom = (wanted - 1) * self.per_page
            counted = self.object_list.annotate(rows_in_list=Window(Count("*")))
            rows = list(counted[bottom : bottom + self.per_page])
            if rows or wanted == 1:
                self.count = rows[0].rows_in_list if rows else 0  # a cached property, set here
                return self._get_page(rows, wanted, self)
        return super().get_page(number)
