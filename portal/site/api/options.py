"""Query options as Graph reads them: ``$top``, ``$select``, ``$filter``, ``$count``, ``$orderby``,
``$search``, ``$expand``, ``$skiptoken``.

Option and property names are case-insensitive, as Graph's are; on ``/beta`` the ``$`` is optional.
Graph's *advanced queries* need the ``ConsistencyLevel: eventual`` header (``$search``) and also
``$count=true`` (``endsWith``, ``$orderby`` together with ``$filter``); without them the answer is
Graph's own ``400 Request_UnsupportedQuery``. Anything Groupdesk doesn't support is refused with that
code too, never silently ignored. A ``$skiptoken`` proves the first page passed these checks (SDK page
iterators don't repeat headers), so later pages aren't refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.http import HttpRequest

from portal.site.api.errors import REQUEST_BAD_REQUEST, ApiError, bad_request, unsupported
from portal.site.api.serializers import CANONICAL

DEFAULT_TOP = 100
MAX_TOP = 999
EXPAND_LIMIT = 20  # Graph expands at most 20 related objects
KNOWN_OPTIONS = ("$top", "$select", "$filter", "$count", "$orderby", "$skiptoken", "$search", "$expand")
ODATA_OPTIONS = ("$skip", "$format", "$levels", "$apply", "$compute", "$index", "$schemaversion")
# Orderable properties → model field, per resource (Graph supports few; these are its common ones).
ORDERABLE = {
    "user": {"displayName": "display_name", "userPrincipalName": "user_principal_name"},
    "group": {"displayName": "display_name"},
}
# $expand: what each resource expands, and the resource of the objects it brings.
EXPANDABLE = {
    "group": {"members": "directoryObject", "owners": "directoryObject", "memberOf": "directoryObject"},
    "user": {"manager": "directoryObject", "memberOf": "directoryObject"},
}
SORTING_NOT_SUPPORTED = "Sorting not supported for current query."
SEARCH_NEEDS_EVENTUAL = (
    "Request with $search query parameter only works through MSGraph with a special request header: "
    "'ConsistencyLevel: eventual'"
)
_EXPAND_ITEM = re.compile(r"^\s*(?P<name>[A-Za-z]+)\s*(?:\((?P<inner>[^()]*)\))?\s*$")


@dataclass
class Expand:
    name: str  # Graph's spelling: members, owners, memberOf, manager
    select: list[str] | None = None


@dataclass
class QueryOptions:
    resource: str
    top: int = DEFAULT_TOP
    select: list[str] | None = None
    filter: str | None = None
    count: bool = False
    orderby: tuple[str, bool] | None = None  # (model field, descending)
    skiptoken: str | None = None
    search: str | None = None
    expand: list[Expand] = field(default_factory=list)
    eventual: bool = False  # ConsistencyLevel: eventual
    raw: dict[str, str] = field(default_factory=dict)

    @property
    def advanced(self) -> bool:
        """Graph's advanced query: the header and $count=true (or a page after one)."""
        return (self.eventual and self.count) or self.skiptoken is not None


def raw_options(request: HttpRequest) -> dict[str, str]:
    """The query options by their canonical ``$name``: any case; without ``$`` on /beta."""
    beta = request.path.strip("/").split("/")[0] == "beta"
    raw: dict[str, str] = {}
    for name in request.GET:
        lowered = name.lower()
        if not lowered.startswith("$"):
            if not beta or f"${lowered}" not in KNOWN_OPTIONS + ODATA_OPTIONS:
                continue  # Graph ignores other parameters
            lowered = f"${lowered}"
        if lowered not in KNOWN_OPTIONS:
            raise unsupported(
                f"Query option '{name}' is not supported (supported: {', '.join(KNOWN_OPTIONS)})."
            )
        values = request.GET.getlist(name)
        if len(values) > 1 or lowered in raw:
            raise bad_request(f"Query option '{lowered}' was given more than once.")
        raw[lowered] = values[0]
    return raw


