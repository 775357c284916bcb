"""Tenant-wide group settings: one audited update function, applied on the next request."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from groups.expiration import sync_expiration_dates
from groups.naming import unknown_tokens_error
from portal import roles
from portal.audit import audit_record
from portal.authz import authorize, forget
from portal.errors import Conflict, Invalid
from portal.models import (
    AllowInvitesFrom,
    CollaborationRestriction,
    ExpirationScope,
    GuestUserRole,
    OwnerAssigners,
    Tenant,
    TenantGroupSettings,
    User,
)

# --- tenant group settings ----------------------------------------------------------------------

SETTINGS_FIELDS: tuple[str, ...] = (
    "owners_can_manage_requests",
    "restrict_my_groups",
    "users_can_create_security_groups",
    "users_can_create_m365_groups",
    "group_creation_allowed_group",
    "owners_who_can_assign_owners",
    "owner_assigners_group",
    "allow_guests_to_be_group_owner",
    "allow_to_add_guests",
    "allow_guests_to_access_groups",
    "usage_guidelines_url",
    "guest_usage_guidelines_url",
    "classification_list",
    "default_classification",
    "classification_descriptions",
    "enable_mip_labels",
    "prefix_suffix_naming_requirement",
    "custom_blocked_words",
    "group_lifetime_days",
    "expiration_scope",
    "request_expiry_days",
    "dynamic_failsafe_percent",
    *("allowed_to_read_other_users", "guest_user_role_id"),
    "allow_invites_from",
    *("collaboration_restriction", "collaboration_domains"),
    *("guest_inactive_days", "remove_guests_without_groups"),
)
# The directory read policy and the external collaboration settings (Graph's authorizationPolicy and
# Entra's external collaboration settings): changing them needs a privileged role.
DIRECTORY_POLICY_FIELDS: tuple[str, ...] = (
    "allowed_to_read_other_users",
    "guest_user_role_id",
    "allow_invites_from",
    "collaboration_restriction",
    "collaboration_domains",
    "guest_inactive_days",
    "remove_guests_without_groups",
)
_SETTINGS_GROUP_FIELDS = ("group_creation_allowed_group", "owner_assigners_group")
# The settings Graph's Group.Unified template names (portal.site.api.views.settings maps the names):
# changing one creates the tenant's Group.Unified settings object, as Entra's portal does.
GROUP_UNIFIED_FIELDS: tuple[str, ...] = (
    "users_can_create_m365_groups",
    "group_creation_allowed_group",
    "allow_guests_to_be_group_owner",
    "allow_guests_to_access_groups",
    "allow_to_add_guests",
    "guest_usage_guidelines_url",
    "usage_guidelines_url",
    "classification_list",
    "default_classification",
    "classification_descriptions",
    "prefix_suffix_naming_requirement",
    "custom_blocked_words",
    "enable_mip_labels",
)


def settings_snapshot(
    settings: TenantGroupSettings, fields: Iterable[str] = SETTINGS_FIELDS
) -> dict[str, Any]:
    """The settings as the audit log keeps them: groups by name, so the log reads without lookups."""
    data: dict[str, Any] = {}
    for name in fields:
        if name in _SETTINGS_GROUP_FIELDS:
            group = getattr(settings, name)
            data[name] = group.display_name if group is not None else None
        else:
            value = getattr(settings, name)
            data[name] = str(value) if isinstance(value, uuid.UUID) else value
    return data


class SettingsError(Invalid):
    """A settings change refused for a reason the administrator can fix; ``field`` names the setting."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message, field=field)


def _check_settings(settings: TenantGroupSettings, tenant: Tenant) -> None:
    for name in _SETTINGS_GROUP_FIELDS:
        group = getattr(settings, name)
        if group is not None and (group.tenant_id != tenant.id or group.is_deleted):
            raise SettingsError("Choose a group of this organization.", name)
    if settings.group_lifetime_days is not None and settings.group_lifetime_days < 30:
        raise SettingsError("A group lifetime is at least 30 days.", "group_lifetime_days")
    if settings.expiration_scope != ExpirationScope.NONE and settings.group_lifetime_days is None:
        raise SettingsError("Set a group lifetime to turn expiration on.", "group_lifetime_days")
    if settings.guest_user_role_id not in GuestUserRole.values:
        raise SettingsError("Choose one of the three guest access levels.", "guest_user_role_id")
    if settings.allow_invites_from not in AllowInvitesFrom.values:
        raise SettingsError(
            f"allowInvitesFrom is one of {', '.join(AllowInvitesFrom.values)}.", "allow_invites_from"
        )
    if settings.collaboration_restriction not in CollaborationRestriction.values:
        raise SettingsError("Choose a collaboration restriction.", "collaboration_restriction")
    if not isinstance(settings.guest_inactive_days, int) or not 1 <= settings.guest_inactive_days <= 3650:
        raise SettingsError("Guests are inactive after 1 to 3,650 days.", "guest_inactive_days")
    if not 0 <= settings.dynamic_failsafe_percent <= 100:
        raise SettingsError("The failsafe is a percentage from 0 to 100.", "dynamic_failsafe_percent")
    if settings.request_expiry_days < 1:
        raise SettingsError("Requests expire after at least one day.", "request_expiry_days")
    if problem := unknown_tokens_error(settings.prefix_suffix_naming_requirement):
        raise SettingsError(problem, "prefix_suffix_naming_requirement")
    if settings.default_classification and settings.default_classification not in settings.classifications:
        raise SettingsError(
            "The default classification must be one of the classifications in the list.",
            "default_classification",
        )
    if (
        settings.owners_who_can_assign_owners == OwnerAssigners.SELECTED
        and settings.owner_assigners_group_id is None
    ):
        raise SettingsError(
            "Choose the group whose members may make members owners.", "owner_assigners_group"
        )


