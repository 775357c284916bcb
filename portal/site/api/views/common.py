"""What every API view shares: scoped getters (other tenant → 404) and Graph-shaped responses."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse

from groups.models import Group
from groups.selectors import get_group_for
from portal import roles
from portal.authz import AppActor, authorize, user_read_access, user_read_access_for_each
from portal.models import Device, ServicePrincipal, User
from portal.site.api import errors
from portal.site.api.options import count_segment_check
from portal.site.api.paging import Page, QueryOptions, Source, narrowed
from portal.site.api.serializers import prefetch_selected, restrict_user, select, to_json
from portal.site.api.views.expand import expanded


def api_root(request: HttpRequest) -> str:
    """``https://host/v1.0`` or ``https://host/beta``: the version the caller used."""
    version = request.path.strip("/").split("/")[0]
    return request.build_absolute_uri(f"/{version}")


def context_url(request: HttpRequest, fragment: str) -> str:
    return f"{api_root(request)}/$metadata#{fragment}"


def parse_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise errors.bad_request(f"Invalid object identifier '{value}'.", code="Request_BadRequest") from None


def group_for(request: HttpRequest, group_id: str, action: str) -> Group:
    """The caller's tenant's live group, authorized for ``action`` (403) or 404 for anything else."""
    pk = parse_id(group_id)
    try:
        return get_group_for(request.actor, pk, action)
    except Http404:
        raise errors.not_found(group_id) from None


UPN_MAX_LENGTH = User._meta.get_field("user_principal_name").max_length


def user_for(request: HttpRequest, id_or_upn: str) -> User:
    """A user of the caller's tenant by id or userPrincipalName, if the directory read policy lets the
    caller read anything of them (403 otherwise)."""
    users = User.objects.for_tenant(request.api_tenant).filter(deleted_date_time__isnull=True)
    try:
        lookup = {"pk": uuid.UUID(id_or_upn)}
    except ValueError:
        if len(id_or_upn) > UPN_MAX_LENGTH:  # no such user (and SQLite refuses LIKE patterns that long)
            raise errors.not_found(id_or_upn[:UPN_MAX_LENGTH] + "...") from None
        lookup = {"user_principal_name__iexact": id_or_upn}
    user = users.prefetch_related("multi_values").filter(**lookup).first()
    if user is None:
        raise errors.not_found(id_or_upn)
    access = user_read_access(request.actor, user)
    if not access:
        raise errors.denied(access.reason)
    return user


def me(request: HttpRequest) -> User:
    if isinstance(request.actor, AppActor):
        raise errors.bad_request("/me request is only valid with delegated authentication flow.")
    return request.actor


def device_or_app_for(request: HttpRequest, kind: str, object_id: str) -> Device | ServicePrincipal:
    """A device or service principal of the caller's tenant; reading them takes what reads users."""
    model = Device if kind == "devices" else ServicePrincipal
    found = model.objects.for_tenant(request.api_tenant).filter(pk=parse_id(object_id)).first()
    if found is None:
        raise errors.not_found(object_id)
    if found.pk != request.actor.pk:
        authorize(request.actor, roles.USERS_READ)
    return found


DIRECTORY_MODELS: tuple[type, ...] = (User, Group, Device, ServicePrincipal)


def directory_object_for(request: HttpRequest, object_id: str) -> Any:
    """A user, group, device or service principal of the caller's tenant (live ones only)."""
    pk = parse_id(object_id)
    tenant = request.api_tenant
    for model in DIRECTORY_MODELS:
        objects = model.objects.for_tenant(tenant).filter(pk=pk)
        if model in (User, Group):
            objects = objects.filter(deleted_date_time__isnull=True)
        if model is Group:
            objects = objects.select_related("tenant")
        found = objects.first()
        if found is not None:
            return found
    raise errors.not_found(object_id)


