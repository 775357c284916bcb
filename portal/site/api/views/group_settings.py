"""/groups/{id}/settings: a group's own settings object (Graph's Group.Unified.Guest template, whose one
value is AllowToAddGuests), changed through ``groups.services.guest_settings``. The tenant's
AllowToAddGuests "no" wins over a group's "yes"; a group's "no" keeps guests out of that group even
when the tenant lets owners add them (administrators still may, as with the tenant's setting).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from groups.models import Group
from groups.services.guest_settings import group_guest_setting_set
from portal.site.api import errors
from portal.site.api.auth import api_view, read_json
from portal.site.api.views.common import api_root, context_url, group_for, no_content
from portal.site.api.views.settings import GROUP_UNIFIED_GUEST_TEMPLATE_ID

GUEST_TEMPLATE = "Group.Unified.Guest"


def guest_setting_json(group: Group) -> dict[str, Any]:
    return {
        "id": str(group.guest_setting_id),
        "displayName": GUEST_TEMPLATE,
        "templateId": GROUP_UNIFIED_GUEST_TEMPLATE_ID,
        "values": [{"name": "AllowToAddGuests", "value": "true" if group.allow_to_add_guests else "false"}],
    }


def _allow_from(body: dict[str, Any], *, required: bool) -> bool | None:
    values = body.get("values")
    if not isinstance(values, list):
        raise errors.bad_request(
            "The body must have 'values': a list of {name, value}.", code="Request_BadRequest"
        )
    found = None
    for item in values:
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or name.lower() != "allowtoaddguests":
            raise errors.bad_request(
                f"The setting '{str(name)[:64]}' is not part of template '{GUEST_TEMPLATE}'.",
                code="Request_BadRequest",
            )
        text = str(item.get("value") or "").strip().lower()
        if text not in ("true", "false"):
            raise errors.bad_request(
                "Invalid value for setting 'AllowToAddGuests': expected True or False.",
                code="Request_BadRequest",
            )
        found = text == "true"
    if found is None and required:
        raise errors.bad_request("Give AllowToAddGuests a value.", code="Request_BadRequest")
    return found


@api_view("GET", "POST")
def group_setting_list(request: HttpRequest, group_id: str) -> HttpResponse:
    group = group_for(request, group_id, "standard/read")
    if request.method == "POST":
        body = read_json(request)
        template_id = str(body.get("templateId") or "").lower()
        if template_id != GROUP_UNIFIED_GUEST_TEMPLATE_ID:
            raise errors.bad_request(
                f"ObjectSettingsTemplate '{template_id[:40]}' is not supported for DirectoryObjectClass 'Group'.",
                code="Request_BadRequest",
            )
        allow = _allow_from(body, required=False)
        group = group_guest_setting_set(
            actor=request.actor,
            group=group,
            allow_to_add_guests=True if allow is None else allow,
            create=True,
        )
        context = context_url(request, f"groups('{group.pk}')/settings/$entity")
        response = JsonResponse({"@odata.context": context, **guest_setting_json(group)}, status=201)
        response["Location"] = f"{api_root(request)}/groups/{group.pk}/settings/{group.guest_setting_id}"
        return response
    value = [guest_setting_json(group)] if group.guest_setting_id else []
    return JsonResponse(
        {"@odata.context": context_url(request, f"groups('{group.pk}')/settings"), "value": value}
    )


@api_view("GET", "PATCH", "DELETE")
def group_setting_detail(request: HttpRequest, group_id: str, setting_id: str) -> HttpResponse:
    group = group_for(request, group_id, "standard/read")
    try:
        wanted = uuid.UUID(setting_id)
    except ValueError:
        raise errors.not_found(setting_id[:64]) from None
    if group.guest_setting_id != wanted:
        raise errors.not_found(setting_id)
    if request.method == "PATCH":
        allow = _allow_from(read_json(request), required=False)
        if allow is not None:
            group_guest_setting_set(actor=request.actor, group=group, allow_to_add_guests=allow)
        return no_content()
    if request.method == "DELETE":
        group_guest_setting_set(actor=request.actor, group=group, allow_to_add_guests=None)
        return no_content()
    context = context_url(request, f"groups('{group.pk}')/settings/$entity")
    return JsonResponse({"@odata.context": context, **guest_setting_json(group)})
