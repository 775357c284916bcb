"""``field__any_of=[...]``: membership in a long list of values as ONE array parameter on PostgreSQL.

``field__in=[...]`` writes one placeholder per value: with the ~1,000 group ids of a user in many nested
groups, psycopg spends longer splitting and quoting the SQL than PostgreSQL spends running it (measured:
most of /my/groups/discover/'s time at 100,000 users). ``= ANY(%s)`` sends the list as one array and is
planned the same (a hashed array). Other databases get ``IN (...)``, as ``__in`` would.

The array goes as its text (``{id,id,...}``), written here in one join for UUIDs and integers: the
driver quotes a list element by element in Python (client-side binding), 2 ms for the thousand group ids
of such a member, twice per discover page (PostgreSQL reads the same array from either).

Given ``ArrayText`` (an array as the database itself wrote it, ``array_agg(...)::text``), PostgreSQL
gets that text untouched: ids a page only hands back to the database need no Python object each.

Given a queryset instead of a list, PostgreSQL gets ``= ANY(ARRAY(SELECT ...))``: the subquery runs once,
first, and the outer table is probed by its index for each id, where ``IN (SELECT ...)`` is planned as a
join that prices a few hundred index probes above hashing the whole table (``/v1.0/me/memberOf`` of a
member of 302 groups: a hash of all 10,014 groups, 21-33 ms -> 2 ms).
"""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import EmptyResultSet
from django.db import NotSupportedError
from django.db.models import Field, ForeignObject, IntegerField, UUIDField
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In


class ArrayText(str):
    """An array as PostgreSQL's text (``{a,b,c}``), read so from the database, for ``field__any_of``: sent
    back as the parameter as it is. The ids of a member of a thousand groups, read as a set and sent back,
    cost a UUID object and three conversions each (3 ms of discover's page)."""


class _AnyOfArray:
    lookup_name = "any_of"

    def get_prep_lookup(self):
        if isinstance(self.rhs, ArrayText):
            return self.rhs  # one value, not a list of characters
        if self._plain_keys():
            return self.rhs  # each value is what its preparation would return: no call per id
        return super().get_prep_lookup()

    def _plain_keys(self) -> bool:
        """The values are already the key's own type: UUIDs for a UUID key (or a foreign key to one),
        ints for an integer one. Preparing them one by one returns each unchanged, at a few calls per id:
        a transitive member list through a few hundred nested groups prepared thousands a page (~3 ms)."""
        if not isinstance(self.rhs, (list, set, frozenset, tuple)) or not self.rhs:
            return False
        field = self.lhs.output_field
        target = getattr(field, "target_field", field)
        if isinstance(target, UUIDField):
            return all(type(v) is UUID for v in self.rhs)
        if isinstance(target, IntegerField):
            return all(type(v) is int for v in self.rhs)
        return False

    def as_sql(self, compiler, connection):
        if isinstance(self.rhs, ArrayText):
            raise NotSupportedError("An array's text is PostgreSQL's: other databases get a list of ids.")
        return super().as_sql(compiler, connection)

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if not self.rhs_is_direct_value():  # a queryset: "(SELECT ...)"
            rhs, rhs_params = self.process_rhs(compiler, connection)
            return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)
        array = self._array_parameter(connection)
        if array is None:
            raise EmptyResultSet
        return f"{lhs} = ANY(%s::{self.lhs.output_field.db_type(connection)}[])", (*lhs_params, array)

    def _array_parameter(self, connection):
        """The values as one array parameter (None when there are none), prepared once per lookup: a page
        and its count compile the same one, and a thousand ids cost a millisecond of Python each time."""
        if isinstance(self.rhs, ArrayText):
            return str(self.rhs)
        if not hasattr(self, "_array"):
            if self._plain_keys():
                values = list(self.rhs)
            else:
                field = self.lhs.output_field
                values = [
                    field.get_db_prep_value(v, connection, prepared=True) for v in self.rhs if v is not None
                ]
            self._array = _array_text(values) if values else None
        return self._array


def _array_text(values: list) -> str | list:
    """UUIDs or integers as PostgreSQL's array text; other values as the list, for the driver to quote."""
    if all(isinstance(v, UUID) for v in values):
        return "{" + ",".join([v.hex for v in values]) + "}"
    if all(type(v) is int for v in values):
        return "{" + ",".join([str(v) for v in values]) + "}"
    return values


class AnyOf(_AnyOfArray, In):
    pass


class RelatedAnyOf(_AnyOfArray, RelatedIn):
    """``group_id__any_of`` / ``group__any_of`` on a foreign key (ids or objects)."""


def register() -> None:
    """From ``PortalConfig.ready``."""
    Field.register_lookup(AnyOf)
    ForeignObject.register_lookup(RelatedAnyOf)