def object_from_reference(request: HttpRequest, body: dict[str, Any]) -> Any:
    """The object an ``{"@odata.id": ".../directoryObjects/{id}"}`` body points at.

    Any host is accepted (scripts written for Graph send graph.microsoft.com's); only the id counts.
    """
    reference = body.get("@odata.id")
    if not isinstance(reference, str) or not reference.strip():
        raise errors.bad_request('The body must be {"@odata.id": "https://.../directoryObjects/{id}"}.')
    segments = [s for s in reference.strip().split("?")[0].split("/") if s]
    if len(segments) < 2 or segments[-2] not in (
        "directoryObjects",
        "users",
        "groups",
        "devices",
        "servicePrincipals",
    ):
        raise errors.bad_request(f"'{reference}' isn't a reference to a directory object.")
    return directory_object_for(request, segments[-1])


def readable_json(
    request: HttpRequest,
    obj: Any,
    *,
    typed: bool = False,
    selected: list[str] | None = None,
    access: Callable[[User], Any] | None = None,
) -> dict[str, Any]:
    """``obj`` as Graph's JSON, a user's properties the caller may not read as null (as Graph answers
    a caller that reads only the basic profile); ``access``: ``user_read_access_for_each`` of a list."""
    data = to_json(obj, typed=typed, selected=selected)
    if isinstance(obj, User):
        readable = access(obj) if access is not None else user_read_access(request.actor, obj)
        data = restrict_user(data, readable)
    return data


def entity_response(
    request: HttpRequest,
    obj: Any,
    fragment: str,
    options: QueryOptions | None = None,
    status: int = 200,
    *,
    typed: bool = False,
) -> JsonResponse:
    selected = options.select if options else None
    if selected:
        fragment = fragment.replace("/$entity", f"({','.join(selected)})/$entity")
    data = select(readable_json(request, obj, typed=typed, selected=selected), selected)
    if options and options.expand:
        data.update(expanded(request, obj, options.expand))
    return JsonResponse({"@odata.context": context_url(request, fragment), **data}, status=status)


def collection_response(
    request: HttpRequest,
    options: QueryOptions,
    page: Page,
    fragment: str,
    *,
    typed: bool = False,
    serialized: bool = False,
) -> JsonResponse:
    """A page as Graph's collection; ``serialized``: its items are Graph's JSON already (a list written
    from rows, which expands nothing and holds no user properties to restrict)."""
    if options.select:
        fragment = f"{fragment}({','.join(options.select)})"
    body: dict[str, Any] = {"@odata.context": context_url(request, fragment)}
    if page.count is not None:
        body["@odata.count"] = page.count
    if page.next_link:
        body["@odata.nextLink"] = page.next_link
    if any(e.name == "manager" for e in options.expand):
        # Every manager of the page in one query, not one per user.
        prefetch_related_objects([o for o in page.items if isinstance(o, User)], "manager__multi_values")
    if serialized:
        body["value"] = [select(data, options.select) for data in page.items]
        return JsonResponse(body)
    prefetch_selected(page.items, options.select)
    access = user_read_access_for_each(request.actor)
    body["value"] = [
        select(
            readable_json(request, obj, typed=typed, selected=options.select, access=access), options.select
        )
        | (expanded(request, obj, options.expand) if options.expand else {})
        for obj in page.items
    ]
    return JsonResponse(body)


def counted(options: QueryOptions) -> QueryOptions:
    """A ``/$count`` request is a count: what needs ``$count=true`` (endsWith) works with the header."""
    options.count = options.eventual
    return options


def count_response(request: HttpRequest, options: QueryOptions, sources: list[Source]) -> HttpResponse:
    """``/$count``: how many objects the list holds (after $filter and $search), as plain text."""
    count_segment_check(request)
    total = sum(qs.count() for qs in narrowed(request, options, sources, request.api_tenant))
    return HttpResponse(str(total), content_type="text/plain")


def trimmed(queryset: QuerySet, keep: Callable[[Any], bool]) -> QuerySet:
    """``queryset`` less the rows ``keep`` refuses, as a queryset: trim BEFORE paging, so that neither
    the pages nor ``@odata.count`` tell anything about the rows the caller may not see."""
    rows = list(queryset)
    kept = [row.pk for row in rows if keep(row)]
    return queryset if len(kept) == len(rows) else queryset.filter(pk__in=kept)


def no_content() -> HttpResponse:
    return HttpResponse(status=204)
