"""Devices: the CSV import (import_devices) and the reads of the /devices/ pages.

Columns are named like the device properties of the rule language (portal.directory.DEVICE_PROPERTIES,
plus devicePhysicalIds and systemLabels separated by ';'). A row updates the tenant's device with the
same deviceId, or else the same displayName; otherwise it creates one. All rows or none.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from portal.audit import audit_record
from portal.csvfile import ImportError_, csv_rows
from portal.directory import (
    DEVICE_BOOLEAN_PROPERTIES,
    DEVICE_COLLECTION_PROPERTIES,
    DEVICE_PROPERTIES,
    changed_graph_names,
)
from portal.models import Device, DeviceMultiValue, DeviceOwnership, Tenant
from portal.services import SYSTEM, on_device_attributes_changed

_TRUE, _FALSE = {"true", "yes", "1"}, {"false", "no", "0"}


@dataclass
class DeviceRow:
    line: int
    values: dict[str, Any] = field(default_factory=dict)
    collections: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class DeviceImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _value(prop: str, raw: str) -> Any:
    if prop in DEVICE_BOOLEAN_PROPERTIES:
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        raise ValueError(f"{prop} must be true or false, not “{raw}”")
    if prop == "deviceId":
        try:
            return uuid.UUID(raw)
        except ValueError:
            raise ValueError(f"deviceId must be a GUID, not “{raw}”") from None
    if prop == "deviceOwnership":
        for choice in DeviceOwnership.values:
            if raw.lower() == choice.lower():
                return choice
        raise ValueError(f"deviceOwnership must be Personal, Company or Unknown, not “{raw}”")
    limit = Device._meta.get_field(DEVICE_PROPERTIES[prop]).max_length
    if limit and len(raw) > limit:
        raise ValueError(f"{prop} is longer than {limit} characters")
    return raw


def parse_devices_csv(text: str) -> list[DeviceRow]:
    errors: list[tuple[int, str]] = []
    rows: list[DeviceRow] = []
    seen: dict[str, int] = {}
    known = {*DEVICE_PROPERTIES, *DEVICE_COLLECTION_PROPERTIES}
    for line, cells in csv_rows(text, required="displayName", known=known, errors=errors):
        row = DeviceRow(line=line)
        for column, raw in cells.items():
            if column in DEVICE_COLLECTION_PROPERTIES:
                row.collections[column] = list(dict.fromkeys(i.strip() for i in raw.split(";") if i.strip()))
            elif raw == "":
                if column == "displayName":
                    errors.append((line, "displayName can't be empty"))
                elif column in DEVICE_BOOLEAN_PROPERTIES or column in ("deviceId", "deviceOwnership"):
                    continue  # keep the current (or default) value
                else:
                    row.values[column] = None
            else:
                try:
                    row.values[column] = _value(column, raw)
                except ValueError as exc:
                    errors.append((line, str(exc)))
        key = (
            str(row.values.get("deviceId") or "").lower()
            or f"name:{(row.values.get('displayName') or '').lower()}"
        )
        if key in seen:
            errors.append((line, f"the same device already appears on line {seen[key]}"))
        seen[key] = line
        rows.append(row)
    if errors:
        raise ImportError_(sorted(errors))
    return rows


def _snapshot(device: Device) -> dict[str, Any]:
    data = {prop: getattr(device, attr) for prop, attr in DEVICE_PROPERTIES.items()}
    data["deviceId"] = str(device.device_id)
    return data


@transaction.atomic
def devices_import(*, tenant: Tenant, text: str, actor: Any = SYSTEM) -> DeviceImportReport:
    """Create or update the tenant's devices from a CSV file; dynamic device groups follow at once."""
    rows = parse_devices_csv(text)
    devices = list(Device.objects.filter(tenant=tenant))
    by_id = {d.device_id: d for d in devices}
    by_name: dict[str, list[Device]] = {}
    for d in devices:
        by_name.setdefault(d.display_name.lower(), []).append(d)
    _refuse_ambiguous_names(rows, by_name)
    report = DeviceImportReport()
    changed: list[Device] = []
    names: set[str] | None = set()  # the Graph names of what changed (None: a new device, anything)
    for row in rows:
        device, outcome = _import_row(
            tenant=tenant, actor=actor, row=row, device=_existing(row, by_id, by_name)
        )
        setattr(report, outcome, getattr(report, outcome) + 1)
        if outcome != "unchanged":
            changed.append(device)
            names = _names_after(names, row, created=outcome == "created")
    on_device_attributes_changed(tenant=tenant, devices=changed, actor=actor, changed=names)
    return report


def _names_after(names: set[str] | None, row: DeviceRow, *, created: bool) -> set[str] | None:
    """What a row changed, added to the import's set (None: anything, as for a new device)."""
    if names is None or created:
        return None
    fields = changed_graph_names((DEVICE_PROPERTIES[p] for p in row.values), device=True)
    return None if fields is None else names | fields | set(row.collections)


def _refuse_ambiguous_names(rows: list[DeviceRow], by_name: dict[str, list[Device]]) -> None:
    """A row without a deviceId must name exactly one device (or none, to create it)."""
    errors = []
    for row in rows:
        if "deviceId" not in row.values and len(by_name.get(row.values["displayName"].lower(), [])) > 1:
            errors.append(
                (row.line, f"several devices are named {row.values['displayName']}: add a deviceId column")
            )
    if errors:
        raise ImportError_(errors)


def _existing(row: DeviceRow, by_id: dict, by_name: dict[str, list[Device]]) -> Device | None:
    """The device a row updates: the same deviceId, or else (without a deviceId) the same displayName."""
    device = by_id.get(row.values.get("deviceId"))
    if device is None and "deviceId" not in row.values:
        matches = by_name.get(row.values["displayName"].lower(), [])
        device = matches[0] if matches else None
    return device


def _import_row(*, tenant: Tenant, actor: Any, row: DeviceRow, device: Device | None) -> tuple[Device, str]:
    """Write one row and audit it; the outcome names the report's counter: created, updated or unchanged."""
    before = _snapshot(device) if device else None
    before_collections = (
        sorted(device.multi_values.values_list("attribute", "value")) if device and row.collections else None
    )
    if device is None:
        device = Device(tenant=tenant)
    for prop, value in row.values.items():
        setattr(device, DEVICE_PROPERTIES[prop], value)
    device.save()
    for attribute, items in row.collections.items():
        DeviceMultiValue.objects.filter(device=device, attribute=attribute).delete()
        DeviceMultiValue.objects.bulk_create(
            DeviceMultiValue(device=device, attribute=attribute, value=v) for v in items
        )
    collections_changed = row.collections and before_collections != sorted(
        device.multi_values.values_list("attribute", "value")
    )
    if before is None:
        audit_record(
            tenant=tenant,
            actor=actor,
            activity="Add device",
            target=device,
            after=_snapshot(device),
            category="Device",
        )
        return device, "created"
    if before != _snapshot(device) or collections_changed:
        audit_record(
            tenant=tenant,
            actor=actor,
            activity="Update device",
            target=device,
            before=before,
            after=_snapshot(device),
            category="Device",
        )
        return device, "updated"
    return device, "unchanged"
