"""/groupSettingTemplates, /groupSettings, /groups/{id}/settings and /policies/authorizationPolicy.

Graph's objects over the very values /settings/groups/ edits (``TenantGroupSettings``), changed through
the same service (``groups.services.settings``): the same rights, the same audit events. The tenant's
Group.Unified settings object exists once someone has created it (a POST here, or a change on the page,
as Entra's portal does); deleting it puts the template's defaults back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from groups.models import Group
from groups.services.settings import group_unified_settings_reset, tenant_settings_update
from portal import roles
from portal.authz import authorize, can, group_settings_for
from portal.models import AllowInvitesFrom, GuestUserRole, TenantGroupSettings
from portal.site.api import errors
from portal.site.api.auth import api_view, read_json
from portal.site.api.views.common import api_root, context_url, group_for, no_content, parse_id

GROUP_UNIFIED_TEMPLATE_ID = "62375ab9-6b52-47ed-826b-58e47e0e304b"
GROUP_UNIFIED_GUEST_TEMPLATE_ID = "08d542b9-071f-4e16-94b0-74abb372e3d9"
GROUP_UNIFIED = "Group.Unified"
TEMPLATE_DESCRIPTION = (
    "Setting templates define the different settings that can be used for the associated ObjectSettings. "
    "This template defines settings that can be used for Unified Groups."
)
GUEST_TEMPLATE_DESCRIPTION = "Settings for a specific Unified Group"


@dataclass(frozen=True)
class TemplateValue:
    name: str  # Graph's setting name
    field: str  # TenantGroupSettings field
    type: str  # System.Boolean, System.String, System.Guid
    default: str
    description: str


# The Group.Unified template: Graph's names, types, defaults and descriptions.
GROUP_UNIFIED_VALUES: tuple[TemplateValue, ...] = (
    TemplateValue(
        "CustomBlockedWordsList",
        "custom_blocked_words",
        "System.String",
        "",
        "A comma-delimited list of blocked words for Unified Group displayName and mailNickName.",
    ),
    TemplateValue(
        "ClassificationDescriptions",
        "classification_descriptions",
        "System.String",
        "",
        "A comma-delimited list of structured strings describing the classification values in the "
        "ClassificationList. The structure of the string is: Value: Description",
    ),
    TemplateValue(
        "DefaultClassification",
        "default_classification",
        "System.String",
        "",
        "The classification value to be used by default for Unified Group creation.",
    ),
    TemplateValue(
        "PrefixSuffixNamingRequirement",
        "prefix_suffix_naming_requirement",
        "System.String",
        "",
        "The format string used to enforce a consistent naming convention for Unified Groups. "
        "Example: [Department]_[GroupName]",
    ),
    TemplateValue(
        "AllowGuestsToBeGroupOwner",
        "allow_guests_to_be_group_owner",
        "System.Boolean",
        "false",
        "Flag indicating if guests are allowed to be owner in any Unified Group.",
    ),
    TemplateValue(
        "AllowGuestsToAccessGroups",
        "allow_guests_to_access_groups",
        "System.Boolean",
        "true",
        "Flag indicating if guests are allowed to access any Unified Group resources.",
    ),
    TemplateValue(
        "GuestUsageGuidelinesUrl",
        "guest_usage_guidelines_url",
        "System.String",
        "",
        "A link to the Group Usage Guidelines for guests.",
    ),
    TemplateValue(
        "GroupCreationAllowedGroupId",
        "group_creation_allowed_group",
        "System.Guid",
        "",
        "Guid of the security group that is always allowed to create Unified Groups.",
    ),
    TemplateValue(
        "AllowToAddGuests",
        "allow_to_add_guests",
        "System.Boolean",
        "true",
        "Flag indicating if guests are allowed in any Unified Group.",
    ),
    TemplateValue(
        "UsageGuidelinesUrl",
        "usage_guidelines_url",
        "System.String",
        "",
        "A link to the Group Usage Guidelines.",
    ),
    TemplateValue(
        "ClassificationList",
        "classification_list",
        "System.String",
        "",
        "A comma-delimited list of valid classification values that can be applied to Unified Groups.",
    ),
    TemplateValue(
        "EnableGroupCreation",
        "users_can_create_m365_groups",
        "System.Boolean",
        "true",
        "Flag indicating if group creation feature is on.",
    ),
    TemplateValue(
        "EnableMIPLabels",
        "enable_mip_labels",
        "System.Boolean",
        "false",
        "Flag indicating whether Microsoft Information Protection sensitivity labels can be assigned to "
        "Unified Groups.",
    ),
)
BY_NAME = {v.name.lower(): v for v in GROUP_UNIFIED_VALUES}
GUEST_TEMPLATE_VALUES = (
    {
        "name": "AllowToAddGuests",
        "type": "System.Boolean",
        "defaultValue": "true",
        "description": "Flag indicating if guests are allowed in a specific Unified Group.",
    },
)


def _template_json(template_id: str) -> dict[str, Any]:
    if template_id == GROUP_UNIFIED_TEMPLATE_ID:
        name, description = GROUP_UNIFIED, TEMPLATE_DESCRIPTION
        values = [
            {"name": v.name, "type": v.type, "defaultValue": v.default, "description": v.description}
            for v in GROUP_UNIFIED_VALUES
        ]
    else:
        name, description, values = (
            "Group.Unified.Guest",
            GUEST_TEMPLATE_DESCRIPTION,
            list(GUEST_TEMPLATE_VALUES),
        )
    return {
        "id": template_id,
        "deletedDateTime": None,
        "displayName": name,
        "description": description,
        "values": values,
    }


TEMPLATES = (GROUP_UNIFIED_TEMPLATE_ID, GROUP_UNIFIED_GUEST_TEMPLATE_ID)


@api_view("GET")
def template_list(request: HttpRequest) -> HttpResponse:
    return JsonResponse(
        {
            "@odata.context": context_url(request, "groupSettingTemplates"),
            "value": [_template_json(t) for t in TEMPLATES],
        }
    )


@api_view("GET")
def template_detail(request: HttpRequest, template_id: str) -> HttpResponse:
    if template_id.lower() not in TEMPLATES:
        raise errors.not_found(template_id)
    body = _template_json(template_id.lower())
    return JsonResponse({"@odata.context": context_url(request, "groupSettingTemplates/$entity"), **body})


# --- the tenant's Group.Unified settings object ------------------------------------------------------


def _value_text(settings: TenantGroupSettings, value: TemplateValue) -> str:
    if value.field == "group_creation_allowed_group":
        return str(settings.group_creation_allowed_group_id or "")
    current = getattr(settings, value.field)
    if value.type == "System.Boolean":
        return "true" if current else "false"
    if value.field == "custom_blocked_words":
        return ",".join(settings.blocked_words)
    return current or ""


def setting_json(settings: TenantGroupSettings) -> dict[str, Any]:
    return {
        "id": str(settings.group_unified_setting_id),
        "displayName": GROUP_UNIFIED,
        "templateId": GROUP_UNIFIED_TEMPLATE_ID,
        "values": [{"name": v.name, "value": _value_text(settings, v)} for v in GROUP_UNIFIED_VALUES],
    }


def _parse_value(request: HttpRequest, value: TemplateValue, text: Any) -> Any:
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise errors.bad_request(
            f"The value of setting '{value.name}' must be a string.", code="Request_BadRequest"
        )
    text = text.strip()
    if value.type == "System.Boolean":
        if text.lower() not in ("true", "false"):
            raise errors.bad_request(
                f"Invalid value '{text[:64]}' for setting '{value.name}': expected True or False.",
                code="Request_BadRequest",
            )
        return text.lower() == "true"
    if value.type == "System.Guid":
        if not text:
            return None
        pk = parse_id(text)
        group = Group.objects.for_tenant(request.api_tenant).alive().filter(pk=pk).first()
        if group is None:
            raise errors.bad_request(
                f"'{text}' isn't a group of this organization.", code="Request_BadRequest"
            )
        return group
    field = TenantGroupSettings._meta.get_field(value.field)
    if field.max_length and len(text) > field.max_length:
        raise errors.bad_request(
            f"The value of setting '{value.name}' is too long.", code="Request_BadRequest"
        )
    return text


def _changes_from(request: HttpRequest, body: dict[str, Any]) -> dict[str, Any]:
    values = body.get("values")
    if not isinstance(values, list):
        raise errors.bad_request(
            "The body must have 'values': a list of {name, value}.", code="Request_BadRequest"
        )
    changes: dict[str, Any] = {}
    for item in values:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise errors.bad_request(
                "Each of 'values' is an object with a name and a value.", code="Request_BadRequest"
            )
        value = BY_NAME.get(item["name"].lower())
        if value is None:
            raise errors.bad_request(
                f"The setting '{item['name'][:64]}' is not part of template '{GROUP_UNIFIED}'.",
                code="Request_BadRequest",
            )
        changes[value.field] = _parse_value(request, value, item.get("value"))
    return changes


def _tenant_settings(request: HttpRequest) -> TenantGroupSettings:
    authorize(request.actor, roles.SETTINGS_READ)
    return group_settings_for(request.api_tenant)


def _existing(request: HttpRequest, setting_id: str) -> TenantGroupSettings:
    """The tenant's settings object by its id: 404 for any other id (before the rights are checked, so
    that an id of another tenant is "not found" to everyone)."""
    settings = group_settings_for(request.api_tenant)
    try:
        wanted = uuid.UUID(setting_id)
    except ValueError:
        raise errors.not_found(setting_id) from None
    if settings.group_unified_setting_id != wanted:
        raise errors.not_found(setting_id)
    authorize(request.actor, roles.SETTINGS_READ)
    return settings


@api_view("GET", "POST")
def setting_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        body = read_json(request)
        template_id = str(body.get("templateId") or "").lower()
        if template_id != GROUP_UNIFIED_TEMPLATE_ID:
            raise errors.bad_request(
                f"ObjectSettingsTemplate '{template_id[:40]}' is not supported for DirectoryObjectClass 'Company'.",
                code="Request_BadRequest",
            )
        settings = tenant_settings_update(
            actor=request.actor,
            tenant=request.api_tenant,
            changes=_changes_from(request, body),
            create_unified_setting=True,
        )
        response = JsonResponse(
            {"@odata.context": context_url(request, "groupSettings/$entity"), **setting_json(settings)},
            status=201,
        )
        response["Location"] = f"{api_root(request)}/groupSettings/{settings.group_unified_setting_id}"
        return response
    settings = _tenant_settings(request)
    value = [setting_json(settings)] if settings.group_unified_setting_id else []
    return JsonResponse({"@odata.context": context_url(request, "groupSettings"), "value": value})


@api_view("GET", "PATCH", "DELETE")
def setting_detail(request: HttpRequest, setting_id: str) -> HttpResponse:
    settings = _existing(request, setting_id)
    if request.method == "PATCH":
        changes = _changes_from(request, read_json(request))
        tenant_settings_update(actor=request.actor, tenant=request.api_tenant, changes=changes)
        return no_content()
    if request.method == "DELETE":
        group_unified_settings_reset(actor=request.actor, tenant=request.api_tenant)
        return no_content()
    return JsonResponse(
        {"@odata.context": context_url(request, "groupSettings/$entity"), **setting_json(settings)}
    )


@api_view("GET", "POST")
def group_setting_list(request: HttpRequest, group_id: str) -> HttpResponse:
    """A group's own settings (Group.Unified.Guest): Groupdesk keeps none per group, so the list is empty
    and creating one is refused, saying so."""
    group = group_for(request, group_id, "standard/read")
    if request.method == "POST":
        body = read_json(request)
        template_id = str(body.get("templateId") or "").lower()
        if template_id == GROUP_UNIFIED_TEMPLATE_ID:
            raise errors.bad_request(
                f"ObjectSettingsTemplate '{template_id}' is not supported for DirectoryObjectClass 'Group'.",
                code="Request_BadRequest",
            )
        raise errors.bad_request(
            "Groupdesk keeps no settings per group: whether guests may be added is the tenant's "
            "AllowToAddGuests (Group.Unified), set with /groupSettings.",
            code="Request_BadRequest",
        )
    return JsonResponse(
        {"@odata.context": context_url(request, f"groups('{group.pk}')/settings"), "value": []}
    )


# --- /policies/authorizationPolicy -------------------------------------------------------------------

POLICY_DEFAULT_PERMISSIONS = {
    "allowedToCreateSecurityGroups": "users_can_create_security_groups",
    "allowedToReadOtherUsers": "allowed_to_read_other_users",
}


def policy_json(settings: TenantGroupSettings) -> dict[str, Any]:
    return {
        "id": "authorizationPolicy",
        "displayName": "Authorization Policy",
        "description": "Used to manage authorization related settings across the company.",
        "allowInvitesFrom": settings.allow_invites_from,
        "allowedToSignUpEmailBasedSubscriptions": False,
        "allowedToUseSSPR": False,
        "allowEmailVerifiedUsersToJoinOrganization": False,
        "allowUserConsentForRiskyApps": False,
        "blockMsolPowerShell": False,
        "guestUserRoleId": settings.guest_user_role_id,
        "defaultUserRolePermissions": {
            "allowedToCreateApps": False,
            "allowedToCreateSecurityGroups": settings.users_can_create_security_groups,
            "allowedToCreateTenants": False,
            "allowedToReadBitlockerKeysForOwnedDevice": False,
            "allowedToReadOtherUsers": settings.allowed_to_read_other_users,
            "permissionGrantPoliciesAssigned": [],
        },
    }


def _policy_changes(body: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key, value in body.items():
        if key.startswith("@odata."):
            continue
        if key == "allowInvitesFrom":
            if value not in AllowInvitesFrom.values:
                raise errors.bad_request(
                    f"allowInvitesFrom must be one of {', '.join(AllowInvitesFrom.values)}.",
                    code="Request_BadRequest",
                )
            changes["allow_invites_from"] = value
        elif key == "guestUserRoleId":
            if not isinstance(value, str) or value.lower() not in GuestUserRole.values:
                raise errors.bad_request(
                    f"guestUserRoleId must be one of {', '.join(GuestUserRole.values)}.",
                    code="Request_BadRequest",
                )
            changes["guest_user_role_id"] = value.lower()
        elif key == "defaultUserRolePermissions" and isinstance(value, dict):
            changes |= _default_permissions_changes(value)
        else:
            raise errors.bad_request(
                f"Property '{key[:64]}' of authorizationPolicy can't be changed in Groupdesk.",
                code="Request_BadRequest",
            )
    return changes


def _default_permissions_changes(value: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key, flag in value.items():
        field = POLICY_DEFAULT_PERMISSIONS.get(key)
        if field is None:
            raise errors.bad_request(
                f"Property 'defaultUserRolePermissions.{key[:64]}' can't be changed in Groupdesk.",
                code="Request_BadRequest",
            )
        if not isinstance(flag, bool):
            raise errors.bad_request(
                f"defaultUserRolePermissions.{key} must be true or false.", code="Request_BadRequest"
            )
        changes[field] = flag
    return changes


@api_view("GET", "PATCH")
def authorization_policy(request: HttpRequest) -> HttpResponse:
    # Read by whoever reads the settings page, or may change the directory read policy.
    if not can(request.actor, roles.AUTHORIZATION_POLICY_UPDATE):
        authorize(request.actor, roles.SETTINGS_READ)
    if request.method == "PATCH":
        changes = _policy_changes(read_json(request))
        if changes:
            tenant_settings_update(actor=request.actor, tenant=request.api_tenant, changes=changes)
        return no_content()
    settings = group_settings_for(request.api_tenant)
    return JsonResponse(
        {
            "@odata.context": context_url(request, "policies/authorizationPolicy/$entity"),
            **policy_json(settings),
        }
    )
