"""Query options ($top, $select, $filter, $count, $orderby, $skiptoken) and keyset paging.

A page is read with a fixed number of queries whatever the data size: one per source (a member list
has four: users, groups, devices, service principals), plus one count per source when ``$count=true``.
``@odata.nextLink`` carries an opaque ``$skiptoken``: the last key seen, signed together with a
fingerprint of the query, so a token can't be forged or replayed against a different query.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from django.core import signing
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from portal.authz import user_read_access
from portal.directory_policy import UserReadAccess
from portal.site.api.errors import ApiError, bad_request
from portal.site.api.odata import compile_filter
from portal.site.api.serializers import PROPERTIES

DEFAULT_TOP = 100
MAX_TOP = 999
SIGNING_SALT = "groupdesk.api.skiptoken"
KNOWN_OPTIONS = ("$top", "$select", "$filter", "$count", "$orderby", "$skiptoken")
# Orderable properties → model field, per resource (Graph supports few; these are its common ones).
ORDERABLE = {
    "user": {"displayName": "display_name", "userPrincipalName": "user_principal_name"},
    "group": {"displayName": "display_name"},
}


@dataclass
class QueryOptions:
    resource: str
    top: int = DEFAULT_TOP
    select: list[str] | None = None
    filter: str | None = None
    count: bool = False
    orderby: tuple[str, bool] | None = None  # (model field, descending)
    skiptoken: str | None = None
    raw: dict[str, str] = field(default_factory=dict)


def parse_options(request: HttpRequest, resource: str, *, collection: bool = True) -> QueryOptions:
    """Read and check the query options; anything unsupported is a 400 that names it."""
    raw: dict[str, str] = {}
    for name in request.GET:
        if not name.startswith("$"):
            continue  # Graph ignores other parameters
        if name not in KNOWN_OPTIONS:
            raise bad_request(
                f"Query option '{name}' is not supported (supported: {', '.join(KNOWN_OPTIONS)})."
            )
        values = request.GET.getlist(name)
        if len(values) > 1:
            raise bad_request(f"Query option '{name}' was given more than once.")
        raw[name] = values[0]
    if not collection:
        extra = sorted(set(raw) - {"$select"})
        if extra:
            raise bad_request(f"Query option '{extra[0]}' only applies to collections.")
    options = QueryOptions(resource=resource, raw=raw)
    if "$top" in raw:
        try:
            options.top = int(raw["$top"])
        except ValueError:
            raise bad_request(f"Invalid page size specified: '{raw['$top']}'.") from None
        if not 1 <= options.top <= MAX_TOP:
            raise bad_request(
                f"Invalid page size specified: '{options.top}'. Must be between 1 and {MAX_TOP}."
            )
    if "$select" in raw:
        allowed = PROPERTIES[resource]
        selected = [p.strip() for p in raw["$select"].split(",") if p.strip()]
        for prop in selected:
            if prop not in allowed:
                graph_type = f"microsoft.graph.{resource}"
                raise bad_request(f"Could not find a property named '{prop}' on type '{graph_type}'.")
        options.select = selected or None
    if "$filter" in raw:
        options.filter = raw["$filter"]
    if "$count" in raw:
        value = raw["$count"].lower()
        if value not in ("true", "false"):
            raise bad_request(f"$count must be true or false, not '{raw['$count']}'.")
        options.count = value == "true"
        # A $skiptoken proves the first page was asked properly: SDK page iterators don't repeat headers.
        eventual = request.headers.get("ConsistencyLevel", "").lower() == "eventual"
        if options.count and not eventual and "$skiptoken" not in raw:
            raise bad_request(
                "$count needs the request header 'ConsistencyLevel: eventual' (advanced query).",
                code="Request_BadRequest",
            )
    if "$orderby" in raw:
        options.orderby = _parse_orderby(raw["$orderby"], resource)
    options.skiptoken = raw.get("$skiptoken")
    return options


def _parse_orderby(text: str, resource: str) -> tuple[str, bool]:
    parts = text.split()
    orderable = ORDERABLE.get(resource, {})
    if not parts or len(parts) > 2 or parts[0] not in orderable:
        raise bad_request(
            f"Unsupported $orderby '{text}': order by one of {', '.join(orderable) or 'nothing'} "
            "(asc or desc)."
        )
    direction = parts[1].lower() if len(parts) == 2 else "asc"
    if direction not in ("asc", "desc"):
        raise bad_request(f"Unsupported $orderby direction '{parts[1]}': use asc or desc.")
    return orderable[parts[0]], direction == "desc"


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

    querysets = [source.queryset for source in sources]
    if options.filter is not None:
        readable = user_read_access(request.actor)
        querysets = _filtered(querysets, sources, options.filter, tenant, readable)

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
                next_state = {"r": index, "k": [str(getattr(last, k)) for k in keys]}
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


def _filtered(
    querysets: list[QuerySet], sources: list[Source], text: str, tenant: Any, readable: UserReadAccess
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
            result.append(qs.filter(compile_filter(text, source.filter_resource, tenant, only)))
        except ApiError as exc:
            errors.append(exc)
            result.append(qs.none())
    if errors and len(errors) == sum(1 for s in sources if s.filter_resource):
        raise next((e for e in errors if e.status == 403), errors[0])
    if not any(s.filter_resource for s in sources):
        raise bad_request("$filter isn't supported on this collection.")
    return result


def _link(request: HttpRequest, options: QueryOptions, token: str) -> str:
    params = {k: v for k, v in options.raw.items() if k != "$skiptoken"}
    params["$skiptoken"] = token
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
    return request.build_absolute_uri(request.path) + "?" + query
