"""Paginators for lists whose count costs more than their page.

``CappedPaginator``: a count that stops at a cap. Counting every row of a 100,000-user directory or a
million-event audit log costs more than the page itself. It counts at most ``cap + 1`` rows (``COUNT``
over a ``LIMIT``), so the cost is flat; past the cap the list still pages on (each page reads one row
more than it shows, to know whether another follows), so no row is out of reach.

``CountingPaginator``: the count read with the page, in one query."""

from __future__ import annotations

from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import Count, Window
from django.utils.functional import cached_property

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """``object_list``: a queryset."""

    cap = COUNT_CAP
    exact = False  # counted to the end after all (a page asked for past the last row)

    def __init__(self, object_list, per_page, *args, cap: int | None = None, **kwargs) -> None:
        super().__init__(object_list, per_page, *args, **kwargs)
        if cap is not None:
            self.cap = cap

    @cached_property
    def count(self) -> int:
        return min(self._ids()[: self.cap + 1].count(), self.cap + 1)

    def _ids(self):
        rows = self.object_list
        if hasattr(rows, "order_by"):  # a queryset: neither its order nor what it shows counts
            rows = rows.order_by().values("pk")
        return rows

    @property
    def capped(self) -> bool:
        """More rows than counted: the page shows "more than 10,000"."""
        return self.count > self.cap and not self.exact

    @property
    def count_label(self) -> str:
        return f"more than {self.cap:,}" if self.capped else f"{self.count:,}"

    @property
    def pages_label(self) -> str:
        """What "Page 3 of ..." says: the number of pages, or past the cap "more than 40"."""
        return f"more than {self.cap // self.per_page:,}" if self.capped else f"{self.num_pages:,}"

    def validate_number(self, number) -> int:
        if not self.capped:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            return super().validate_number(number)  # the same PageNotAnInteger
        if number < 1:
            raise EmptyPage("That page number is less than 1")
        return number  # no last page to stop at: an empty page is found by reading it

    def get_page(self, number) -> Page:
        try:
            return super().get_page(number)
        except EmptyPage:
            # Past the last row of a list longer than the cap (a page number typed in): count every row,
            # this once, to answer with the last page, as a list under the cap does.
            self.count, self.exact = self._ids().count(), True
            self.__dict__.pop("num_pages", None)
            return super().get_page(self.num_pages)

    def page(self, number) -> Page:
        number = self.validate_number(number)
        if not self.capped:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage("That page contains no results")
        return CappedPage(rows[: self.per_page], number, self, more=len(rows) > self.per_page)


class CappedPage(Page):
    """A page of a list whose count stopped at the cap: whether another page follows is known from the
    row read beyond it, not from the count."""

    def __init__(self, object_list, number, paginator, *, more: bool) -> None:
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more

    def end_index(self) -> int:
        return self.start_index() + len(self.object_list) - 1 if self.object_list else 0


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
