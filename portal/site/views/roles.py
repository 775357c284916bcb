"""/roles/: built-in and custom roles, role assignments, and "what can this person do to this group?".

Reading needs ``ROLES_READ`` (Global, Privileged Role and Groups Administrators, Directory Readers);
changing needs ``ROLES_UPDATE``, which the services check (Global and Privileged Role Administrators).
"""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from groups.models import Group
from groups.services import ServiceError
from portal import roles
from portal.authz import authorize, can, decide
from portal.errors import form_error
from portal.models import CustomRole, RoleAssignment, User
from portal.services import (
    custom_role_create,
    custom_role_delete,
    custom_role_update,
    role_assignment_create,
    role_assignment_delete,
    role_name,
)

TENANT_WIDE = "Whole organization"
# The rows of "what can this person do": the catalog's group actions, then what lies beyond the catalog.
CHECK_ACTIONS: list[tuple[str, str]] = [
    *(
        (action, wording.format("this group"))
        for action, wording in roles.GROUP_ACTIONS.items()
        if action not in ("create", "createAsOwner")
    ),
    ("requests/decide", "Approve or deny requests to join this group"),
    ("join", "Join this group"),
    ("request", "Request to join this group"),
    ("leave", "Leave this group"),
]


# --- forms ------------------------------------------------------------------------------------


class CustomRoleForm(forms.Form):
    display_name = forms.CharField(label="Name", max_length=256)
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    permissions = forms.MultipleChoiceField(
        choices=[(p, p) for p in roles.CUSTOM_ROLE_PERMISSIONS],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one permission."},
    )


