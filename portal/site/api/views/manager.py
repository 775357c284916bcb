"""A user's manager (GET, PUT $ref, DELETE $ref) and direct reports, for /users/{id} and /me."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from portal.authz import user_read_access
from portal.models import User
from portal.services import user_update
from portal.site.api import errors
from portal.site.api.auth import api_view, read_json
from portal.site.api.paging import Source, paginate, parse_options
from portal.site.api.views.common import (
    collection_response,
    count_response,
    counted,
    entity_response,
    me,
    no_content,
    object_from_reference,
    trimmed,
    user_for,
)


def _subject(request: HttpRequest, user_id: str | None) -> User:
    return me(request) if user_id is None else user_for(request, user_id)


def _no_manager() -> errors.ApiError:
    return errors.not_found("manager")


@api_view("GET")
def manager(request: HttpRequest, user_id: str | None = None) -> HttpResponse:
    user = _subject(request, user_id)
    boss = user.manager
    if boss is None or boss.deleted_date_time is not None:
        raise _no_manager()
    if not user_read_access(request.actor, boss):
        raise _no_manager()  # as if absent: nothing about someone the caller can't read
    options = parse_options(request, "user", collection=False)
    boss = User.objects.prefetch_related("multi_values").get(pk=boss.pk)
    return entity_response(request, boss, "directoryObjects/$entity", options, typed=True)


@api_view("PUT", "DELETE")
def manager_ref(request: HttpRequest, user_id: str | None = None) -> HttpResponse:
    """PUT {"@odata.id": ".../users/{id}"} sets the manager; DELETE removes it."""
    user = _subject(request, user_id)
    if request.method == "DELETE":
        if user.manager_id is None:
            raise _no_manager()
        user_update(actor=request.actor, user=user, changes={"manager": None})
        return no_content()
    boss = object_from_reference(request, read_json(request))
    if not isinstance(boss, User):
        raise errors.bad_request("A manager must be a user.", code=errors.REQUEST_BAD_REQUEST)
    user_update(actor=request.actor, user=user, changes={"manager": boss})
    return no_content()


@api_view("GET")
def direct_reports(request: HttpRequest, user_id: str | None = None, count: bool = False) -> HttpResponse:
    user = _subject(request, user_id)
    reports = User.objects.for_tenant(request.api_tenant).filter(manager=user, deleted_date_time__isnull=True)
    readable = trimmed(reports, lambda u: bool(user_read_access(request.actor, u)))
    source = Source(readable.prefetch_related("multi_values"), "user")
    options = parse_options(request, "directoryObject")
    if count:
        return count_response(request, counted(options), [source])
    page = paginate(request, options, [source], tenant=request.api_tenant)
    return collection_response(request, options, page, "directoryObjects", typed=True)
