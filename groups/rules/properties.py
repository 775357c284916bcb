"""What each property of the rule language is: its type and where its value lives.

Names come from portal.directory (the one table of Graph names ↔ model fields); lookups are
case-insensitive, so the keys here are lowercased.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from portal.directory import (
    DEVICE_BOOLEAN_PROPERTIES,
    DEVICE_COLLECTION_PROPERTIES,
    DEVICE_GRAPH_NAME_OF_FIELD,
    DEVICE_PROPERTIES,
    EXTENSION_ATTRIBUTE_COUNT,
    RULE_USER_STRING_PROPERTIES,
    USER_GRAPH_NAME_OF_FIELD,
)

# Types: string, bool, date, uuid, dirsync (a bool derived from User.source), extension (a key of
# User.extensions), collection (string items), plans (assignedPlans), memberof.
STRING, BOOL, DATE, UUID, DIRSYNC, EXTENSION = "string", "bool", "date", "uuid", "dirsync", "extension"
COLLECTION, PLANS, MEMBEROF = "collection", "plans", "memberof"
OBJECT_COLLECTIONS = (PLANS, MEMBEROF)


@dataclass(frozen=True)
class PropertyInfo:
    name: str  # canonical spelling
    type: str
    field: str  # model field, JSON key, or collection attribute


def _table(entries: list[PropertyInfo]) -> dict[str, PropertyInfo]:
    return {e.name.lower(): e for e in entries}


USER_PROPERTIES = _table(
    [
        PropertyInfo("objectId", UUID, "id"),
        PropertyInfo("accountEnabled", BOOL, "account_enabled"),
        PropertyInfo("dirSyncEnabled", DIRSYNC, "source"),
        PropertyInfo("employeeHireDate", DATE, "employee_hire_date"),
        *[PropertyInfo(name, STRING, attr) for name, attr in RULE_USER_STRING_PROPERTIES.items()],
        PropertyInfo("otherMails", COLLECTION, "otherMails"),
        PropertyInfo("proxyAddresses", COLLECTION, "proxyAddresses"),
        PropertyInfo("assignedPlans", PLANS, ""),
        PropertyInfo("memberOf", MEMBEROF, ""),
    ]
)
assert len([p for p in USER_PROPERTIES if p.startswith("extensionattribute")]) == EXTENSION_ATTRIBUTE_COUNT

DEVICE_PROPERTY_TABLE = _table(
    [
        PropertyInfo("objectId", UUID, "id"),
        PropertyInfo("deviceId", UUID, DEVICE_PROPERTIES["deviceId"]),
        *[PropertyInfo(name, BOOL, DEVICE_PROPERTIES[name]) for name in DEVICE_BOOLEAN_PROPERTIES],
        *[
            PropertyInfo(name, STRING, attr)
            for name, attr in DEVICE_PROPERTIES.items()
            if name not in DEVICE_BOOLEAN_PROPERTIES and name != "deviceId"
        ],
        *[PropertyInfo(name, COLLECTION, name) for name in DEVICE_COLLECTION_PROPERTIES],
        PropertyInfo("memberOf", MEMBEROF, ""),
    ]
)

# Properties of the items inside -any/-all.
PLAN_PROPERTIES = _table(
    [
        PropertyInfo("servicePlanId", UUID, "service_plan_id"),
        PropertyInfo("service", STRING, "service"),
        PropertyInfo("capabilityStatus", STRING, "capability_status"),
    ]
)
GROUP_PROPERTIES = _table([PropertyInfo("objectId", UUID, "group_id")])
ITEM = PropertyInfo("_", STRING, "value")

EXTENSION_RE = re.compile(r"^extension_[0-9a-z]+_[0-9a-z_]+$", re.IGNORECASE)


def lookup(obj: str, name: str) -> PropertyInfo | None:
    """The property ``obj.name`` (``obj`` lowercased prefix), or None when there is no such property."""
    if obj == "user" and EXTENSION_RE.match(name):
        return PropertyInfo(name.lower(), EXTENSION, name.lower())
    table = {
        "user": USER_PROPERTIES,
        "device": DEVICE_PROPERTY_TABLE,
        "assignedplan": PLAN_PROPERTIES,
        "group": GROUP_PROPERTIES,
    }.get(obj)
    return table.get(name.lower()) if table is not None else None


def info_of(prop) -> PropertyInfo:
    """The PropertyInfo of an ast.Property (already validated by the parser)."""
    if prop.obj == "_":
        return ITEM
    found = lookup(prop.obj.lower(), prop.name)
    assert found is not None, prop
    return found


def graph_name(prop, kind: str) -> str:
    """The Graph name of an object property of a rule of ``kind`` (``user.physicalDeliveryOfficeName``
    → ``officeLocation``, ``device.deviceOSType`` → ``operatingSystem``): the name the services that
    change users and devices give what they changed."""
    info = info_of(prop)
    if info.type in (COLLECTION, EXTENSION):
        return info.field  # collection attributes and extension keys are stored under their Graph name
    if info.type == PLANS:
        return "assignedPlans"
    if info.type == MEMBEROF:
        return "memberOf"
    return (DEVICE_GRAPH_NAME_OF_FIELD if kind == "device" else USER_GRAPH_NAME_OF_FIELD)[info.field]
