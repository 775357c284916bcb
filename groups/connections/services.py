"""Every change to external connections: authorize → validate → write → audit, in one transaction.

The connection is the unit of authorization (``groups.connections.authz``); its groups, their members
and its items are changed as updates of the connection. One audit event per change, naming the
connection, group or item; the before/after of an item is its ACL and title.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from groups.connections import validation
from groups.connections.authz import CREATE, DELETE, UPDATE, ConnectionScope
from groups.connections.models import (
    ExternalAclEntry,
    ExternalConnection,
    ExternalGroup,
    ExternalGroupMember,
    ExternalItem,
)
from groups.connections.validation import ItemSpec, MemberRef
from groups.models import Group
from portal.audit import audit_record
from portal.authz import authorize
from portal.errors import Conflict, Invalid, NotFound
from portal.models import User

CATEGORY = "ExternalConnections"


def _audit(connection: ExternalConnection, actor: Any, activity: str, target: Any, **details: Any) -> None:
    audit_record(
        tenant=connection.tenant, actor=actor, activity=activity, target=target, category=CATEGORY, **details
    )


def connection_snapshot(connection: ExternalConnection) -> dict[str, Any]:
    return {"id": connection.connection_id, "name": connection.name, "description": connection.description}


@transaction.atomic
def connection_create(
    *, actor: Any, connection_id: Any, name: Any, description: Any = None
) -> ExternalConnection:
    authorize(actor, CREATE, ConnectionScope(actor.tenant_id))
    connection = ExternalConnection(
        tenant=actor.tenant,
        connection_id=validation.connection_id(connection_id),
        name=validation.text(name, "name", max_length=validation.MAX_NAME, required=True),
        description=validation.text(description, "description", max_length=4000),
    )
    if ExternalConnection.objects.filter(
        tenant=actor.tenant, connection_id__iexact=connection.connection_id
    ).exists():
        raise Conflict(f"A connection with the id '{connection.connection_id}' already exists.", field="id")
    connection.save()
    _audit(connection, actor, "Add external connection", connection, after=connection_snapshot(connection))
    return connection


@transaction.atomic
def connection_update(
    *, actor: Any, connection: ExternalConnection, changes: dict[str, Any]
) -> ExternalConnection:
    authorize(actor, UPDATE, connection)
    before = connection_snapshot(connection)
    if "name" in changes:
        connection.name = validation.text(
            changes["name"], "name", max_length=validation.MAX_NAME, required=True
        )
    if "description" in changes:
        connection.description = validation.text(changes["description"], "description", max_length=4000)
    connection.save(update_fields=["name", "description"])
    _audit(
        connection,
        actor,
        "Update external connection",
        connection,
        before=before,
        after=connection_snapshot(connection),
    )
    return connection


@transaction.atomic
def connection_delete(*, actor: Any, connection: ExternalConnection) -> None:
    authorize(actor, DELETE, connection)
    _audit(
        connection, actor, "Delete external connection", connection, before=connection_snapshot(connection)
    )
    connection.delete()


# --- external groups -------------------------------------------------------------------------------


def group_snapshot(group: ExternalGroup) -> dict[str, Any]:
    return {"id": group.group_id, "displayName": group.display_name, "description": group.description}


@transaction.atomic
def external_group_create(
    *,
    actor: Any,
    connection: ExternalConnection,
    group_id: Any,
    display_name: Any = None,
    description: Any = None,
) -> ExternalGroup:
    authorize(actor, UPDATE, connection)
    group = ExternalGroup(
        connection=connection,
        group_id=validation.external_id(group_id),
        display_name=validation.text(display_name, "displayName", max_length=256),
        description=validation.text(description, "description", max_length=4000),
    )
    if ExternalGroup.objects.filter(connection=connection, group_id=group.group_id).exists():
        raise Conflict(
            f"The external group '{group.group_id}' already exists in this connection.", field="id"
        )
    group.save()
    _audit(connection, actor, "Add external group", group, after=group_snapshot(group))
    return group


@transaction.atomic
def external_group_update(*, actor: Any, group: ExternalGroup, changes: dict[str, Any]) -> ExternalGroup:
    authorize(actor, UPDATE, group.connection)
    before = group_snapshot(group)
    if "displayName" in changes:
        group.display_name = validation.text(changes["displayName"], "displayName", max_length=256)
    if "description" in changes:
        group.description = validation.text(changes["description"], "description", max_length=4000)
    group.save(update_fields=["display_name", "description"])
    _audit(
        group.connection, actor, "Update external group", group, before=before, after=group_snapshot(group)
    )
    return group


@transaction.atomic
def external_group_delete(*, actor: Any, group: ExternalGroup) -> None:
    """Delete the group and its memberships (in other groups too). ACL entries that name it stay: they
    reach nobody until a group of that id exists again."""
    authorize(actor, UPDATE, group.connection)
    _audit(group.connection, actor, "Delete external group", group, before=group_snapshot(group))
    group.delete()


# --- members ---------------------------------------------------------------------------------------


def _member_fields(group: ExternalGroup, ref: MemberRef) -> dict[str, Any]:
    """The member column and row ``ref`` names, in the group's connection and tenant (else NotFound)."""
    tenant_id = group.connection.tenant_id
    if ref.kind == "user":
        found = User.objects.filter(tenant_id=tenant_id, pk=ref.id, deleted_date_time__isnull=True).first()
        column = "member_user"
    elif ref.kind == "group":
        found = Group.objects.filter(tenant_id=tenant_id, pk=ref.id, deleted_date_time__isnull=True).first()
        column = "member_group"
    else:
        found = ExternalGroup.objects.filter(connection_id=group.connection_id, group_id=ref.id).first()
        column = "member_external"
    if found is None:
        raise NotFound(
            f"No {ref.kind} '{ref.id}' in this {'connection' if ref.kind == 'externalGroup' else 'organization'}."
        )
    if found == group:
        raise Invalid("An external group can't contain itself.")
    return {column: found}


