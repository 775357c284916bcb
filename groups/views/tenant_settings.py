"""/settings/groups/: the tenant-wide group settings, one section form at a time."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from groups.naming import apply_naming_policy, unknown_tokens_error
from groups.services.settings import tenant_settings_update
from groups.settings_forms import SETTINGS_SECTIONS, NamingSettingsForm, SettingsSectionForm
from portal import roles
from portal.authz import authorize, can, group_settings_for
from portal.errors import ServiceError, form_error

SECTIONS = {form.key: form for form in SETTINGS_SECTIONS}


def _section(request: HttpRequest, form_class: type[SettingsSectionForm], data=None) -> SettingsSectionForm:
    tenant = request.user.tenant
    form = form_class(data, tenant=tenant, settings=group_settings_for(tenant))
    form.editable = can(request.user, roles.SETTINGS_UPDATE) and (
        not form.extra_right or can(request.user, form.extra_right)
    )
    return form


@login_required
def group_settings(request: HttpRequest) -> HttpResponse:
    authorize(request.user, roles.SETTINGS_READ)
    if request.method == "POST":
        return _save_section(request)
    forms = [_section(request, form_class) for form_class in SETTINGS_SECTIONS]
    return render(
        request,
        "portal/settings_groups.html",
        {
            "sections": forms,
            "editable": can(request.user, roles.SETTINGS_UPDATE),
            "naming_preview": _preview(request),
        },
    )


def _save_section(request: HttpRequest) -> HttpResponse:
    authorize(request.user, roles.SETTINGS_UPDATE)
    form_class = SECTIONS.get(request.POST.get("section", ""))
    if form_class is None:
        return HttpResponseBadRequest("Unknown settings section.")
    form = _section(request, form_class, request.POST)
    if form.is_valid():
        try:
            tenant_settings_update(actor=request.user, tenant=request.user.tenant, changes=form.changes())
        except ServiceError as exc:
            form_error(form, exc)
    saved = form.is_bound and not form.errors
    if not request.htmx:
        if saved:
            messages.success(request, f"{form.title}: saved. It applies from now on.")
            return redirect("group_settings")
        forms = [form if f is form_class else _section(request, f) for f in SETTINGS_SECTIONS]
        context = {"sections": forms, "editable": True, "naming_preview": _preview(request)}
        return render(request, "portal/settings_groups.html", context, status=400)
    if saved:
        form = _section(request, form_class)  # the stored values, with their effects
    context = {"section": form, "editable": True, "saved": saved, "naming_preview": _preview(request)}
    # htmx swaps only 2xx answers by default: errors come back as 200 so they render in place.
    return render(request, "portal/settings_groups.html#section", context)


def _preview(request: HttpRequest, pattern: str | None = None, sample: str = "Project Falcon") -> str:
    settings = group_settings_for(request.user.tenant)
    pattern = settings.prefix_suffix_naming_requirement if pattern is None else pattern
    if not pattern:
        return sample
    return apply_naming_policy(pattern=pattern, name=sample, user=request.user)


@login_required
@require_GET
def naming_preview(request: HttpRequest) -> HttpResponse:
    authorize(request.user, roles.SETTINGS_READ)
    field = NamingSettingsForm.base_fields["prefix_suffix_naming_requirement"]
    pattern = (request.GET.get("prefix_suffix_naming_requirement") or "")[: field.max_length]
    sample = (request.GET.get("sample") or "Project Falcon")[:120]
    return render(
        request,
        "portal/settings_groups.html#naming-preview",
        {
            "naming_preview": _preview(request, pattern, sample),
            "naming_problem": unknown_tokens_error(pattern),
            "sample": sample,
        },
    )
