"""/groups/new/ (administrators) and /my/groups/new/ (everyone, within what they may create)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.vary import vary_on_headers

from groups.authz import GroupSpec
from groups.forms import GroupCreateForm, creatable_kinds
from groups.models import CreatedIn, GroupKind, MembershipType
from groups.naming import policy_for, resolve_names
from groups.services import ServiceError, group_provision
from portal.authz import MY_GROUPS_ACCESS, NAMING_POLICY_EXEMPT, authorize, can
from portal.errors import form_error


@login_required
@vary_on_headers("HX-Request")
def group_new(request: HttpRequest) -> HttpResponse:
    if not can(request.user, NAMING_POLICY_EXEMPT):
        # Non-administrators create from My Groups, where they become the group's first owner.
        return redirect("my_group_new")
    return _create(request, created_in=CreatedIn.ADMIN)


@login_required
@vary_on_headers("HX-Request")
def my_group_new(request: HttpRequest) -> HttpResponse:
    authorize(request.user, MY_GROUPS_ACCESS)
    return _create(request, created_in=CreatedIn.MY_GROUPS)


def _create(request: HttpRequest, *, created_in: str) -> HttpResponse:
    if not creatable_kinds(request.user):
        raise PermissionDenied("Your organization doesn't let you create groups. Ask an administrator.")
    refresh = request.method == "POST" and "refresh" in request.POST
    if request.method == "POST" and not refresh:
        form = GroupCreateForm(request.POST, actor=request.user, created_in=created_in)
        _record_refused_kind(request, form)
        if form.is_valid():
            try:
                group = group_provision(actor=request.user, **form.service_arguments())
            except ServiceError as exc:
                form_error(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            except IntegrityError:
                form.add_error("mail_nickname", "That alias was just taken by another group. Choose another.")
            else:
                messages.success(request, f"Created the group “{group.display_name}”.")
                return redirect("group_detail", group.id)
    else:
        # A GET (htmx swaps the kind's fields) or the no-JS "Update the form" button: keep what was typed.
        source = request.POST if refresh else request.GET
        form = GroupCreateForm(initial=source.dict(), actor=request.user, created_in=created_in)
    context = {
        "form": form,
        "created_in": created_in,
        "action": request.path,
        "settings": request.user.tenant.group_settings,
        "preview": _preview(request, form),
        "cancel_url": reverse("group_list" if created_in == CreatedIn.ADMIN else "my_groups"),
    }
    if request.htmx and request.method == "GET" and not request.htmx.history_restore_request:
        return render(request, "groups/new.html#kind_fields", context)
    return render(request, "groups/new.html", context)


def _record_refused_kind(request: HttpRequest, form: GroupCreateForm) -> None:
    """A kind, or dynamic membership, the person may not create (a crafted POST): refused by the form,
    audited as a failure."""
    kind = request.POST.get("kind")
    spec = None
    if kind in GroupKind.values and kind not in dict(form.fields["kind"].choices):
        spec = GroupSpec(kind=kind)
    elif (
        request.POST.get("membership_type") == MembershipType.DYNAMIC and "membership_type" not in form.fields
    ):
        spec = GroupSpec(kind=form.kind, membership_type=MembershipType.DYNAMIC)
    if spec is not None:
        try:
            authorize(request.user, "create", spec)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))


def _preview(request: HttpRequest, form: GroupCreateForm) -> dict:
    data = form.data if form.is_bound else form.initial
    return name_preview(request.user, data.get("display_name", ""), data.get("mail_nickname", ""))


def name_preview(actor, display_name: str, mail_nickname: str, *, rename: bool = False) -> dict:
    policy, exempt = policy_for(actor)
    names = resolve_names(
        policy=policy,
        user=actor,
        display_name=display_name or "",
        mail_nickname=mail_nickname or "",
        exempt=exempt,
        rename=rename,
    )
    return {
        "names": names,
        # A word blocked in both the name and the alias is one problem, said once.
        "problems": list(dict.fromkeys(p for found in names.errors.values() for p in found)),
        "policy": policy,
        "exempt": exempt,
        "typed": bool((display_name or "").strip()),
        "rename": rename,
    }


@login_required
def group_name_preview(request: HttpRequest) -> HttpResponse:
    """The final name under the naming policy, as the person types (htmx, debounced)."""
    preview = name_preview(
        request.user,
        request.GET.get("display_name", "")[:512],
        request.GET.get("mail_nickname", "")[:128],
        rename=request.GET.get("rename") == "1",
    )
    return render(request, "groups/_name_preview.html", {"preview": preview})