def parse_options(request: HttpRequest, resource: str, *, collection: bool = True) -> QueryOptions:
    """Read and check the query options; anything unsupported is a 400 that names it."""
    raw = raw_options(request)
    if not collection:
        extra = sorted(set(raw) - {"$select", "$expand"})
        if extra:
            raise unsupported(f"Query option '{extra[0]}' only applies to collections.")
    options = QueryOptions(resource=resource, raw=raw)
    options.eventual = request.headers.get("ConsistencyLevel", "").lower() == "eventual"
    options.skiptoken = raw.get("$skiptoken")
    if "$top" in raw:
        options.top = _top(raw["$top"])
    if "$select" in raw:
        options.select = parse_select(raw["$select"], resource)
    if "$filter" in raw:
        options.filter = raw["$filter"]
    if "$count" in raw:
        _count(options, raw["$count"])
    if "$orderby" in raw:
        options.orderby = _parse_orderby(raw["$orderby"], resource)
        if options.filter is not None and not options.advanced:
            raise unsupported(SORTING_NOT_SUPPORTED)
    if "$search" in raw:
        if not options.eventual and options.skiptoken is None:
            raise unsupported(SEARCH_NEEDS_EVENTUAL)
        options.search = raw["$search"]
    if "$expand" in raw:
        options.expand = parse_expand(raw["$expand"], resource)
    return options


def _top(text: str) -> int:
    try:
        top = int(text)
    except ValueError:
        raise bad_request(f"Invalid page size specified: '{text}'.") from None
    if not 1 <= top <= MAX_TOP:
        raise bad_request(f"Invalid page size specified: '{top}'. Must be between 1 and {MAX_TOP}.")
    return top


def _count(options: QueryOptions, text: str) -> None:
    value = text.lower()
    if value not in ("true", "false"):
        raise bad_request(f"$count must be true or false, not '{text}'.")
    options.count = value == "true"
    if options.count and not options.eventual and options.skiptoken is None:
        raise bad_request(
            "$count needs the request header 'ConsistencyLevel: eventual' (advanced query).",
            code=REQUEST_BAD_REQUEST,
        )


def parse_select(text: str, resource: str) -> list[str] | None:
    """$select names in Graph's spelling, whatever case they came in; an unknown one is a 400."""
    canonical = CANONICAL[resource]
    selected: list[str] = []
    for prop in (p.strip() for p in text.split(",")):
        if not prop:
            continue
        name = canonical.get(prop.lower())
        if name is None:
            raise bad_request(
                f"Could not find a property named '{prop}' on type 'microsoft.graph.{resource}'."
            )
        if name not in selected:
            selected.append(name)
    return selected or None


def parse_expand(text: str, resource: str) -> list[Expand]:
    """``members``, ``members($select=id,displayName)``, ``manager,memberOf``..."""
    expandable = EXPANDABLE.get(resource, {})
    by_lower = {name.lower(): name for name in expandable}
    expands: list[Expand] = []
    for item in _split_top_level(text):
        match = _EXPAND_ITEM.match(item)
        name = by_lower.get(match.group("name").lower()) if match else None
        if name is None:
            raise unsupported(
                f"Unsupported $expand '{item.strip()[:100]}': expand one of {', '.join(expandable) or 'nothing'}"
                " (with an optional nested $select)."
            )
        expand = Expand(name)
        inner = (match.group("inner") or "").strip()
        if inner:
            option, _, value = inner.partition("=")
            if option.strip().lower() not in ("$select", "select"):
                raise unsupported(f"Only $select can be nested in $expand, not '{option.strip()[:50]}'.")
            expand.select = parse_select(value, expandable[name])
        expands.append(expand)
    if not expands:
        raise bad_request("$expand names nothing.")
    return expands


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    items, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise bad_request("Unbalanced parentheses in $expand.")
        elif char == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    if depth:
        raise bad_request("Unbalanced parentheses in $expand.")
    items.append(text[start:])
    return [item for item in items if item.strip()]


def _parse_orderby(text: str, resource: str) -> tuple[str, bool]:
    parts = text.split()
    orderable = {
        name.lower(): (name, model_field) for name, model_field in ORDERABLE.get(resource, {}).items()
    }
    if not parts or len(parts) > 2 or parts[0].lower() not in orderable:
        raise unsupported(
            f"Unsupported $orderby '{text[:100]}': order by one of "
            f"{', '.join(ORDERABLE.get(resource, {})) or 'nothing'} (asc or desc)."
        )
    direction = parts[1].lower() if len(parts) == 2 else "asc"
    if direction not in ("asc", "desc"):
        raise bad_request(f"Unsupported $orderby direction '{parts[1]}': use asc or desc.")
    return orderable[parts[0].lower()][1], direction == "desc"


def count_segment_check(request: HttpRequest) -> None:
    """``/$count`` needs the advanced query header, as Graph's does."""
    if request.headers.get("ConsistencyLevel", "").lower() != "eventual":
        raise ApiError(400, REQUEST_BAD_REQUEST, "$count is not currently supported.")
