"""/settings/provisioning/: the apps that provision users and groups over SCIM, their tokens (create,
revoke), and the last SCIM operations with their results and counts per day.

A token carries a directory role, so making or revoking one needs ``ROLES_UPDATE`` (Global and
Privileged Role Administrators), the right to assign roles; the roles offered are the two that
provisioning needs.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from portal import roles
from portal.authz import authorize
from portal.errors import ServiceError, form_error
from portal.models import ApiToken, ProvisioningOperation
from portal.tokens import api_token_create, api_token_revoke

PROVISIONING_ROLES = ("userAdministrator", "groupsAdministrator")
RECENT = 100
DAYS = 14


class AppTokenForm(forms.Form):
    app_name = forms.CharField(
        label="App", max_length=256, help_text="For example “Microsoft Entra ID” or “Okta”."
    )
    role = forms.ChoiceField(
        label="Role",
        choices=[(key, roles.BUILTIN_ROLES[key].display_name) for key in PROVISIONING_ROLES],
        help_text="User Administrator provisions users and groups; Groups Administrator only groups.",
    )


def _page(request: HttpRequest, form: AppTokenForm, secret: str = "") -> HttpResponse:
    tenant = request.user.tenant
    since = timezone.now() - timedelta(days=DAYS)
    operations = ProvisioningOperation.objects.for_tenant(tenant)
    per_day = (
        operations.filter(date_time__gte=since)
        .annotate(day=TruncDate("date_time"))
        .values("day")
        .annotate(total=Count("id"), failed=Count("id", filter=Q(status__gte=400)))
        .order_by("-day")
    )
    context = {
        "form": form,
        "secret": secret,
        "scim_url": request.build_absolute_uri("/scim/v2/"),
        "tokens": ApiToken.objects.for_tenant(tenant)
        .filter(service_principal__isnull=False)
        .select_related("service_principal"),
        "operations": operations.select_related("service_principal")[:RECENT],
        "per_day": per_day,
        "days": DAYS,
    }
    return render(request, "portal/provisioning.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def provisioning(request: HttpRequest) -> HttpResponse:
    authorize(request.user, roles.ROLES_UPDATE)
    if request.method == "GET":
        return _page(request, AppTokenForm())
    form = AppTokenForm(request.POST)
    secret = ""
    if form.is_valid():
        try:
            _, secret = api_token_create(
                tenant=request.user.tenant,
                actor=request.user,
                app_name=form.cleaned_data["app_name"],
                role=form.cleaned_data["role"],
            )
        except ServiceError as exc:
            form_error(form, exc)
    # The secret is shown once, on this answer; it is never stored.
    return _page(request, AppTokenForm() if secret else form, secret)


@login_required
@require_POST
def provisioning_token_revoke(request: HttpRequest, token_id: UUID) -> HttpResponse:
    authorize(request.user, roles.ROLES_UPDATE)
    token = get_object_or_404(
        ApiToken.objects.for_tenant(request.user.tenant).filter(service_principal__isnull=False), pk=token_id
    )
    api_token_revoke(token=token, actor=request.user)
    messages.success(
        request, f"The token {token.prefix}… of {token.service_principal.display_name} is revoked."
    )
    return redirect("provisioning")
