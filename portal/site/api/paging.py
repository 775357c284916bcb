"""Keyset paging of a list after its query options (portal.site.api.options) are applied.

A page is read with a fixed number of queries whatever the data size: one per source (a member list
has four: users, groups, devices, service principals), plus one count per source when ``$count=true``.
``@odata.nextLink`` carries an opaque ``$skiptoken``: the last key seen, signed together with a
fingerprint of the query, so a token can't be forged or replayed against a different query.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.core import signing
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from portal.authz import user_read_access
from portal.directory_policy import UserReadAccess
from portal.site.api.errors import ApiError, bad_request, unsupported
from portal.site.api.odata import compile_filter
from portal.site.api.options import QueryOptions, parse_options
from portal.site.api.search import compile_search

SIGNING_SALT = "groupdesk.api.skiptoken"
__all__ = ["Page", "QueryOptions", "Source", "narrowed", "paginate", "parse_options"]


@dataclass
class Source:
    """One typed queryset of a list; several sources are paged one after another."""

    queryset: QuerySet
    filter_resource: str | None = None  # which $filter table applies (None: $filter is refused)


@dataclass
class Page:
    items: list[Any]
    next_link: str | None
    count: int | None


def _fingerprint(request: HttpRequest, options: QueryOptions) -> str:
    parts = [request.path] + [f"{k}={options.raw[k]}" for k in sorted(options.raw) if k != "$skiptoken"]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _keyset_after(keys: list[str], values: list[Any], descending: bool) -> Q:
    """Rows strictly after ``values`` in the order of ``keys`` (a lexicographic keyset condition)."""
    op = "lt" if descending else "gt"
    q = Q()
    condition = None
    for i, key in enumerate(keys):
        step = Q(**{f"{key}__{op}": values[i]})
        for j in range(i):
            step &= Q(**{keys[j]: values[j]})
        condition = step if condition is None else condition | step
    return q & condition


def paginate(
    request: HttpRequest,
    options: QueryOptions,
    sources: list[Source],
    *,
    tenant: Any,
) -> Page:
    """One page of the concatenated sources, each ordered by ($orderby field and) id."""
    fingerprint = _fingerprint(request, options)
    rank, after = 0, None
    if options.skiptoken is not None:
        try:
            state = signing.loads(options.skiptoken, salt=SIGNING_SALT)
        except signing.BadSignature:
            raise bad_request("The $skiptoken is invalid or was altered.") from None
        if not isinstance(state, dict) or state.get("q") != fingerprint:
            raise bad_request("The $skiptoken belongs to another query: follow @odata.nextLink as it is.")
        rank, after = state["r"], state["k"]

    keys = ["id"]
    descending = False
    if options.orderby:
        keys = [options.orderby[0], "id"]
        descending = options.orderby[1]
    ordering = [f"-{k}" if descending else k for k in keys]

    querysets = narrowed(request, options, sources, tenant)

    count = sum(qs.count() for qs in querysets) if options.count else None

    items: list[Any] = []
    next_state = None
    for index in range(rank, len(querysets)):
        qs = querysets[index].order_by(*ordering)
        if index == rank and after is not None:
            qs = qs.filter(_keyset_after(keys, after, descending))
        room = options.top - len(items)
        rows = list(qs[: room + 1])
        if len(rows) > room:
            items.extend(rows[:room])
            if room:
                last = items[-1]
                # A model instance, or a row of a ``.values()`` queryset (a list read without instances).
                key_of = last.__getitem__ if isinstance(last, dict) else last.__getattribute__
                next_state = {"r": index, "k": [str(key_of(k)) for k in keys]}
            else:
                next_state = {"r": index, "k": None}
            break
        items.extend(rows)
    next_link = None
    if next_state is not None:
        next_state["q"] = fingerprint
        token = signing.dumps(next_state, salt=SIGNING_SALT, compress=True)
        next_link = _link(request, options, token)
    return Page(items=items, next_link=next_link, count=count)


def narrowed(
    request: HttpRequest, options: QueryOptions, sources: list[Source], tenant: Any
) -> list[QuerySet]:
    """Each source's queryset with $filter and $search applied."""
    querysets = [source.queryset for source in sources]
    if options.filter is not None:
        readable = user_read_access(request.actor)
        querysets = _filtered(querysets, sources, options.filter, tenant, readable, options.advanced)
    if options.search is not None:
        querysets = _searched(querysets, sources, options.search, tenant)
    return querysets


def _searched(querysets: list[QuerySet], sources: list[Source], text: str, tenant: Any) -> list[QuerySet]:
    if not any(s.filter_resource for s in sources):
        raise unsupported("$search isn't supported on this collection.")
    return [
        qs.filter(compile_search(text, source.filter_resource, tenant))
        if source.filter_resource
        else qs.none()
        for qs, source in zip(querysets, sources, strict=True)
    ]


def _filtered(
    querysets: list[QuerySet],
    sources: list[Source],
    text: str,
    tenant: Any,
    readable: UserReadAccess,
    advanced: bool = False,
) -> list[QuerySet]:
    """Apply $filter to each source. In a list of several object types, a type that doesn't have the
    filtered property simply matches nothing; the filter is refused only when no type can take it (403
    when it names a user property the caller can't read of other users)."""
    result, errors = [], []
    for qs, source in zip(querysets, sources, strict=True):
        if source.filter_resource is None:
            result.append(qs.none())
            continue
        try:
            only = None if readable.everything or source.filter_resource != "user" else readable
            result.append(qs.filter(compile_filter(text, source.filter_resource, tenant, only, advanced)))
        except ApiError as exc:
            errors.append(exc)
            result.append(qs.none())
    if errors and len(errors) == sum(1 for s in sources if s.filter_resource):
        raise next((e for e in errors if e.status == 403), errors[0])
    if not any(s.filter_resource for s in sources):
        raise unsupported("$filter isn't supported on this collection.")
    return result


def _link(request: HttpRequest, options: QueryOptions, token: str) -> str:
    params = {k: v for k, v in options.raw.items() if k != "$skiptoken"}
    params["$skiptoken"] = token
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
    return request.build_absolute_uri(request.path) + "?" + query
