"""Directory objects as Graph's JSON: property names, types and null conventions as Graph's."""

from __future__ import annotations

import itertools
import struct
import uuid
from collections.abc import Callable, Container, Iterable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from groups.licensing.selectors import (
    group_assigned_licenses,
    group_has_license_errors,
    groups_licenses_prefetch,
    user_licenses,
    users_licenses_prefetch,
)
from groups.models import Group, GroupKind, MembershipType
from portal.directory import (
    DEVICE_GRAPH_PROPERTIES,
    GROUP_PROPERTIES,
    SERVICE_PRINCIPAL_PROPERTIES,
    USER_EXTENSION_ATTRIBUTES,
    USER_LIST_VALUED_PROPERTIES,
    USER_STRING_PROPERTIES,
)
from portal.models import Device, MultiValueAttribute, ServicePrincipal, Source, User
from portal.site.api.graph_shapes import (
    COLLECTIONS,
    DEVICE_V1,
    GROUP_V1,
    SERVICE_PRINCIPAL_V1,
    USER_V1,
)

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
    moment = moment.astimezone(UTC)
    if moment.year < 1000:  # strftime's %Y doesn't pad; isoformat does (twice as fast otherwise)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def security_identifier(object_id: uuid.UUID) -> str:
    """Entra's SID of a cloud object: S-1-12-1- and the id's 16 bytes (as .NET orders them) read as four
    little-endian unsigned integers."""
    a, b, c, d = struct.unpack("<4I", object_id.bytes_le)
    return f"S-1-12-1-{a}-{b}-{c}-{d}"


# USER_STRING_PROPERTIES in order, sorted once (not per user of a page): the flat ones with whether Graph
# makes a collection of them, and the extension attributes (inside onPremisesExtensionAttributes).
_USER_FLAT: tuple[tuple[str, str, bool], ...] = tuple(
    (prop, attr, prop in USER_LIST_VALUED_PROPERTIES)
    for prop, attr in USER_STRING_PROPERTIES.items()
    if prop not in USER_EXTENSION_ATTRIBUTES
)
_USER_EXTENSIONS: tuple[tuple[str, str], ...] = tuple(
    (prop, USER_STRING_PROPERTIES[prop]) for prop in USER_EXTENSION_ATTRIBUTES
)


def _user_collections(user: User) -> tuple[list[str], list[str]]:
    """(otherMails, proxyAddresses) in their stored order, from one pass over the (prefetched) values."""
    other_mails: list[str] = []
    proxy_addresses: list[str] = []
    for item in user.multi_values.all():
        if item.attribute == MultiValueAttribute.OTHER_MAILS:
            other_mails.append(item.value)
        elif item.attribute == MultiValueAttribute.PROXY_ADDRESSES:
            proxy_addresses.append(item.value)
    return other_mails, proxy_addresses


def user_json(user: User) -> dict[str, Any]:
    data: dict[str, Any] = {"id": str(user.id), "userPrincipalName": user.user_principal_name}
    for prop, attr, listed in _USER_FLAT:
        value = getattr(user, attr)
        data[prop] = ([value] if value else []) if listed else value
    other_mails, proxy_addresses = _user_collections(user)
    data.update(
        {
            "accountEnabled": user.account_enabled,
            "userType": user.user_type,
            "employeeHireDate": iso(user.employee_hire_date),
            "createdDateTime": iso(user.created_date_time),
            "externalUserStateChangeDateTime": iso(user.external_user_state_change_date_time),
            "otherMails": other_mails,
            "proxyAddresses": proxy_addresses,
            "onPremisesSyncEnabled": True if user.source == Source.SYNCED else None,
            "onPremisesUserPrincipalName": user.user_principal_name if user.source == Source.SYNCED else None,
            "deletedDateTime": iso(user.deleted_date_time),
            "securityIdentifier": security_identifier(user.id),
            "imAddresses": [user.sip_proxy_address.removeprefix("sip:")] if user.sip_proxy_address else [],
            # Invited guests carry their state; a guest made otherwise (an import) counts as invited, and
            # as having accepted once they have signed in.
            "creationType": user.creation_type or ("Invitation" if user.is_guest else None),
            "externalUserState": user.external_user_state
            or (("Accepted" if user.last_login else "PendingAcceptance") if user.is_guest else None),
            "onPremisesExtensionAttributes": {prop: getattr(user, attr) for prop, attr in _USER_EXTENSIONS},
        }
    )
    return data


