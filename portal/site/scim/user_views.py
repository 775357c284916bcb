"""/scim/v2/Users: every change through ``user_create`` / ``user_update`` / ``user_delete`` (authorize,
audit naming the app, dynamic groups re-evaluated in the same transaction, leavers offboarded)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from scim2_models import Context, PatchOp

from portal import roles
from portal.authz import can
from portal.models import Tenant, User
from portal.services import user_create, user_delete, user_update
from portal.site.scim.auth import scim_view
from portal.site.scim.common import dump, filter_of, listed, page_bounds, query_of, response_parameters
from portal.site.scim.filters import Field
from portal.site.scim.protocol import ScimError, ScimUser, read_body, scim_response
from portal.site.scim.users import (
    CASE_EXACT,
    USER_ATTRIBUTES,
    changes_between,
    parse_id,
    user_name,
    user_resource,
    user_values,
    users_of,
    with_manager_references,
)

TYPES = {"active": "boolean", "meta.created": "datetime"}
USER_FIELDS: dict[str, Field] = {
    "id": Field("pk", case_exact=True, kind="id"),
    **{
        path: Field(
            field,
            case_exact=path in CASE_EXACT,
            kind="id" if field == "manager_id" else TYPES.get(path, "string"),
        )
        for path, field in USER_ATTRIBUTES.items()
    },
}


def _may_read_users(request: HttpRequest) -> None:
    if not can(request.actor, roles.USERS_READ):
        raise ScimError(403, "This app's role doesn't let it read users.")


def _user(request: HttpRequest, user_id: str) -> User:
    _may_read_users(request)
    user = users_of(request.actor.tenant).select_related("manager").filter(pk=parse_id(user_id)).first()
    if user is None:
        raise ScimError(404, f"No user {user_id[:80]!r}.")
    return user


def _name_taken(name: str, user: User | None = None, *, tenant: Tenant | None = None) -> None:
    """409 when another user has the name; on a create (``tenant``), a deleted user of the tenant who
    still has it doesn't count: ``user_create`` frees the name (RFC 7644 §3.6)."""
    taken = User.objects.filter(user_principal_name__iexact=name)
    if user is not None:
        taken = taken.exclude(pk=user.pk)
    if tenant is not None:
        taken = taken.exclude(tenant=tenant, deleted_date_time__isnull=False)
    if taken.exists():
        raise ScimError(409, f"A user with userName {name[:80]!r} already exists.", "uniqueness")


@scim_view("GET", "POST")
def users(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _create(request)
    return scim_response(user_list(request, query_of(request)))


@scim_view("POST")
def users_search(request: HttpRequest) -> HttpResponse:
    return scim_response(user_list(request, query_of(request)))


def user_list(request: HttpRequest, query: dict[str, Any], *, skip: int = 0) -> dict[str, Any]:
    _may_read_users(request)
    start, count = page_bounds(query)
    parameters = response_parameters(query, ScimUser)
    found = users_of(request.actor.tenant).filter(filter_of(query, USER_FIELDS))
    total = found.count()
    first = max(start - 1 - skip, 0)
    page = found.select_related("manager").order_by("created_date_time", "pk")[first : first + count]
    items = [dump(user_resource(u), Context.SEARCH_RESPONSE, parameters) for u in page]
    return listed(items, total, start)


def _create(request: HttpRequest) -> HttpResponse:
    body = with_manager_references(read_body(request))
    resource = ScimUser.model_validate(body, scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    name = user_name(resource)
    tenant = request.actor.tenant
    _name_taken(name, tenant=tenant)
    values = user_values(resource, tenant)
    display_name = values.pop("display_name")
    with transaction.atomic():
        user = user_create(
            actor=request.actor,
            tenant=tenant,
            user_principal_name=name,
            display_name=display_name,
            values={k: v for k, v in values.items() if v is not None},
            verified_domain_only=False,
            activity="Add user",
        )
    response = scim_response(
        dump(user_resource(user), Context.RESOURCE_CREATION_RESPONSE), 201, user_resource(user).meta.location
    )
    response.scim_resource_id = str(user.pk)
    return response


@scim_view("GET", "PUT", "PATCH", "DELETE")
def user_detail(request: HttpRequest, user_id: str) -> HttpResponse:
    user = _user(request, user_id)
    if request.method == "DELETE":
        with transaction.atomic():
            user_delete(actor=request.actor, user=user)
        return scim_response(None, 204)
    if request.method == "GET":
        parameters = response_parameters(request.GET, ScimUser)
        return scim_response(dump(user_resource(user), Context.RESOURCE_QUERY_RESPONSE, parameters))
    body = with_manager_references(read_body(request))
    if request.method == "PUT":
        resource = ScimUser.model_validate(body, scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
        context = Context.RESOURCE_REPLACEMENT_RESPONSE
    else:
        patch = PatchOp[ScimUser].model_validate(body, scim_ctx=Context.RESOURCE_PATCH_REQUEST)
        resource = user_resource(user)
        patch.patch(resource)
        context = Context.RESOURCE_PATCH_RESPONSE
    user = _apply(request, user, resource)
    return scim_response(dump(user_resource(user), context))


def _apply(request: HttpRequest, user: User, resource: ScimUser) -> User:
    """Make ``user`` what ``resource`` says, in one ``user_update`` (one audit event)."""
    changes: dict[str, Any] = changes_between(user, user_values(resource, request.actor.tenant))
    name = user_name(resource)
    if name != user.user_principal_name:
        _name_taken(name, user)
        changes["user_principal_name"] = name
    if not changes:
        return user
    with transaction.atomic():
        user_update(actor=request.actor, user=user, changes=changes)
    return _user(request, str(user.pk))
