"""/users/: the people of the tenant, a user page, attribute edits, leavers, and the typeahead."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from portal import roles, selectors
from portal.authz import actor_context, authorize, can, user_read_access
from portal.directory_policy import UserReadAccess
from portal.errors import ServiceError, form_error
from portal.forms import UserEditForm
from portal.models import User
from portal.pagination import CappedPaginator
from portal.services import user_delete, user_restore, user_update

PAGE_SIZE = 50
# What a user list without a role that reads users may filter on: basic profile properties only.
BASIC_LIST_FILTERS = ("q", "department", "user_type", "page")


def _authorize_directory(actor: User) -> None:
    """Changing users, and seeing deleted ones, is for role holders; reading goes by the directory read
    policy (``user_read_access``)."""
    authorize(actor, roles.USERS_READ)
    if not actor_context(actor).has_tenant_permission(roles.USERS_READ):
        raise PermissionDenied("Only administrators browse the users of the organization.")


def get_user_for(actor: User, user_id: UUID) -> User:
    """A user of the actor's tenant (404 otherwise), for an actor allowed to browse the directory."""
    _authorize_directory(actor)
    return get_object_or_404(selectors.user_for(actor.tenant, user_id))


def readable_user_for(actor: User, user_id: UUID) -> tuple[User, UserReadAccess]:
    """A user of the actor's tenant and what the actor reads of them: 404 for users of other tenants
    (and deleted ones, without a role), 403 when the directory read policy gives nothing."""
    full = user_read_access(actor).everything
    person = get_object_or_404(selectors.user_for(actor.tenant, user_id, include_deleted=full))
    access = user_read_access(actor, person)
    if not access:
        raise PermissionDenied(access.reason)
    return person, access


@login_required
@require_GET
def user_list(request: HttpRequest) -> HttpResponse:
    authorize(request.user, roles.USERS_READ)
    full = user_read_access(request.user).everything
    params = request.GET.copy()
    if not full:  # no filtering on what the actor can't read (an attribute oracle otherwise)
        for name in set(params) - set(BASIC_LIST_FILTERS):
            params.pop(name)
    users = selectors.users_filtered(request.user.tenant, params)
    page = CappedPaginator(users.qs, PAGE_SIZE).get_page(params.get("page"))
    params.pop("page", None)
    context = {"filter": users, "page": page, "query": params.urlencode(), "full": full}
    if request.htmx:
        return render(request, "portal/users.html#results", context)
    facets = selectors.user_facets(
        request.user.tenant, ("department", "country") if full else ("department",)
    )
    return render(request, "portal/users.html", {**context, "facets": facets})


@login_required
@require_GET
def user_detail(request: HttpRequest, user_id: UUID) -> HttpResponse:
    person, access = readable_user_for(request.user, user_id)
    if not access.everything:
        context = {"person": person, "full": False, "profile": selectors.user_profile(person, access)}
        return render(request, "portal/user_detail.html", context)
    context = {
        "person": person,
        "full": True,
        **selectors.user_sections(person),
        "can_edit": can(request.user, roles.USERS_UPDATE),
    }
    return render(request, "portal/user_detail.html", context)


@login_required
def user_edit(request: HttpRequest, user_id: UUID) -> HttpResponse:
    person = get_user_for(request.user, user_id)
    authorize(request.user, roles.USERS_UPDATE)
    form = UserEditForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        try:
            updated = user_update(actor=request.user, user=person, changes=form.changes())
        except ServiceError as exc:
            form_error(form, exc)
        else:
            _report_offboarding(request, getattr(updated, "offboard_report", None))
            _report_restore(request, getattr(updated, "restore_report", None))
            messages.success(request, f"{updated.display_name}: saved.")
            return redirect("user_detail", person.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/user_edit.html", {"person": person, "form": form}, status=status)


@login_required
@require_POST
def user_delete_view(request: HttpRequest, user_id: UUID) -> HttpResponse:
    person = get_user_for(request.user, user_id)
    try:
        report = user_delete(actor=request.user, user=person)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{person.display_name} was deleted. You can restore them for 30 days.")
        _report_offboarding(request, report)
    return redirect("user_detail", person.pk)


@login_required
@require_POST
def user_restore_view(request: HttpRequest, user_id: UUID) -> HttpResponse:
    person = get_user_for(request.user, user_id)
    try:
        restored = user_restore(actor=request.user, user=person)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{person.display_name} was restored with their groups.")
        _report_restore(request, restored.restore_report)
    return redirect("user_detail", person.pk)


def _report_restore(request: HttpRequest, report) -> None:
    """Memberships a restore didn't put back: the actor couldn't have added them (or the group is gone)."""
    if report is None or not report.not_restored:
        return
    lines = "; ".join(f"{r['group']} (as {r['as']}): {r['reason']}" for r in report.not_restored)
    messages.warning(request, f"Not restored: {lines}")


def _report_offboarding(request: HttpRequest, report) -> None:
    if report is None:
        return
    if report.memberships or report.ownerships or report.cancelled_requests:
        messages.info(
            request,
            f"Removed from {len(report.memberships)} group(s) and {len(report.ownerships)} ownership(s); "
            f"{len(report.cancelled_requests)} pending request(s) cancelled.",
        )
    if report.ownerless_groups:
        names = ", ".join(g.display_name for g in report.ownerless_groups)
        messages.warning(
            request,
            f"These groups now have no owner: {names}. Assign an owner (Groups, filter “Has no owner”).",
        )


@login_required
@require_GET
def user_search(request: HttpRequest) -> HttpResponse:
    """The typeahead of the members and owners tabs: a few matches, as buttons of the caller's form."""
    authorize(request.user, roles.USERS_READ)
    allowed = {"user", "group", "device", "servicePrincipal"}
    kinds = tuple(k for k in request.GET.get("kinds", "user").split(",") if k in allowed) or ("user",)
    name = request.GET.get("name", "member")
    if name not in ("member", "owner", "user"):
        name = "member"
    # fill: the create form's owners/members box, which a chosen match is written into (one per line).
    fill = request.GET.get("fill", "")
    fill = fill if fill in ("id_owners", "id_members") else ""
    hits = selectors.directory_search(request.user.tenant, request.GET.get("q", ""), kinds)
    return render(
        request,
        "portal/_typeahead.html",
        {"hits": hits, "name": name, "q": request.GET.get("q", ""), "fill": fill},
    )