def group_json(group: Group) -> dict[str, Any]:
    # Group.mail reads the tenant's domain only for mail-enabled kinds (a security group loads nothing).
    return _group_data({column: getattr(group, column) for column in GROUP_JSON_COLUMNS}, group.mail)


# The columns a group's JSON is made of: what a list reads with ``.values()`` (group_rows_json).
GROUP_JSON_COLUMNS: tuple[str, ...] = (
    "id",
    *GROUP_PROPERTIES.values(),
    "kind",
    "membership_type",
    "source",
    "has_team",
)


def group_rows_json(rows: Iterable[dict[str, Any]], tenant: Any) -> list[dict[str, Any]]:
    """Groups of ``tenant`` read as ``.values(*GROUP_JSON_COLUMNS)`` rows, as ``group_json`` writes them:
    a page of 100 without a model instance, a tenant lookup or a property call per group."""
    domain = tenant.default_domain
    mailed = _MAIL_ENABLED_KINDS
    return [
        _group_data(row, f"{row['mail_nickname']}@{domain}" if row["kind"] in mailed else None)
        for row in rows
    ]


def _group_data(row: dict[str, Any], mail: str | None) -> dict[str, Any]:
    """The one writer of a group's JSON (same keys, order and values whether from an instance or a row)."""
    flags = _GROUP_FLAGS[(row["kind"], row["membership_type"])]
    created, expires, renewed, deleted = (
        row["created_date_time"],
        row["expiration_date_time"],
        row["renewed_date_time"],
        row["deleted_date_time"],
    )
    group_id = row["id"]
    return {
        "id": str(group_id),
        "displayName": row["display_name"],
        "description": row["description"] or None,  # GROUP_BLANK_IS_NULL: stored "", Graph says null
        "mailNickname": row["mail_nickname"],
        "visibility": row["visibility"],
        "classification": row["classification"] or None,
        "membershipRule": row["membership_rule"] or None,
        "membershipRuleProcessingState": row["membership_rule_processing_state"] if flags.dynamic else None,
        "isAssignableToRole": row["is_assignable_to_role"],
        "createdDateTime": None if created is None else iso(created),
        "expirationDateTime": None if expires is None else iso(expires),
        "renewedDateTime": None if renewed is None else iso(renewed),
        "deletedDateTime": None if deleted is None else iso(deleted),
        "mail": mail,
        "mailEnabled": flags.mail_enabled,
        "securityEnabled": flags.security_enabled,
        "groupTypes": list(flags.group_types),
        "onPremisesSyncEnabled": True if row["source"] == Source.SYNCED else None,
        "securityIdentifier": security_identifier(group_id),
        "proxyAddresses": [f"SMTP:{mail}"] if mail else [],
        "resourceProvisioningOptions": ["Team"] if row["has_team"] else [],
        **GROUP_DEFAULT_NULLS,
        "resourceBehaviorOptions": [],
    }


class _Flags(NamedTuple):
    dynamic: bool
    mail_enabled: bool
    security_enabled: bool
    group_types: tuple[str, ...]


def _flags(kind: str, membership_type: str) -> _Flags:
    example = Group(kind=kind, membership_type=membership_type)  # the model's own derivations, once
    return _Flags(
        example.is_dynamic, example.mail_enabled, example.security_enabled, tuple(example.group_types)
    )


# Graph's flags of each (kind, membership type): derived from the two alone (groups.models.Group).
_GROUP_FLAGS: dict[tuple[str, str], _Flags] = {
    (kind, membership): _flags(kind, membership)
    for kind, membership in itertools.product(GroupKind.values, MembershipType.values)
}
_MAIL_ENABLED_KINDS = frozenset(kind for (kind, _), flags in _GROUP_FLAGS.items() if flags.mail_enabled)


