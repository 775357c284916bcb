"""``field__any_of=[...]``: membership in a long list of values as ONE array parameter on PostgreSQL.

``field__in=[...]`` writes one placeholder per value: with the ~1,000 group ids of a user in many nested
groups, psycopg spends longer splitting and quoting the SQL than PostgreSQL spends running it (measured:
most of /my/groups/discover/'s time at 100,000 users). ``= ANY(%s)`` sends the list as one array and is
planned the same (a hashed array). Other databases get ``IN (...)``, as ``__in`` would.

Given a queryset instead of a list, PostgreSQL gets ``= ANY(ARRAY(SELECT ...))``: the subquery runs once,
first, and the outer table is probed by its index for each id, where ``IN (SELECT ...)`` is planned as a
join that prices a few hundred index probes above hashing the whole table (``/v1.0/me/memberOf`` of a
member of 302 groups: a hash of all 10,014 groups, 21-33 ms -> 2 ms).
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In


class _AnyOfArray:
    lookup_name = "any_of"

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if not self.rhs_is_direct_value():  # a queryset: "(SELECT ...)"
            rhs, rhs_params = self.process_rhs(compiler, connection)
            return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)
        field = self.lhs.output_field
        values = [field.get_db_prep_value(v, connection, prepared=True) for v in self.rhs if v is not None]
        if not values:
            raise EmptyResultSet
        return f"{lhs} = ANY(%s::{field.db_type(connection)}[])", (*lhs_params, values)


class AnyOf(_AnyOfArray, In):
    pass


class RelatedAnyOf(_AnyOfArray, RelatedIn):
    """``group_id__any_of`` / ``group__any_of`` on a foreign key (ids or objects)."""


def register() -> None:
    """From ``PortalConfig.ready``."""
    Field.register_lookup(AnyOf)
    ForeignObject.register_lookup(RelatedAnyOf)
