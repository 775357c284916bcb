"""``$search`` as Graph reads it on directory objects: ``"property:words"`` clauses, joined by AND or OR.

Graph tokenizes the property's value into words and matches words that *start with* the searched
ones (``"displayName:wa"`` finds "Water Coolers" and "Alex Wawa"), ignoring case. Here a clause
matches when each of its words starts the value or a word inside it. Only ``displayName``,
``description``, ``mail``, ``mailNickname``, ``userPrincipalName``, ``givenName`` and ``surname``
are searchable, as in Graph; anything else is ``400 Request_UnsupportedQuery``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.db.models import Q

from groups.models import GroupKind
from portal.site.api.errors import bad_request, unsupported

MAX_SEARCH_LENGTH = 1024
_CLAUSE = re.compile(r'\s*"(?P<prop>[A-Za-z]+):(?P<term>[^"]*)"\s*')
_JOIN = re.compile(r"\s*(?P<op>AND|OR)\s*", re.IGNORECASE)


def _words(field: str) -> Callable[[str], Q]:
    def build(word: str) -> Q:
        # A word starts the value, or follows a space, a dot, an @, a dash or an underscore in it.
        q = Q(**{f"{field}__istartswith": word})
        for separator in (" ", ".", "@", "-", "_"):
            q |= Q(**{f"{field}__icontains": separator + word})
        return q

    return build


def _group_mail(word: str) -> Q:
    local = word.split("@")[0]
    return ~Q(kind=GroupKind.SECURITY) & _words("mail_nickname")(local)


SEARCHABLE: dict[str, dict[str, Callable[[str], Q]]] = {
    "user": {
        "displayName": _words("display_name"),
        "givenName": _words("given_name"),
        "surname": _words("surname"),
        "mail": _words("mail"),
        "mailNickname": _words("mail_nickname"),
        "userPrincipalName": _words("user_principal_name"),
    },
    "group": {
        "displayName": _words("display_name"),
        "description": _words("description"),
        "mail": _group_mail,
        "mailNickname": _words("mail_nickname"),
    },
}


def compile_search(text: str, resource: str, tenant: Any) -> Q:
    """``$search`` text → ``Q`` over the resource's model (a 400 when it can't be)."""
    if len(text) > MAX_SEARCH_LENGTH:
        raise bad_request(f"$search is longer than {MAX_SEARCH_LENGTH} characters.")
    props = SEARCHABLE.get(resource)
    if props is None:
        raise unsupported(f"$search isn't supported on {resource} objects.")
    by_lower = {name.lower(): name for name in props}
    q: Q | None = None
    pos, op = 0, "and"
    while True:
        match = _CLAUSE.match(text, pos)
        if match is None:
            raise bad_request(
                'Syntax error in $search: write "property:words" in double quotes, joined by AND or OR '
                '(e.g. "displayName:alex" OR "mail:alex").'
            )
        name = by_lower.get(match.group("prop").lower())
        if name is None:
            raise unsupported(
                f"$search on '{match.group('prop')}' isn't supported (searchable: {', '.join(props)})."
            )
        clause = Q()
        for word in match.group("term").split():
            clause &= props[name](word)
        q = clause if q is None else (q & clause if op == "and" else q | clause)
        pos = match.end()
        if pos >= len(text):
            return q
        join = _JOIN.match(text, pos)
        if join is None:
            raise bad_request(f"Syntax error in $search at position {pos + 1}: expected AND or OR.")
        op, pos = join.group("op").lower(), join.end()
