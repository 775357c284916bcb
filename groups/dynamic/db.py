"""Database functions that make SQLite compare text the way PostgreSQL and Python do.

SQLite's own LOWER() and LIKE fold ASCII letters only, and Django's REGEXP uses Python's ``re`` with
other flags than ours. So on SQLite we register GD_LOWER (Python's ``str.lower``) and GD_REGEXP (the
evaluator's own ``regex.search``): SQLite then gives exactly the evaluator's answers. On PostgreSQL,
LOWER() and ``~*`` are Unicode-aware and agree with Python for the letters people put in directory
attributes (Latin, Greek, Cyrillic with their accents); the odd letters whose case mapping differs
between Python and PostgreSQL's locale (Turkish dotted İ, for one) may compare differently there.
"""

from __future__ import annotations

from django.db.models import BooleanField, Func, Value
from django.db.models.functions import Lower

from groups.rules import regex


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def _regexp(value, pattern) -> bool:
    try:
        return regex.search(pattern, value if value is None else str(value))
    except regex.RegexError:
        return False


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        raw = connection.connection
        raw.create_function("GD_LOWER", 1, _lower, deterministic=True)
        raw.create_function("GD_REGEXP", 2, _regexp, deterministic=True)


class CaseFold(Lower):
    """LOWER(), Unicode-aware on both databases."""

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="GD_LOWER", **extra)


class RegexSearch(Func):
    """``value -match pattern``: case-insensitive search, PostgreSQL's ``~*`` / our GD_REGEXP."""

    output_field = BooleanField()

    def __init__(self, expression, pattern: str) -> None:
        super().__init__(expression, Value(pattern))

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" ~* ", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(
            compiler,
            connection,
            function="GD_REGEXP",
            template="%(function)s(%(expressions)s)",
            arg_joiner=", ",
            **extra,
        )
