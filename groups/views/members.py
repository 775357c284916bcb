"""The members and owners tabs of /groups/<uuid>/: lists, typeahead add, remove, CSV import/export."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from groups import selectors
from groups.models import MAX_OWNERS, Group, GroupKind
from groups.selectors import get_group_for
from groups.services import (
    ServiceError,
    membership_add,
    membership_remove,
    memberships_bulk_add,
    memberships_bulk_remove,
    ownership_add,
    ownership_remove,
    parse_member_csv,
)
from groups.views.common import render_tab
from groups.views.picker import Pick, pick
from portal.authz import can
from portal.csvfile import csv_lines, uploaded_csv_text
from portal.models import User
from portal.selectors import directory_object

PAGE_SIZE = 50


def member_kinds(group: Group) -> str:
    """What the typeahead offers: Microsoft 365 groups hold users only; security groups hold users,
    groups (nesting), devices and service principals; role-assignable groups no groups."""
    if group.kind == GroupKind.MICROSOFT_365:
        return "user"
    if group.is_assignable_to_role:
        return "user,servicePrincipal"
    if group.kind == GroupKind.SECURITY:
        return "user,group,device,servicePrincipal"
    return "user,group"


def _members_context(request: HttpRequest, group: Group, **extra) -> dict:
    view = "transitive" if request.GET.get("view") == "transitive" else "direct"
    if view == "transitive":
        rows = selectors.transitive_member_users(group, request.user)
    else:
        rows = selectors.DirectMemberPages(group)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    if view == "transitive":
        direct = set(
            group.memberships.filter(member_user__in=[u.pk for u in page.object_list]).values_list(
                "member_user_id", flat=True
            )
        )
        for person in page.object_list:
            person.direct = person.pk in direct
    return {
        "view": view,
        "page": page,
        "query": f"view={view}",
        "can_edit": can(request.user, "members/update", group) and not group.is_dynamic,
        "kinds": member_kinds(group),
        **extra,
    }


def _render_members(request: HttpRequest, group: Group, status: int = 200, **extra) -> HttpResponse:
    template = "groups/members.html#panel" if request.htmx else "groups/members.html"
    return render_tab(
        request, group, "group_members", template, _members_context(request, group, **extra), status
    )


@login_required
@require_GET
def group_members(request: HttpRequest, group_id: UUID) -> HttpResponse:
    group = get_group_for(request.user, group_id, "members/read")
    return _render_members(request, group)


def _done(request: HttpRequest, group: Group, url_name: str, message: str, render_panel) -> HttpResponse:
    if request.htmx:
        return render_panel(request, group, notice=message)
    messages.success(request, message)
    return redirect(url_name, group.pk)


@login_required
@require_POST
def group_member_add(request: HttpRequest, group_id: UUID) -> HttpResponse:
    group = get_group_for(request.user, group_id, "members/update")
    chosen = pick(request, group.tenant, field_name="member", kinds=tuple(member_kinds(group).split(",")))
    if chosen.obj is None:
        return _choose(request, group, chosen, _render_members)
    member = chosen.obj
    try:
        membership_add(actor=request.user, group=group, member=member)
    except ServiceError as exc:
        return _refused(request, group, "group_members", str(exc), _render_members)
    return _done(request, group, "group_members", f"{member.display_name} was added.", _render_members)


def _choose(request: HttpRequest, group: Group, chosen: Pick, render_panel) -> HttpResponse:
    """The matches to choose from (or why there are none), in the tab, the text kept in the box."""
    extra = {"q": chosen.q, "matches": chosen.matches}
    if not chosen.found_none:
        return render_panel(request, group, choose=chosen.message, **extra)
    status = 200 if request.htmx else 400  # htmx swaps 2xx only
    return render_panel(request, group, status=status, error=chosen.message, **extra)


@login_required
@require_POST
def group_member_remove(request: HttpRequest, group_id: UUID) -> HttpResponse:
    group = get_group_for(request.user, group_id, "members/update")
    member = directory_object(group.tenant, request.POST.get("member", ""))
    try:
        if member is None:
            raise ServiceError("That member no longer exists.")
        membership_remove(actor=request.user, group=group, member=member)
    except ServiceError as exc:
        return _refused(request, group, "group_members", str(exc), _render_members)
    return _done(request, group, "group_members", f"{member.display_name} was removed.", _render_members)


def _refused(request: HttpRequest, group: Group, url_name: str, error: str, render_panel) -> HttpResponse:
    if request.htmx:  # htmx swaps 2xx only: the error comes back in place, as a 200
        return render_panel(request, group, error=error)
    return render_panel(request, group, status=400, error=error)


@login_required
@require_POST
def group_members_import(request: HttpRequest, group_id: UUID) -> HttpResponse:
    return _bulk(request, group_id, memberships_bulk_add)


@login_required
@require_POST
def group_members_remove_import(request: HttpRequest, group_id: UUID) -> HttpResponse:
    return _bulk(request, group_id, memberships_bulk_remove)


def _bulk(request: HttpRequest, group_id: UUID, service) -> HttpResponse:
    """A CSV upload, added or removed through ``service``; the per-line report is the answer."""
    group = get_group_for(request.user, group_id, "members/update")
    try:
        text = uploaded_csv_text(
            request.FILES.get("file"),
            missing="Choose a CSV file with one userPrincipalName or object id per line.",
        )
        report = service(actor=request.user, group=group, lines=parse_member_csv(text))
    except ServiceError as exc:
        return _refused(request, group, "group_members", str(exc), _render_members)
    # The per-line report is the answer itself (not a redirect): it would be lost otherwise.
    return _render_members(request, group, report=report)


@login_required
@require_GET
def group_members_export(request: HttpRequest, group_id: UUID) -> StreamingHttpResponse:
    group = get_group_for(request.user, group_id, "members/read")
    rows = selectors.direct_memberships(group)
    header = ["id", "displayName", "userPrincipalName", "objectType", "userType", "source", "added"]

    def records():
        for m in rows.iterator(chunk_size=2000):
            member = m.member
            yield [
                member.pk,
                member.display_name,
                getattr(member, "user_principal_name", ""),
                m.member_kind,
                getattr(member, "user_type", ""),
                m.source,
                m.created_date_time.isoformat(),
            ]

    # csv_lines guards every cell against formula injection.
    response = StreamingHttpResponse(csv_lines(header, records()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="members-{group.mail_nickname}.csv"'
    return response


# --- owners -------------------------------------------------------------------------------------


def _owners_context(request: HttpRequest, group: Group, **extra) -> dict:
    owners = list(selectors.group_owners(group))
    return {
        "owners": owners,
        "max_owners": MAX_OWNERS,
        "can_edit": can(request.user, "owners/update", group),
        "guests_allowed": request.user.tenant.group_settings.allow_guests_to_be_group_owner,
        **extra,
    }


def _render_owners(request: HttpRequest, group: Group, status: int = 200, **extra) -> HttpResponse:
    template = "groups/owners.html#panel" if request.htmx else "groups/owners.html"
    return render_tab(
        request, group, "group_owners", template, _owners_context(request, group, **extra), status
    )


@login_required
@require_GET
def group_owners(request: HttpRequest, group_id: UUID) -> HttpResponse:
    group = get_group_for(request.user, group_id, "owners/read")
    return _render_owners(request, group)


@login_required
@require_POST
def group_owner_add(request: HttpRequest, group_id: UUID) -> HttpResponse:
    group = get_group_for(request.user, group_id, "owners/update")
    chosen = pick(request, group.tenant, field_name="owner", kinds=("user",))
    if chosen.obj is None:
        return _choose(request, group, chosen, _render_owners)
    user = chosen.obj
    try:
        if not user.account_enabled:
            raise ServiceError(f"{user.display_name}'s account is disabled.")
        ownership_add(actor=request.user, group=group, user=user)
    except ServiceError as exc:
        return _refused(request, group, "group_owners", str(exc), _render_owners)
    return _done(request, group, "group_owners", f"{user.display_name} is now an owner.", _render_owners)


@login_required
@require_POST
def group_owner_remove(request: HttpRequest, group_id: UUID) -> HttpResponse:
    group = get_group_for(request.user, group_id, "owners/update")
    user = directory_object(group.tenant, request.POST.get("owner", ""))
    try:
        if not isinstance(user, User):
            raise ServiceError("That owner no longer exists.")
        ownership_remove(actor=request.user, group=group, user=user)
    except ServiceError as exc:
        return _refused(request, group, "group_owners", str(exc), _render_owners)
    message = f"{user.display_name} is no longer an owner."
    return _done(request, group, "group_owners", message, _render_owners)