def _member_name(found: dict[str, Any]) -> str:
    obj = next(iter(found.values()))
    return getattr(obj, "user_principal_name", None) or getattr(obj, "display_name", "") or str(obj)


@transaction.atomic
def external_group_member_add(*, actor: Any, group: ExternalGroup, member: MemberRef) -> ExternalGroupMember:
    authorize(actor, UPDATE, group.connection)
    found = _member_fields(group, member)
    if ExternalGroupMember.objects.filter(group=group, **found).exists():
        raise Conflict("That member is already in this external group.")
    try:
        with transaction.atomic():
            row = ExternalGroupMember.objects.create(group=group, **found)
    except IntegrityError:
        raise Conflict("That member is already in this external group.") from None
    _audit(
        group.connection,
        actor,
        "Add member to external group",
        group,
        after={"member": _member_name(found), "type": member.kind, "id": member.id},
    )
    return row


@transaction.atomic
def external_group_member_remove(*, actor: Any, group: ExternalGroup, member: MemberRef) -> None:
    authorize(actor, UPDATE, group.connection)
    if member.kind == "externalGroup":
        rows = ExternalGroupMember.objects.filter(group=group, member_external__group_id=member.id)
    else:
        rows = ExternalGroupMember.objects.filter(group=group, **{f"member_{member.kind}_id": member.id})
    if not rows.delete()[0]:
        raise NotFound(f"'{member.id}' isn't a member of this external group.")
    _audit(
        group.connection,
        actor,
        "Remove member from external group",
        group,
        before={"type": member.kind, "id": member.id},
    )


# --- items -----------------------------------------------------------------------------------------


def item_snapshot(item: ExternalItem, acl: list | None = None) -> dict[str, Any]:
    entries = acl if acl is not None else list(item.acl_entries.all())
    return {
        "id": item.item_id,
        "title": item.title,
        "acl": [f"{e.access_type} {e.type} {e.value}".strip() for e in entries],
    }


@transaction.atomic
def external_item_put(
    *, actor: Any, connection: ExternalConnection, item_id: Any, spec: ItemSpec
) -> tuple[ExternalItem, bool]:
    """Create the item or replace it whole (Graph's PUT); (item, created)."""
    authorize(actor, UPDATE, connection)
    item_id = validation.external_id(item_id, "An item's id")
    item = ExternalItem.objects.select_for_update().filter(connection=connection, item_id=item_id).first()
    before = item_snapshot(item) if item is not None else None
    created = item is None
    if created:
        item = ExternalItem(connection=connection, item_id=item_id, created_date_time=timezone.now())
    item.properties = spec.properties
    item.content_type = spec.content_type
    item.content_value = spec.content_value
    item.search_text = spec.search_text
    item.last_modified_date_time = timezone.now()
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError:
        raise Conflict(f"The item '{item_id}' is being written by another request: try again.") from None
    item.acl_entries.all().delete()
    entries = ExternalAclEntry.objects.bulk_create(
        ExternalAclEntry(
            item=item,
            position=i,
            access_type=a.access_type,
            type=a.type,
            value=a.value,
            identity_source=a.identity_source,
        )
        for i, a in enumerate(spec.acl)
    )
    activity = "Add external item" if created else "Replace external item"
    _audit(connection, actor, activity, item, before=before, after=item_snapshot(item, entries))
    return item, created


@transaction.atomic
def external_item_delete(*, actor: Any, item: ExternalItem) -> None:
    authorize(actor, UPDATE, item.connection)
    _audit(item.connection, actor, "Delete external item", item, before=item_snapshot(item))
    item.delete()
