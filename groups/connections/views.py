"""The /connections/ pages: the tenant's connections; a connection's external groups (with a picture of
their nesting, drawn on the server) and items; an external group's members; an item's ACL with "Who can
see this?" and "Can this user see it?". Thin views: parse → service → redirect (POST/redirect/GET), or
read → render. Every object is reached through a scoped getter (other tenant: 404) and authorized (403).
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from groups.connections import lookups, picture, selectors, services
from groups.connections.authz import DELETE, UPDATE
from groups.connections.forms import CheckUserForm, ConnectionForm, ExternalGroupForm, MemberForm
from groups.connections.models import ExternalGroup, ExternalGroupMember, ExternalItem
from groups.connections.validation import MemberRef, html_text
from portal.authz import can
from portal.errors import ServiceError, form_error

ITEMS_PER_PAGE = 50


@login_required
def connection_list(request: HttpRequest) -> HttpResponse:
    connections = lookups.connections_overview(request.user)
    form = ConnectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            connection = services.connection_create(actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"Added the connection {connection.name}.")
            return redirect("connection_detail", connection_pk=connection.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "groups/connections/list.html", {"connections": connections, "form": form}, status=status
    )


def _picture(connection) -> picture.Picture:
    rows = selectors.connection_members(connection)
    groups = {g.group_id: str(g) for g in selectors.external_groups(connection)}
    members = [
        picture.Member(row.group.group_id, row.member_kind, row.member_key, _member_label(row))
        for row in rows
    ]
    return picture.layout(groups, members)


def _member_label(row: ExternalGroupMember) -> str:
    if row.member_user_id:
        return row.member_user.display_name or row.member_user.user_principal_name
    if row.member_group_id:
        return row.member_group.display_name
    return str(row.member_external)


@login_required
def connection_detail(request: HttpRequest, connection_pk: UUID) -> HttpResponse:
    connection = lookups.connection_page_for(request.user, connection_pk)
    form = ExternalGroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.external_group_create(
                actor=request.user, connection=connection, **form.cleaned_data
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"Added the external group {group.group_id}.")
            return redirect("connection_detail", connection_pk=connection.pk)
    context = {
        "connection": connection,
        "groups": lookups.groups_overview(connection),
        "picture": _picture(connection),
        "items": Paginator(selectors.items(connection), ITEMS_PER_PAGE).get_page(request.GET.get("page")),
        "form": form,
        "may_edit": can(request.user, UPDATE, connection),
    }
    return render(
        request, "groups/connections/detail.html", context, status=400 if request.method == "POST" else 200
    )


@login_required
@require_POST
def connection_delete(request: HttpRequest, connection_pk: UUID) -> HttpResponse:
    connection = lookups.connection_page_for(request.user, connection_pk, DELETE)
    services.connection_delete(actor=request.user, connection=connection)
    messages.success(request, f"Deleted the connection {connection.name}.")
    return redirect("connection_list")


def _external_group(
    request: HttpRequest, connection_pk: UUID, external_group_pk: UUID, action: str = selectors.READ
):
    connection = lookups.connection_page_for(request.user, connection_pk, action)
    return get_object_or_404(
        ExternalGroup.objects.select_related("connection__tenant"),
        connection=connection,
        pk=external_group_pk,
    )


@login_required
def external_group_detail(request: HttpRequest, connection_pk: UUID, external_group_pk: UUID) -> HttpResponse:
    group = _external_group(request, connection_pk, external_group_pk)
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ref = lookups.resolve_member(
                group.connection, form.cleaned_data["kind"], form.cleaned_data["value"]
            )
            services.external_group_member_add(actor=request.user, group=group, member=ref)
        except ServiceError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"Added {form.cleaned_data['value']} to {group}.")
            return redirect("external_group_detail", connection_pk=connection_pk, external_group_pk=group.pk)
    context = {
        "connection": group.connection,
        "group": group,
        "members": selectors.external_group_members(group),
        "form": form,
        "may_edit": can(request.user, UPDATE, group.connection),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "groups/connections/group.html", context, status=status)


@login_required
@require_POST
def external_group_member_remove(
    request: HttpRequest, connection_pk: UUID, external_group_pk: UUID
) -> HttpResponse:
    group = _external_group(request, connection_pk, external_group_pk, UPDATE)
    row = selectors.external_group_member(group, request.POST.get("member", "")[:200])
    if row is None:
        messages.error(request, "That member had already left the group.")
    else:
        ref = MemberRef(row.member_kind, row.member_key)
        services.external_group_member_remove(actor=request.user, group=group, member=ref)
        messages.success(request, f"Removed {_member_label(row)} from {group}.")
    return redirect("external_group_detail", connection_pk=connection_pk, external_group_pk=group.pk)


@login_required
@require_POST
def external_group_delete(request: HttpRequest, connection_pk: UUID, external_group_pk: UUID) -> HttpResponse:
    group = _external_group(request, connection_pk, external_group_pk, UPDATE)
    services.external_group_delete(actor=request.user, group=group)
    messages.success(
        request, f"Deleted the external group {group.group_id}: ACL entries that name it reach nobody now."
    )
    return redirect("connection_detail", connection_pk=connection_pk)


def _item(
    request: HttpRequest, connection_pk: UUID, item_pk: UUID, action: str = selectors.READ
) -> ExternalItem:
    connection = lookups.connection_page_for(request.user, connection_pk, action)
    return get_object_or_404(
        ExternalItem.objects.select_related("connection__tenant"), connection=connection, pk=item_pk
    )


@login_required
def item_detail(request: HttpRequest, connection_pk: UUID, item_pk: UUID) -> HttpResponse:
    item = _item(request, connection_pk, item_pk)
    acl = selectors.entries(item)
    audience = selectors.item_audience(item)
    check_form = CheckUserForm(request.GET if "user" in request.GET else None)
    checked = checked_user = None
    if check_form.is_bound and check_form.is_valid():
        checked_user = lookups.find_user(item.connection.tenant, check_form.cleaned_data["user"])
        if checked_user is None:
            check_form.add_error("user", "No such person in this organization.")
        else:
            checked = selectors.can_user_see(item, checked_user)
    paths = [e.principal for e in acl] + [
        n for v in audience.verdicts.values() for n in v.grant_path + v.deny_path
    ]
    if checked is not None:
        paths += list(checked.grant_path + checked.deny_path)
    names = lookups.node_names(item.connection.tenant, paths)
    context = {
        "connection": item.connection,
        "item": item,
        "acl": [(entry, names[entry.principal]) for entry in acl],
        "audience": lookups.audience_rows(audience, names),
        "everyone": audience.everyone,
        "everyone_total": audience.everyone_total,
        "check_form": check_form,
        "checked": lookups.explain(checked, names) if checked is not None else None,
        "checked_user": checked_user,
        "may_edit": can(request.user, UPDATE, item.connection),
        "content_text": html_text(item.content_value) if item.content_type == "html" else item.content_value,
    }
    return render(request, "groups/connections/item.html", context)


@login_required
@require_POST
def item_delete(request: HttpRequest, connection_pk: UUID, item_pk: UUID) -> HttpResponse:
    item = _item(request, connection_pk, item_pk, UPDATE)
    services.external_item_delete(actor=request.user, item=item)
    messages.success(request, f"Deleted the item {item.item_id}.")
    return redirect("connection_detail", connection_pk=connection_pk)
