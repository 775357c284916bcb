"""The settings tab: rename (under the naming policy), description, classification, join policy,
visibility; soft delete, restore, permanent delete and renewal."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from groups.forms import GroupSettingsForm
from groups.selectors import get_group_for
from groups.services import (
    ServiceError,
    group_hard_delete,
    group_renew,
    group_restore,
    group_soft_delete,
    group_update,
)
from groups.views.common import render_tab
from groups.views.create import name_preview
from portal.authz import can, decide
from portal.errors import form_error


@login_required
def group_edit(request: HttpRequest, group_id: UUID) -> HttpResponse:
    group = get_group_for(request.user, group_id, "standard/read")
    decision = decide(request.user, "basic/update", group)
    if not decision and not group.is_synced:
        raise PermissionDenied(decision.reason)
    form = GroupSettingsForm(request.POST or None, actor=request.user, group=group)
    saved = False
    if request.method == "POST" and not form.read_only and form.is_valid():
        try:
            group = group_update(actor=request.user, group=group, **form.changes())
        except ServiceError as exc:
            form_error(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            if not request.htmx:
                messages.success(request, "Saved the group's settings.")
                return redirect("group_edit", group.id)
            form = GroupSettingsForm(actor=request.user, group=group)
            saved = True
    context = {
        "form": form,
        "saved": saved,
        "preview": name_preview(request.user, form.typed_name, "", rename=True),
        "may_delete": can(request.user, "delete", group),
        "may_renew": can(request.user, "renew", group),
        "settings": request.user.tenant.group_settings,
    }
    if request.htmx and request.method == "POST":
        return render_tab(request, group, "group_edit", "groups/settings.html#settings_form", context)
    return render_tab(request, group, "group_edit", "groups/settings.html", context)


@login_required
@require_POST
def group_delete(request: HttpRequest, group_id: UUID) -> HttpResponse:
    group = get_group_for(request.user, group_id, "delete")
    try:
        group_soft_delete(actor=request.user, group=group)
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("group_edit", group.id)
    messages.success(
        request, f"Deleted “{group.display_name}”. It can be restored from Deleted groups for 30 days."
    )
    if can(request.user, "restore", group):
        return redirect(_deleted_list())
    return redirect("my_groups")


@login_required
@require_POST
def group_restore_view(request: HttpRequest, group_id: UUID) -> HttpResponse:
    group = get_group_for(request.user, group_id, "restore", include_deleted=True)
    try:
        group = group_restore(actor=request.user, group=group)
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect(_deleted_list())
    messages.success(request, f"Restored “{group.display_name}” with its members, owners and settings.")
    return redirect("group_detail", group.id)


@login_required
@require_POST
def group_purge(request: HttpRequest, group_id: UUID) -> HttpResponse:
    group = get_group_for(request.user, group_id, "delete", include_deleted=True)
    name = group.display_name
    try:
        group_hard_delete(actor=request.user, group=group)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Deleted “{name}” permanently.")
    return redirect(_deleted_list())


@login_required
@require_POST
def group_renew_view(request: HttpRequest, group_id: UUID) -> HttpResponse:
    group = get_group_for(request.user, group_id, "renew")
    try:
        group = group_renew(actor=request.user, group=group)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"Renewed “{group.display_name}” until {group.expiration_date_time:%d %B %Y}."
        )
    return redirect("group_detail", group.id)


def _deleted_list() -> str:
    return f"{reverse('group_list')}?view=deleted"