# The rest of Graph's default property set of a group, which Groupdesk keeps nothing for.
GROUP_DEFAULT_NULLS: dict[str, Any] = {
    "onPremisesDomainName": None,
    "onPremisesLastSyncDateTime": None,
    "onPremisesNetBiosName": None,
    "onPremisesSamAccountName": None,
    "onPremisesSecurityIdentifier": None,
    "preferredDataLocation": None,
    "preferredLanguage": None,
    "theme": None,
    "onPremisesProvisioningErrors": [],
    "serviceProvisioningErrors": [],
}


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


def _user_licensing(name: str) -> Callable[[User], Any]:
    return lambda user: user_licenses(user)[name]


# Properties that cost a query each: answered only when $select names them (as Graph does for these).
ON_SELECT: dict[type, dict[str, Callable[[Any], Any]]] = {
    User: {
        name: _user_licensing(name)
        for name in ("assignedLicenses", "assignedPlans", "licenseAssignmentStates")
    },
    Group: {
        "assignedLicenses": group_assigned_licenses,
        "hasMembersWithLicenseErrors": group_has_license_errors,
    },
}


# The same reads for a whole list (a page): a constant number of queries, not one set per object.
_ON_SELECT_PREFETCH: dict[type, Callable[[list], None]] = {
    User: users_licenses_prefetch,
    Group: groups_licenses_prefetch,
}


def prefetch_selected(objects: list, selected: Container[str] | None) -> None:
    """Before serializing a page: read what its ``$select`` asks of ON_SELECT for every object at once."""
    if not selected:
        return
    for model, prefetch in _ON_SELECT_PREFETCH.items():
        of_model = [o for o in objects if type(o) is model]
        if of_model and any(name in selected for name in ON_SELECT[model]):
            prefetch(of_model)


def to_json(obj: Any, *, typed: bool = False, selected: Container[str] | None = None) -> dict[str, Any]:
    """``obj`` as Graph's JSON; ``typed`` adds "@odata.type" (directoryObject collections need it);
    ``selected``: the $select names, which may ask for the properties that cost a query."""
    data = _SERIALIZERS[type(obj)](obj)
    for name, compute in ON_SELECT.get(type(obj), {}).items():
        if selected and name in selected:
            data[name] = compute(obj)
    return {"@odata.type": ODATA_TYPES[type(obj)], **data} if typed else data


# What $select may name, per resource: every structural v1.0 property (those Groupdesk keeps nothing
# for answer null or []), in Graph's spelling; CANONICAL finds it whatever the case of the request.
PROPERTIES: dict[str, frozenset[str]] = {
    "user": frozenset(USER_V1),
    "group": frozenset(GROUP_V1),
    "device": frozenset(DEVICE_V1),
    "servicePrincipal": frozenset(SERVICE_PRINCIPAL_V1),
}
PROPERTIES["directoryObject"] = frozenset().union(*PROPERTIES.values())
CANONICAL: dict[str, dict[str, str]] = {
    resource: {name.lower(): name for name in names} for resource, names in PROPERTIES.items()
}


def restrict_user(data: dict[str, Any], readable: Container[str]) -> dict[str, Any]:
    """A user's JSON with the properties ``readable`` doesn't let through set to null."""
    if getattr(readable, "everything", False):  # an administrator's page: nothing to null
        return data
    return {k: v if k == "@odata.type" or k in readable else None for k, v in data.items()}


def select(data: dict[str, Any], selected: list[str] | None) -> dict[str, Any]:
    """The selected properties only; one Groupdesk keeps nothing for reads null ([] for a collection)."""
    if not selected:
        return data
    chosen = {k: v for k, v in data.items() if k in selected or k == "@odata.type"}
    for name in selected:
        if name not in chosen:
            chosen[name] = [] if name in COLLECTIONS else None
    return chosen
