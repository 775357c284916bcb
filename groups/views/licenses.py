"""/licenses/: the tenant's subscriptions, the groups that carry them, and who is waiting for a unit."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from groups.licensing import services
from groups.licensing.forms import GroupLicenseForm, SubscribedSkuForm
from groups.licensing.models import AssignmentState, GroupLicense, LicenseAssignment, SubscribedSku
from groups.selectors import get_group_for
from portal import roles
from portal.authz import authorize, can
from portal.errors import ServiceError, form_error


@login_required
def license_list(
    request: HttpRequest,
    sku_form: SubscribedSkuForm | None = None,
    assign_form: GroupLicenseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    authorize(request.user, roles.SETTINGS_READ)
    tenant = request.user.tenant
    skus = (
        SubscribedSku.objects.for_tenant(tenant)
        .annotate(
            consumed=Count(
                "assignments__user", filter=Q(assignments__state=AssignmentState.ACTIVE), distinct=True
            ),
            waiting=Count(
                "assignments__user", filter=Q(assignments__state=AssignmentState.ERROR), distinct=True
            ),
        )
        .annotate(available=F("prepaid_units") - F("consumed"))
    )
    group_licenses = GroupLicense.objects.filter(group__tenant=tenant).select_related("group", "sku")
    waiting = LicenseAssignment.objects.filter(
        sku__tenant=tenant, state=AssignmentState.ERROR
    ).select_related("user", "sku", "group")
    return render(
        request,
        "groups/licenses.html",
        {
            "skus": skus,
            "group_licenses": group_licenses,
            "waiting": Paginator(waiting, 50).get_page(request.GET.get("page")),
            "may_edit": can(request.user, roles.SETTINGS_UPDATE),
            "sku_form": sku_form or SubscribedSkuForm(),
            "assign_form": assign_form or GroupLicenseForm(tenant=tenant),
        },
        status=status,
    )


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
    form = GroupLicenseForm(request.POST, tenant=request.user.tenant)
    if not form.is_valid():
        return license_list(request, assign_form=form, status=400)
    group = get_group_for(request.user, form.cleaned_data["group"].pk, "allProperties/update")
    try:
        services.group_license_add(actor=request.user, group=group, sku=form.cleaned_data["sku"])
    except ServiceError as exc:
        form_error(form, exc)
        return license_list(request, assign_form=form, status=400)
    messages.success(request, f"{group.display_name} now carries {form.cleaned_data['sku'].display_name}.")
    return redirect("license_list")


@login_required
@require_POST
def group_license_remove(request: HttpRequest, license_id: int) -> HttpResponse:
    license_ = get_object_or_404(
        GroupLicense.objects.filter(group__tenant=request.user.tenant), pk=license_id
    )
    group = get_group_for(request.user, license_.group_id, "allProperties/update")
    try:
        services.group_license_remove(actor=request.user, group=group, sku=license_.sku)
    except ServiceError as exc:  # removed by someone else a moment ago
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{group.display_name} no longer carries {license_.sku.display_name}.")
    return redirect("license_list")
