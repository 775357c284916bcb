"""Directory objects as Graph's JSON: property names, types and null conventions as Graph's."""

from __future__ import annotations

import uuid
from collections.abc import Container
from datetime import UTC, datetime
from typing import Any

from groups.models import Group
from portal.directory import (
    DEVICE_GRAPH_PROPERTIES,
    GROUP_BLANK_IS_NULL,
    GROUP_DERIVED_PROPERTIES,
    GROUP_PROPERTIES,
    SERVICE_PRINCIPAL_PROPERTIES,
    USER_EXTENSION_ATTRIBUTES,
    USER_LIST_VALUED_PROPERTIES,
    USER_STRING_PROPERTIES,
)
from portal.models import Device, ServicePrincipal, Source, User

ODATA_TYPES: dict[type, str] = {
    User: "#microsoft.graph.user",
    Group: "#microsoft.graph.group",
    Device: "#microsoft.graph.device",
    ServicePrincipal: "#microsoft.graph.servicePrincipal",
}


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, to the second, as Graph writes dates."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def user_json(user: User) -> dict[str, Any]:
    data: dict[str, Any] = {"id": str(user.id), "userPrincipalName": user.user_principal_name}
    for prop, attr in USER_STRING_PROPERTIES.items():
        if prop in USER_EXTENSION_ATTRIBUTES:
            continue
        value = getattr(user, attr)
        data[prop] = ([value] if value else []) if prop in USER_LIST_VALUED_PROPERTIES else value
    data.update(
        {
            "accountEnabled": user.account_enabled,
            "userType": user.user_type,
            "employeeHireDate": iso(user.employee_hire_date),
            "createdDateTime": iso(user.created_date_time),
            "creationType": user.creation_type,
            "externalUserState": user.external_user_state,
            "externalUserStateChangeDateTime": iso(user.external_user_state_change_date_time),
            "otherMails": user.other_mails,
            "proxyAddresses": user.proxy_addresses,
            "onPremisesSyncEnabled": True if user.source == Source.SYNCED else None,
            "onPremisesExtensionAttributes": {
                prop: getattr(user, USER_STRING_PROPERTIES[prop]) for prop in USER_EXTENSION_ATTRIBUTES
            },
        }
    )
    return data


def group_json(group: Group) -> dict[str, Any]:
    data: dict[str, Any] = {"id": str(group.id)}
    for prop, attr in GROUP_PROPERTIES.items():
        value = _plain(getattr(group, attr))
        data[prop] = None if prop in GROUP_BLANK_IS_NULL and value == "" else value
    if not group.is_dynamic:
        data["membershipRuleProcessingState"] = None
    data.update(
        {
            "mail": group.mail,
            "mailEnabled": group.mail_enabled,
            "securityEnabled": group.security_enabled,
            "groupTypes": group.group_types,
            "onPremisesSyncEnabled": True if group.is_synced else None,
        }
    )
    return data


def device_json(device: Device) -> dict[str, Any]:
    return {"id": str(device.id)} | {
        prop: _plain(getattr(device, attr)) for prop, attr in DEVICE_GRAPH_PROPERTIES.items()
    }


def service_principal_json(sp: ServicePrincipal) -> dict[str, Any]:
    return (
        {"id": str(sp.id)}
        | {prop: _plain(getattr(sp, attr)) for prop, attr in SERVICE_PRINCIPAL_PROPERTIES.items()}
        | {"servicePrincipalType": "Application"}
    )


_SERIALIZERS = {
    User: user_json,
    Group: group_json,
    Device: device_json,
    ServicePrincipal: service_principal_json,
}


def to_json(obj: Any, *, typed: bool = False) -> dict[str, Any]:
    """``obj`` as Graph's JSON; ``typed`` adds "@odata.type" (directoryObject collections need it)."""
    data = _SERIALIZERS[type(obj)](obj)
    return {"@odata.type": ODATA_TYPES[type(obj)], **data} if typed else data


USER_EXTRA_PROPERTIES = (
    "accountEnabled",
    "userType",
    "employeeHireDate",
    "createdDateTime",
    "creationType",
    "externalUserState",
    "externalUserStateChangeDateTime",
    "otherMails",
    "proxyAddresses",
    "onPremisesSyncEnabled",
    "onPremisesExtensionAttributes",
)
# What $select may name, per resource (tests check these against the serializers' output).
PROPERTIES: dict[str, frozenset[str]] = {
    "user": frozenset(
        {"id", "userPrincipalName", *USER_EXTRA_PROPERTIES}
        | (set(USER_STRING_PROPERTIES) - set(USER_EXTENSION_ATTRIBUTES))
    ),
    "group": frozenset({"id", *GROUP_PROPERTIES, *GROUP_DERIVED_PROPERTIES}),
    "device": frozenset({"id", *DEVICE_GRAPH_PROPERTIES}),
    "servicePrincipal": frozenset({"id", *SERVICE_PRINCIPAL_PROPERTIES, "servicePrincipalType"}),
}
PROPERTIES["directoryObject"] = frozenset().union(*PROPERTIES.values())


def restrict_user(data: dict[str, Any], readable: Container[str]) -> dict[str, Any]:
    """A user's JSON with the properties ``readable`` doesn't let through set to null."""
    return {k: v if k == "@odata.type" or k in readable else None for k, v in data.items()}


def select(data: dict[str, Any], selected: list[str] | None) -> dict[str, Any]:
    if not selected:
        return data
    return {k: v for k, v in data.items() if k in selected or k == "@odata.type"}