@transaction.atomic
def tenant_settings_update(
    *, actor: User, tenant: Tenant, changes: dict[str, Any], create_unified_setting: bool = False
) -> TenantGroupSettings:
    """Change some tenant-wide group settings; they apply from the very next request.

    ``create_unified_setting``: the caller creates the Group.Unified settings object (Graph's POST
    /groupSettings); it refuses when the object exists already."""

    authorize(actor, roles.SETTINGS_UPDATE)
    if set(changes) & set(DIRECTORY_POLICY_FIELDS):
        authorize(actor, roles.AUTHORIZATION_POLICY_UPDATE)
    if actor.tenant_id != tenant.id:
        raise PermissionDenied("Not found.")
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise SettingsError(f"Unknown setting {', '.join(sorted(unknown))}.")
    settings, _ = TenantGroupSettings.objects.select_for_update().get_or_create(tenant=tenant)
    if create_unified_setting and settings.group_unified_setting_id is not None:
        raise Conflict(
            "A conflicting object with one or more of the specified property values is present in the directory."
        )
    before = settings_snapshot(settings, changes)
    for name, value in changes.items():
        setattr(settings, name, value)
    _check_settings(settings, tenant)
    after = settings_snapshot(settings, changes)
    changed = [name for name in changes if before[name] != after[name]]
    created = settings.group_unified_setting_id is None and (
        create_unified_setting or bool(set(changed) & set(GROUP_UNIFIED_FIELDS))
    )
    if not changed and not created:
        return settings
    if created:
        settings.group_unified_setting_id = uuid.uuid4()
        changed.append("group_unified_setting_id")
        before["group_unified_setting_id"], after["group_unified_setting_id"] = (
            None,
            str(settings.group_unified_setting_id),
        )
    settings.save()
    tenant.group_settings = settings
    if actor.tenant is not tenant:
        actor.tenant.group_settings = settings

    forget(actor)
    policy = set(changed) <= set(DIRECTORY_POLICY_FIELDS)
    audit_record(
        tenant=tenant,
        actor=actor,
        activity="Add group settings"
        if create_unified_setting
        else ("Update authorization policy" if policy else "Update group settings"),
        target=tenant,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
        category="Policy" if policy else "GroupSettings",
    )
    if {"group_lifetime_days", "expiration_scope"} & set(changed):
        sync_expiration_dates(settings, now=timezone.now(), recompute="group_lifetime_days" in changed)
    return settings


@transaction.atomic
def group_unified_settings_reset(*, actor: User, tenant: Tenant) -> TenantGroupSettings:
    """Delete the Group.Unified settings object (Graph's DELETE /groupSettings/{id}): its settings go back
    to the template's defaults. One audit event."""
    authorize(actor, roles.SETTINGS_UPDATE)
    if actor.tenant_id != tenant.id:
        raise PermissionDenied("Not found.")
    settings, _ = TenantGroupSettings.objects.select_for_update().get_or_create(tenant=tenant)
    before = settings_snapshot(settings, [*GROUP_UNIFIED_FIELDS, "group_unified_setting_id"])
    for name in GROUP_UNIFIED_FIELDS:
        field = TenantGroupSettings._meta.get_field(name)
        setattr(settings, field.attname, None if field.is_relation else field.get_default())
    settings.group_unified_setting_id = None
    settings.save()
    tenant.group_settings = settings
    forget(actor)
    after = settings_snapshot(settings, [*GROUP_UNIFIED_FIELDS, "group_unified_setting_id"])
    changed = [name for name in before if before[name] != after[name]]
    audit_record(
        tenant=tenant,
        actor=actor,
        activity="Delete group settings",
        target=tenant,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
        category="GroupSettings",
    )
    return settings
