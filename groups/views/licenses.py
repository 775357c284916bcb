"""/licenses/: the tenant's subscriptions and their service plans, the groups that carry them (with the
plans they turn off and the guests they would license), and who is waiting for a seat.

The page's query count doesn't grow with the tenant: the groups and the waiting list are paged, and the
assign form names its group by search (a typeahead with JavaScript, a list of matches without), not by
a list of every group."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from groups.licensing import services
from groups.licensing.forms import GroupLicenseForm, SubscribedSkuForm
from groups.licensing.models import AssignmentState, GroupLicense, LicenseSeat, SubscribedSku
from groups.models import Group, Membership
from groups.selectors import get_group_for
from groups.views.picker import Pick, pick
from portal import roles
from portal.authz import authorize, can
from portal.errors import ServiceError, form_error
from portal.models import User, UserType

PAGE = 50
GUESTS_SHOWN = 100


def _guests_of(tenant) -> QuerySet:
    """The ids of the tenant's guests, as a subquery: PostgreSQL reads them once from the (tenant,
    user type) index and hashes them, where a join would fetch the (wide) user row of every member of
    every licensed group to look at its type."""
    return User.objects.filter(tenant=tenant, user_type=UserType.GUEST).values("id")


def _guest_count(tenant) -> Subquery:
    """Each listed group's guests. The guest test sits in the aggregate's filter, where PostgreSQL can't
    turn it into a join: it hashes the tenant's guest ids once for the whole page and looks each member
    up in that (in the WHERE clause it became a user row probe per member: 3,199 for 50 groups, 34 ms).
    Only the (group, user) index is read: the count is of the member column, not of the row's id."""
    guests = (
        Membership.objects.filter(group=OuterRef("group"))
        .order_by()
        .values("group")
        .annotate(n=Count("member_user", filter=Q(member_user__in=_guests_of(tenant))))
        .values("n")
    )
    return Coalesce(Subquery(guests), 0)


def _seat_count(state: str) -> Subquery:
    """A product's seats in one state, counted in the (product, state) index alone: a join and GROUP BY
    read every seat row of the tenant (7,366 at 100,000 users)."""
    seats = (
        LicenseSeat.objects.filter(sku=OuterRef("pk"), state=state)
        .order_by()
        .values("sku")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(seats), 0)


def _error_count() -> Subquery:
    waiting = (
        LicenseSeat.objects.filter(
            sku=OuterRef("sku"),
            state=AssignmentState.ERROR,
            user__license_assignments__group=OuterRef("group"),
            user__license_assignments__sku=OuterRef("sku"),
        )
        .order_by()
        .values("sku")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(waiting), 0)


def _with_plans(page: Page) -> Page:
    """Each licence row's service plans (one list per product) and its plans form's checkboxes, rendered
    once per product and set of plans turned off: most rows of a product share them (a product of 50 plans
    on 50 rows was 2,500 checkboxes to render)."""
    page.object_list = list(page.object_list)
    plans: dict[Any, list] = {}
    boxes: dict[tuple, str] = {}
    for license_ in page.object_list:
        if license_.sku_id not in plans:
            plans[license_.sku_id] = list(license_.sku.service_plans.all())
        license_.plans = plans[license_.sku_id]
        shape = (license_.sku_id, frozenset(license_.disabled_plans))
        if shape not in boxes:
            context = {"plans": license_.plans, "disabled": license_.disabled_plans}
            boxes[shape] = render_to_string("groups/_service_plan_boxes.html", context)
        license_.plan_boxes = boxes[shape]
    return page


def _context(request: HttpRequest) -> dict:
    tenant = request.user.tenant
    skus = (
        SubscribedSku.objects.for_tenant(tenant)
        .prefetch_related("service_plans")
        .annotate(
            consumed=_seat_count(AssignmentState.ACTIVE),
            waiting=_seat_count(AssignmentState.ERROR),
        )
    )
    for sku in skus:  # in SQL, "prepaid_units - consumed" counted the seats a second time
        sku.available = sku.prepaid_units - sku.consumed
    group_licenses = (
        GroupLicense.objects.filter(group__tenant=tenant, group__deleted_date_time__isnull=True)
        .select_related("group", "sku")
        .only("disabled_plans", "exclude_guests", "group__display_name", "sku__display_name")
        .prefetch_related("sku__service_plans")
        .annotate(guests=_guest_count(tenant), errors=_error_count())
        .order_by("group__display_name", "sku__display_name", "pk")
    )
    # A semi-join on the licences (a group may carry several: no duplicates, so no DISTINCT) and the
    # guests as a hashed id list; the columns shown, so the memberships are read from their index.
    guests = (
        Membership.objects.filter(
            Exists(GroupLicense.objects.filter(group=OuterRef("group"))),
            group__tenant=tenant,
            group__deleted_date_time__isnull=True,
            member_user__in=_guests_of(tenant),
        )
        .annotate(excluded=Exists(GroupLicense.objects.filter(group=OuterRef("group"), exclude_guests=True)))
        .order_by("group__display_name", "group_id", "member_user__display_name", "member_user_id")
        .values(
            "group_id",
            "excluded",
            group_name=F("group__display_name"),
            guest_name=F("member_user__display_name"),
            guest_upn=F("member_user__user_principal_name"),
        )
    )
    waiting = LicenseSeat.objects.filter(sku__tenant=tenant, state=AssignmentState.ERROR).select_related(
        "user", "sku"
    )
    return {
        "skus": skus,
        "group_licenses": _with_plans(Paginator(group_licenses, PAGE).get_page(request.GET.get("groups"))),
        "licensed_guests": list(guests[: GUESTS_SHOWN + 1]),
        "guests_shown": GUESTS_SHOWN,
        "waiting": Paginator(waiting, PAGE).get_page(request.GET.get("page")),
        "may_edit": can(request.user, roles.SETTINGS_UPDATE),
    }


