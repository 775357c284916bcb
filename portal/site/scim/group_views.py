"""/scim/v2/Groups: security groups provisioned by the calling app (``Group.provisioned_by``), read-only
for every other writer as synced groups are. Changes go through ``group_create`` / ``group_update`` /
``group_soft_delete``, members through the one membership writer (``groups.services.membership``)."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils.text import slugify
from scim2_models import Context, GroupMember, Meta, PatchOp
from scim2_models import Group as ScimGroup

from groups.models import CreatedIn, Group, GroupKind, Membership
from groups.services import group_create, group_soft_delete, group_update
from groups.services import membership as writer
from portal.site.scim.auth import scim_view
from portal.site.scim.common import (
    dump,
    filter_of,
    listed,
    page_bounds,
    query_of,
    response_parameters,
    wants,
)
from portal.site.scim.filters import Field
from portal.site.scim.protocol import ScimError, invalid_value, read_body, scim_response
from portal.site.scim.users import location, parse_id, users_of


def _member_of(value: Any) -> Q:
    if value is None:
        return Q(memberships__isnull=False)
    return Q(pk__in=Membership.objects.filter(member_user_id=parse_id(value)).values("group_id")) | Q(
        pk__in=Membership.objects.filter(member_group_id=parse_id(value)).values("group_id")
    )


GROUP_FIELDS: dict[str, Field] = {
    "id": Field("pk", case_exact=True, kind="id"),
    "displayName": Field("display_name"),
    "externalId": Field("external_id", case_exact=True),
    "meta.created": Field("created_date_time", kind="datetime"),
    "members": Field("", kind="subquery", build=_member_of),
    "members.value": Field("", kind="subquery", build=_member_of),
}


def groups_of(actor: Any):
    """The groups this app provisioned (and hasn't deleted)."""
    return Group.objects.for_tenant(actor.tenant).alive().filter(provisioned_by=actor.service_principal)


def _group(request: HttpRequest, group_id: str) -> Group:
    group = groups_of(request.actor).filter(pk=parse_id(group_id)).first()
    if group is None:
        raise ScimError(404, f"No group {group_id[:80]!r}.")
    return group


def _memberships(groups: list[Group]) -> dict[Any, list[Membership]]:
    found: dict[Any, list[Membership]] = {g.pk: [] for g in groups}
    rows = Membership.objects.filter(group__in=groups).filter(
        Q(member_user__isnull=False) | Q(member_group__isnull=False)
    )
    for m in rows.select_related("member_user", "member_group").order_by("pk"):
        found[m.group_id].append(m)
    return found


def group_resource(group: Group, memberships: list[Membership] | None) -> ScimGroup:
    members = None
    if memberships is not None:
        members = [
            GroupMember(
                value=str(m.member.pk),
                ref=location("Users" if m.member_user_id else "Groups", m.member.pk),
                type="User" if m.member_user_id else "Group",
            )
            for m in memberships
        ]
    return ScimGroup(
        id=str(group.pk),
        external_id=group.external_id or None,
        display_name=group.display_name,
        members=members or None,
        meta=Meta(
            resource_type="Group",
            created=group.created_date_time,
            last_modified=group.renewed_date_time or group.created_date_time,
            location=location("Groups", group.pk),
        ),
    )


@scim_view("GET", "POST")
def groups(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _create(request)
    return scim_response(group_list(request, query_of(request)))


@scim_view("POST")
def groups_search(request: HttpRequest) -> HttpResponse:
    return scim_response(group_list(request, query_of(request)))


def group_list(request: HttpRequest, query: dict[str, Any], *, skip: int = 0) -> dict[str, Any]:
    start, count = page_bounds(query)
    parameters = response_parameters(query, ScimGroup)
    found = groups_of(request.actor).filter(filter_of(query, GROUP_FIELDS)).distinct()
    total = found.count()
    first = max(start - 1 - skip, 0)
    page = list(found.order_by("created_date_time", "pk")[first : first + count])
    members = _memberships(page) if wants(parameters, "members") else {}
    items = [dump(group_resource(g, members.get(g.pk)), Context.SEARCH_RESPONSE, parameters) for g in page]
    return listed(items, total, start)


def _alias(tenant: Any, display_name: str) -> str:
    base = (slugify(display_name).replace("-", "")[:40] or "scimgroup").lower()
    alias = base
    while Group.objects.for_tenant(tenant).filter(mail_nickname__iexact=alias).exists():
        alias = f"{base}{secrets.token_hex(4)}"
    return alias


def _display_name(resource: ScimGroup) -> str:
    name = (resource.display_name or "").strip()
    if not name:
        raise invalid_value("displayName is required.")
    if len(name) > 256:
        raise invalid_value("displayName is longer than 256 characters.")
    return name


def _external_id(resource: ScimGroup) -> str | None:
    if resource.external_id and len(resource.external_id) > 256:
        raise invalid_value("externalId is longer than 256 characters.")
    return resource.external_id or None


def _create(request: HttpRequest) -> HttpResponse:
    resource = ScimGroup.model_validate(read_body(request), scim_ctx=Context.RESOURCE_CREATION_REQUEST)
    name, actor = _display_name(resource), request.actor
    with transaction.atomic():
        group = group_create(
            actor=actor,
            display_name=name,
            mail_nickname=_alias(actor.tenant, name),
            kind=GroupKind.SECURITY,
            created_in=CreatedIn.SCIM,
            provisioned_by=actor.service_principal,
            external_id=_external_id(resource),
        )
        _set_members(actor, group, resource.members or [], current=[])
    shown = group_resource(group, _memberships([group])[group.pk])
    response = scim_response(dump(shown, Context.RESOURCE_CREATION_RESPONSE), 201, shown.meta.location)
    response.scim_resource_id = str(group.pk)
    return response


@scim_view("GET", "PUT", "PATCH", "DELETE")
def group_detail(request: HttpRequest, group_id: str) -> HttpResponse:
    group = _group(request, group_id)
    if request.method == "DELETE":
        with transaction.atomic():
            group_soft_delete(actor=request.actor, group=group)
        return scim_response(None, 204)
    if request.method == "GET":
        parameters = response_parameters(request.GET, ScimGroup)
        members = _memberships([group])[group.pk] if wants(parameters, "members") else None
        return scim_response(
            dump(group_resource(group, members), Context.RESOURCE_QUERY_RESPONSE, parameters)
        )
    body = read_body(request)
    current = _memberships([group])[group.pk]
    if request.method == "PUT":
        resource = ScimGroup.model_validate(body, scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
        context = Context.RESOURCE_REPLACEMENT_RESPONSE
    else:
        patch = PatchOp[ScimGroup].model_validate(
            _normalized(body, group), scim_ctx=Context.RESOURCE_PATCH_REQUEST
        )
        resource = group_resource(group, current)
        patch.patch(resource)
        context = Context.RESOURCE_PATCH_RESPONSE
    with transaction.atomic():
        group = _apply(request.actor, group, resource, current)
    if request.method == "PATCH" and not body.get("returnRepresentation", True):
        return scim_response(None, 204)
    return scim_response(dump(group_resource(group, _memberships([group])[group.pk]), context))


def _normalized(body: dict, group: Group) -> dict:
    """Two providers' ways, read as the RFC's: Okta's ``replace`` of the whole group repeats its ``id``
    (that changes nothing: dropped); Entra removes members with a ``value`` array (each becomes a
    ``members[value eq "…"]`` path, whatever else the entries carry, such as ``"$ref": null``)."""
    operations = []
    for operation in body.get("Operations") or []:
        if not isinstance(operation, dict):
            operations.append(operation)
            continue
        value = operation.get("value")
        if isinstance(value, dict) and str(value.get("id", "")) == str(group.pk):
            operation = {**operation, "value": {k: v for k, v in value.items() if k != "id"}}
        removes_listed = str(operation.get("op", "")).lower() == "remove" and isinstance(value, list)
        if removes_listed and str(operation.get("path", "")).lower() == "members":
            for entry in value:
                member_id = entry.get("value") if isinstance(entry, dict) else None
                if not isinstance(member_id, str) or '"' in member_id or "\\" in member_id:
                    raise invalid_value("Each member to remove needs a value: the member's id.")
                operations.append({"op": "remove", "path": f'members[value eq "{member_id}"]'})
            continue
        operations.append(operation)
    return {**body, "Operations": operations}


def _apply(actor: Any, group: Group, resource: ScimGroup, current: list[Membership]) -> Group:
    changes = {}
    name = _display_name(resource)
    if name != group.display_name:
        changes["display_name"] = name
    external_id = _external_id(resource)
    if external_id != (group.external_id or None):
        changes["external_id"] = external_id
    if changes:
        group = group_update(actor=actor, group=group, **changes)
    _set_members(actor, group, resource.members or [], current=current)
    return group


def _set_members(actor: Any, group: Group, wanted: list[GroupMember], *, current: list[Membership]) -> None:
    """Add and remove members so the group holds ``wanted``: through the membership writer only."""
    wanted_ids = {parse_id(m.value) or str(m.value) for m in wanted if m.value}
    have = {str(m.member.pk): m for m in current}
    adding = wanted_ids - set(have)
    if adding:
        users = list(users_of(actor.tenant).filter(pk__in=[i for i in adding if parse_id(i)]))
        nested = list(
            Group.objects.for_tenant(actor.tenant).alive().filter(pk__in=[i for i in adding if parse_id(i)])
        )
        unknown = adding - {str(u.pk) for u in users} - {str(g.pk) for g in nested}
        if unknown:
            raise invalid_value(f"No user or group {sorted(unknown)[0][:80]!r} here to make a member.")
        outcome = writer.members_add_many(actor=actor, group=group, users=users, reason="SCIM provisioning")
        if outcome.refused:
            user, reason = outcome.refused[0]
            raise invalid_value(f"{user.user_principal_name} can't be a member: {reason}")
        for member in nested:
            writer.member_add(actor=actor, group=group, member=member, reason="SCIM provisioning")
    leaving = [have[i] for i in set(have) - wanted_ids]
    if leaving:
        writer.members_remove_many(actor=actor, group=group, memberships=leaving, reason="SCIM provisioning")
