"""Licensing through Graph: /subscribedSkus, /groups/{id}/assignLicense, /users/{id}/assignLicense,
/users/{id}/licenseDetails and /groups/{id}/membersWithLicenseErrors."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from groups.licensing import selectors
from groups.licensing.models import SubscribedSku
from groups.licensing.services import group_licenses_assign, user_licenses_assign
from portal import roles
from portal.authz import authorize, user_read_access
from portal.site.api import errors
from portal.site.api.auth import api_view, read_json
from portal.site.api.paging import Source, paginate, parse_options
from portal.site.api.views.common import (
    collection_response,
    context_url,
    entity_response,
    group_for,
    user_for,
)

MAX_LICENSES = 100


@api_view("GET")
def subscribed_skus(request: HttpRequest) -> HttpResponse:
    authorize(request.actor, roles.SETTINGS_READ)
    return JsonResponse(
        {
            "@odata.context": context_url(request, "subscribedSkus"),
            "value": selectors.subscribed_skus(request.api_tenant),
        }
    )


def _guid(value: Any, what: str) -> uuid.UUID:
    if not isinstance(value, str):
        raise errors.bad_request(f"{what} must be a GUID string.")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise errors.bad_request(f"{what} '{value[:64]}' isn't a GUID.") from None


def _sku(request: HttpRequest, value: Any, what: str) -> SubscribedSku:
    sku_id = _guid(value, what)
    sku = SubscribedSku.objects.for_tenant(request.api_tenant).filter(sku_id=sku_id).first()
    if sku is None:
        raise errors.bad_request(
            f"License {sku_id} does not correspond to a valid company License.", code="Request_BadRequest"
        )
    return sku


def _changes(request: HttpRequest) -> tuple[list, list]:
    """``addLicenses`` ([{skuId, disabledPlans}]) and ``removeLicenses`` ([skuId]) of the body."""
    body = read_json(request)
    add, remove = body.get("addLicenses"), body.get("removeLicenses")
    if not isinstance(add, list) or not isinstance(remove, list):
        raise errors.bad_request(
            "The body needs addLicenses and removeLicenses, both arrays (either may be [])."
        )
    if len(add) + len(remove) > MAX_LICENSES:
        raise errors.bad_request(f"At most {MAX_LICENSES} licenses at a time.")
    adds = []
    for item in add:
        if not isinstance(item, dict):
            raise errors.bad_request(
                'Each of addLicenses is an object: {"skuId": ..., "disabledPlans": [...]}.'
            )
        disabled = item.get("disabledPlans") or []
        if not isinstance(disabled, list):
            raise errors.bad_request("disabledPlans must be an array of service plan ids.")
        adds.append(
            (_sku(request, item.get("skuId"), "skuId"), [_guid(d, "disabledPlans") for d in disabled])
        )
    removes = [_sku(request, value, "removeLicenses") for value in remove]
    return adds, removes


@api_view("POST")
def group_assign_license(request: HttpRequest, group_id: str) -> HttpResponse:
    """Graph answers 202 Accepted with the group: processing is asynchronous there (here it is done)."""
    group = group_for(request, group_id, "standard/read")
    add, remove = _changes(request)
    group_licenses_assign(actor=request.actor, group=group, add=add, remove=remove)
    return entity_response(request, group, "groups/$entity", status=202)


@api_view("POST")
def user_assign_license(request: HttpRequest, user_id: str) -> HttpResponse:
    user = user_for(request, user_id)
    add, remove = _changes(request)
    user_licenses_assign(actor=request.actor, user=user, add=add, remove=remove)
    return entity_response(request, user, "users/$entity")


@api_view("GET")
def user_license_details(request: HttpRequest, user_id: str) -> HttpResponse:
    user = user_for(request, user_id)
    if not _reads_licenses(request, user):
        raise errors.denied("Reading the licenses of other users needs a role that reads users.")
    return JsonResponse(
        {
            "@odata.context": context_url(request, f"users('{user.pk}')/licenseDetails"),
            "value": selectors.license_details(user),
        }
    )


def _reads_licenses(request: HttpRequest, user) -> bool:
    return "assignedLicenses" in user_read_access(request.actor, user)


@api_view("GET")
def group_members_with_license_errors(request: HttpRequest, group_id: str) -> HttpResponse:
    group = group_for(request, group_id, "members/read")
    options = parse_options(request, "directoryObject")
    users = selectors.members_with_license_errors(group).prefetch_related("multi_values")
    page = paginate(request, options, [Source(users, "user")], tenant=request.api_tenant)
    return collection_response(request, options, page, "directoryObjects", typed=True)
