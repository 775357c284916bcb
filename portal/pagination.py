"""A paginator whose count stops at a cap: counting every row of a 100,000-user directory or a
million-event audit log costs more than the page itself, and nobody pages to the 2,001st page (they
filter). It counts at most ``cap + 1`` rows (``COUNT`` over a ``LIMIT``), so the cost is flat."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    cap = COUNT_CAP

    @cached_property
    def count(self) -> int:
        rows = self.object_list.order_by() if hasattr(self.object_list, "order_by") else self.object_list
        return min(rows[: self.cap + 1].count(), self.cap + 1)

    @property
    def capped(self) -> bool:
        """More rows than counted: the page shows "more than 10,000"."""
        return self.count > self.cap

    @property
    def count_label(self) -> str:
        return f"more than {self.cap:,}" if self.capped else f"{self.count:,}"
