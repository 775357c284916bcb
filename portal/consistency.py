"""The registry behind ``manage.py check_consistency``: each feature app registers a checker that
recomputes what it keeps incrementally (dynamic memberships, licence states, stored counts, ...) from
scratch and reports every difference from what is stored. The core knows no checker by name."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from portal.models import Tenant

# ``check(tenant)`` yields one sentence per difference found in that tenant (nothing when all agree).
Checker = Callable[[Tenant], Iterable[str]]

_checkers: dict[str, Checker] = {}


@dataclass(frozen=True)
class Difference:
    checker: str
    tenant: str
    what: str

    def __str__(self) -> str:
        return f"[{self.checker}] {self.tenant}: {self.what}"


def register_checker(name: str, check: Checker) -> None:
    """Register (or replace, by name) a checker; called from an ``AppConfig.ready``."""
    _checkers[name] = check


def checker_names() -> list[str]:
    return sorted(_checkers)


def run_checks(
    *, tenants: Iterable[Tenant] | None = None, only: Iterable[str] | None = None
) -> list[Difference]:
    """Every difference every checker (or those named in ``only``) finds, tenant by tenant."""
    names = checker_names() if only is None else [n for n in checker_names() if n in set(only)]
    found: list[Difference] = []
    for tenant in tenants if tenants is not None else Tenant.objects.order_by("slug"):
        for name in names:
            found.extend(Difference(name, tenant.slug, what) for what in _checkers[name](tenant))
    return found