class AssignmentForm(forms.Form):
    role = forms.ChoiceField(label="Role")
    principal = forms.CharField(
        label="Assign to",
        max_length=256,
        help_text="A user's userPrincipalName, or the alias of a role-assignable group.",
    )
    scope = forms.CharField(
        label="Scope",
        max_length=256,
        required=False,
        help_text="Leave empty for the whole organization, or give one group's alias.",
    )

    def __init__(self, *args, tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        custom = list(CustomRole.objects.for_tenant(tenant))
        self.custom_roles = {str(r.id): r for r in custom}
        self.fields["role"].choices = [
            ("Built-in roles", [(key, r.display_name) for key, r in roles.BUILTIN_ROLES.items()]),
            *([("Custom roles", [(str(r.id), r.display_name) for r in custom])] if custom else []),
        ]

    def clean_role(self):
        value = self.cleaned_data["role"]
        return self.custom_roles.get(value, value)

    def clean_principal(self):
        value = self.cleaned_data["principal"].strip()
        user = User.objects.for_tenant(self.tenant).filter(user_principal_name__iexact=value).first()
        if user is not None:
            return user
        group = _group_named(self.tenant, value)
        if group is None:
            raise ValidationError("No user or group of this organization has that name.")
        return group

    def clean_scope(self):
        value = self.cleaned_data["scope"].strip()
        if not value:
            return None
        group = _group_named(self.tenant, value)
        if group is None:
            raise ValidationError("No group of this organization has that alias.")
        return group


class CheckForm(forms.Form):
    user = forms.CharField(label="Person", max_length=256, help_text="Their userPrincipalName.")
    group = forms.CharField(label="Group", max_length=256, help_text="The group's alias (mail nickname).")

    def __init__(self, *args, tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant

    def clean_user(self):
        value = self.cleaned_data["user"].strip()
        user = (
            User.objects.for_tenant(self.tenant)
            .select_related("tenant", "tenant__group_settings")
            .filter(user_principal_name__iexact=value)
            .first()
        )
        if user is None:
            raise ValidationError("No user of this organization has that userPrincipalName.")
        return user

    def clean_group(self):
        group = _group_named(self.tenant, self.cleaned_data["group"].strip())
        if group is None:
            raise ValidationError("No group of this organization has that alias.")
        return group


def _group_named(tenant, value: str) -> Group | None:
    groups = Group.objects.for_tenant(tenant).alive().select_related("tenant")
    try:
        return groups.filter(pk=UUID(value)).first()
    except ValueError:
        return groups.filter(mail_nickname__iexact=value).first()


# --- pages ------------------------------------------------------------------------------------


def _picker(selected: list[str]) -> list[dict]:
    """The permission picker: one fieldset per subtype, each permission with seed 003's sentence."""
    sections: list[dict] = []
    for subtype, title in roles.SUBTYPE_TITLES.items():
        items = [
            {
                "value": p,
                "action": roles.split(p)[1],
                "description": roles.CATALOG[p],
                "checked": p in selected,
            }
            for p in roles.GROUP_PERMISSIONS
            if roles.split(p)[0] == subtype
        ]
        sections.append({"key": subtype, "title": title, "scope": roles.SUBTYPES[subtype], "items": items})
    tenant_items = [
        {
            "value": p,
            "action": p.removeprefix(roles.PREFIX),
            "description": roles.CATALOG[p],
            "checked": p in selected,
        }
        for p in roles.CUSTOM_ROLE_PERMISSIONS
        if p in roles.TENANT_PERMISSIONS
    ]
    sections.append(
        {"key": "tenant", "title": "Organization", "scope": "Tenant-wide rights", "items": tenant_items}
    )
    return sections


@login_required
def role_list(request: HttpRequest) -> HttpResponse:
    authorize(request.user, roles.ROLES_READ)
    tenant = request.user.tenant
    builtin = [
        {
            "role": r,
            "permissions": [(p, roles.describe(p)) for p in sorted(r.permissions, key=_catalog_order)],
        }
        for r in roles.BUILTIN_ROLES.values()
    ]
    custom = [
        {"role": r, "permissions": [(p, roles.describe(p)) for p in r.permissions]}
        for r in CustomRole.objects.for_tenant(tenant)
    ]
    return render(
        request,
        "portal/roles.html",
        {
            "builtin": builtin,
            "custom": custom,
            "editable": can(request.user, roles.ROLES_UPDATE),
            "premium": tenant.is_premium,
            "max_custom_roles": roles.MAX_CUSTOM_ROLES,
        },
    )


def _catalog_order(permission: str) -> int:
    order = list(roles.CATALOG) + [roles.ROLE_ASSIGNABLE_GROUPS_MANAGE]
    return order.index(permission) if permission in order else len(order)


def _role_form_page(request, form, role, status=200) -> HttpResponse:
    selected = form.data.getlist("permissions") if form.is_bound else (role.permissions if role else [])
    return render(
        request,
        "portal/roles_form.html",
        {"form": form, "role": role, "sections": _picker(selected)},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def custom_role_new(request: HttpRequest) -> HttpResponse:
    authorize(request.user, roles.ROLES_UPDATE)
    form = CustomRoleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            role = custom_role_create(actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"Created the custom role “{role.display_name}”.")
            return redirect("role_list")
    return _role_form_page(request, form, None, status=400 if form.is_bound else 200)


@login_required
@require_http_methods(["GET", "POST"])
def custom_role_edit(request: HttpRequest, role_id: UUID) -> HttpResponse:
    role = get_object_or_404(CustomRole.objects.for_tenant(request.user.tenant), pk=role_id)
    authorize(request.user, roles.ROLES_UPDATE, role)
    initial = {
        "display_name": role.display_name,
        "description": role.description,
        "permissions": role.permissions,
    }
    form = CustomRoleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            custom_role_update(actor=request.user, role=role, **form.cleaned_data)
        except ServiceError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"Saved the custom role “{role.display_name}”.")
            return redirect("role_list")
    return _role_form_page(request, form, role, status=400 if form.is_bound else 200)


@login_required
@require_POST
def custom_role_delete_view(request: HttpRequest, role_id: UUID) -> HttpResponse:
    role = get_object_or_404(CustomRole.objects.for_tenant(request.user.tenant), pk=role_id)
    name = role.display_name
    custom_role_delete(actor=request.user, role=role)
    messages.success(request, f"Deleted the custom role “{name}” and its assignments.")
    return redirect("role_list")


@login_required
@require_http_methods(["GET", "POST"])
def role_assignments(request: HttpRequest) -> HttpResponse:
    authorize(request.user, roles.ROLES_READ)
    tenant = request.user.tenant
    form = AssignmentForm(request.POST or None, tenant=tenant)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                role_assignment_create(
                    actor=request.user,
                    role=form.cleaned_data["role"],
                    principal=form.cleaned_data["principal"],
                    scope_group=form.cleaned_data["scope"],
                )
            except ServiceError as exc:
                form_error(form, exc)
            else:
                messages.success(request, "Role assigned. It applies from the person's next page.")
                if request.htmx:  # the list changes too: reload the page rather than swap the form
                    return HttpResponseClientRedirect(reverse("role_assignments"))
                return redirect("role_assignments")
        status = 400
    assignments = (
        RoleAssignment.objects.for_tenant(tenant)
        .select_related("custom_role", "principal_user", "principal_group", "scope_group")
        .order_by("builtin_role", "custom_role__display_name", "created_date_time")
    )
    rows = [{"assignment": a, "role": role_name(a)} for a in assignments]
    context = {
        "form": form,
        "rows": rows,
        "editable": can(request.user, roles.ROLES_UPDATE),
        "tenant_wide": TENANT_WIDE,
    }
    template = "portal/roles_assignments.html#assignment-form" if request.htmx and status == 400 else None
    return render(request, template or "portal/roles_assignments.html", context, status=status)


@login_required
@require_POST
def role_assignment_delete_view(request: HttpRequest, assignment_id: UUID) -> HttpResponse:
    assignment = get_object_or_404(RoleAssignment.objects.for_tenant(request.user.tenant), pk=assignment_id)
    try:
        role_assignment_delete(actor=request.user, assignment=assignment)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Assignment removed. It stops applying from the person's next page.")
    return redirect("role_assignments")


@login_required
def role_check(request: HttpRequest) -> HttpResponse:
    """What can this person do to this group, and which role, ownership or setting grants it."""
    authorize(request.user, roles.ROLES_READ)
    form = CheckForm(request.GET or None, tenant=request.user.tenant)
    rows = None
    if form.is_bound and form.is_valid():
        person, group = form.cleaned_data["user"], form.cleaned_data["group"]
        rows = [
            {"action": action, "label": label, "decision": decide(person, action, group)}
            for action, label in CHECK_ACTIONS
        ]
    context = {"form": form, "rows": rows}
    template = "portal/roles_check.html#check-result" if request.htmx else "portal/roles_check.html"
    return render(request, template, context, status=400 if form.is_bound and form.errors else 200)