@login_required
def license_list(
    request: HttpRequest,
    sku_form: SubscribedSkuForm | None = None,
    assign_form: GroupLicenseForm | None = None,
    found: Pick | None = None,
    status: int = 200,
) -> HttpResponse:
    authorize(request.user, roles.SETTINGS_READ)
    context = _context(request)
    found = found or Pick()
    context.update(
        {
            "sku_form": sku_form or SubscribedSkuForm(),
            "assign_form": assign_form or GroupLicenseForm(tenant=request.user.tenant),
            "q": found.q,
            "matches": found.matches,
            "choose": found.message,
        }
    )
    return render(request, "groups/licenses.html", context, status=status)


@login_required
@require_POST
def subscription_add(request: HttpRequest) -> HttpResponse:
    form = SubscribedSkuForm(request.POST)
    if not form.is_valid():
        return license_list(request, sku_form=form, status=400)
    try:
        services.subscribed_sku_add(actor=request.user, **form.cleaned_data)
    except ServiceError as exc:
        form_error(form, exc)
        return license_list(request, sku_form=form, status=400)
    messages.success(request, f"Added {form.cleaned_data['display_name']}.")
    return redirect("license_list")


@login_required
@require_POST
def group_license_add(request: HttpRequest) -> HttpResponse:
    """The group comes from the typeahead's choice or from text naming exactly one group; otherwise the
    page lists the matches, each with its own button (the no-JavaScript way)."""
    authorize(request.user, roles.SETTINGS_UPDATE)
    form = GroupLicenseForm(request.POST, tenant=request.user.tenant)
    found = pick(request, request.user.tenant, field_name="member", kinds=("group",))
    if not form.is_valid() or found.obj is None or not isinstance(found.obj, Group):
        if found.obj is None and found.found_none:
            form.add_error(None, found.message)
        return license_list(request, assign_form=form, found=found, status=400)
    group = get_group_for(request.user, found.obj.pk, "standard/read")
    sku = form.cleaned_data["sku"]
    try:
        services.group_license_add(actor=request.user, group=group, sku=sku)
    except ServiceError as exc:
        form_error(form, exc)
        return license_list(request, assign_form=form, status=400)
    messages.success(request, f"{group.display_name} now carries {sku.display_name}.")
    return redirect("license_list")


def _license_for(request: HttpRequest, license_id: int) -> GroupLicense:
    return get_object_or_404(
        GroupLicense.objects.filter(group__tenant=request.user.tenant).select_related("group", "sku"),
        pk=license_id,
    )


@login_required
@require_POST
def group_license_remove(request: HttpRequest, license_id: int) -> HttpResponse:
    license_ = _license_for(request, license_id)
    group = get_group_for(request.user, license_.group_id, "standard/read")
    try:
        services.group_license_remove(actor=request.user, group=group, sku=license_.sku)
    except ServiceError as exc:  # removed by someone else a moment ago
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{group.display_name} no longer carries {license_.sku.display_name}.")
    return redirect("license_list")


@login_required
@require_POST
def group_license_plans(request: HttpRequest, license_id: int) -> HttpResponse:
    """Turn service plans of a group's licence off (the unchecked boxes) or back on."""
    license_ = _license_for(request, license_id)
    group = get_group_for(request.user, license_.group_id, "standard/read")
    enabled = set(request.POST.getlist("enabled"))
    disabled = [
        str(p.service_plan_id)
        for p in license_.sku.service_plans.all()
        if str(p.service_plan_id) not in enabled
    ]
    try:
        services.group_licenses_assign(actor=request.user, group=group, add=[(license_.sku, disabled)])
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"Saved the service plans of {license_.sku.display_name} for {group.display_name}."
        )
    return redirect("license_list")


@login_required
@require_POST
def group_license_guests(request: HttpRequest, group_id) -> HttpResponse:
    """Exclude guests from (or include them in) a group's licences."""
    group = get_group_for(request.user, group_id, "standard/read")
    exclude = request.POST.get("exclude") == "1"
    try:
        services.group_licenses_exclude_guests(actor=request.user, group=group, exclude=exclude)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        verb = "no longer license" if exclude else "license"
        messages.success(request, f"The licences of {group.display_name} {verb} its guests.")
    if request.POST.get("back") == "group":
        return redirect("group_detail", group.id)
    return redirect("license_list")
