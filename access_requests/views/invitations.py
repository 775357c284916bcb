"""Inviting guests (one, or a CSV of them), resending and revoking an invitation from the user page,
and the public redemption page the emailed link opens."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from access_requests.invitations.bulk import COLUMNS, guests_invite_csv
from access_requests.invitations.forms import InviteForm, RedeemForm
from access_requests.invitations.selectors import groups_named, latest_invitation
from access_requests.invitations.services import (
    guest_invite,
    invitation_for_token,
    invitation_redeem,
    invitation_resend,
    invitation_revoke,
)
from portal import roles, selectors
from portal.authz import authorize
from portal.csvfile import uploaded_csv_text
from portal.errors import ServiceError, form_error


def _initial_groups(request: HttpRequest) -> str:
    """``?group=<id>`` (the group page's "Invite a guest") fills the groups box with that group's name."""
    found, _ = groups_named(request.user, request.user.tenant, [request.GET.get("group", "")[:64]])
    return "\n".join(g.display_name for g in found)


@login_required
def invite(request: HttpRequest) -> HttpResponse:
    authorize(request.user, roles.USERS_INVITE_GUEST)
    initial = {"groups": _initial_groups(request)} if request.method == "GET" else None
    form = InviteForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            groups, problems = groups_named(request.user, request.user.tenant, form.group_names())
            if problems:
                raise ServiceError(" ".join(problems), field="groups")
            invited = guest_invite(
                actor=request.user,
                tenant=request.user.tenant,
                email=form.cleaned_data["email"],
                display_name=form.cleaned_data["display_name"],
                groups=groups,
                message=form.cleaned_data["message"],
                send_email=form.cleaned_data["send_email"],
            )
        except ServiceError as exc:
            form_error(form, exc)
        except ValidationError as exc:  # too many groups (the form's own check)
            form.add_error("groups", exc)
        else:
            sent = "An invitation email is on its way." if form.cleaned_data["send_email"] else ""
            messages.success(request, f"{invited.user.display_name} was invited as a guest. {sent}")
            return redirect("invite_guest")
    status = 400 if request.method == "POST" else 200
    return render(request, "access_requests/invite.html", {"form": form}, status=status)


@login_required
def invite_bulk(request: HttpRequest) -> HttpResponse:
    authorize(request.user, roles.USERS_INVITE_GUEST)
    context = {"columns": COLUMNS}
    if request.method != "POST":
        return render(request, "access_requests/invite_bulk.html", context)
    try:
        text = uploaded_csv_text(
            request.FILES.get("file"), missing="Choose a CSV file whose header names invitedUserEmailAddress."
        )
        context["report"] = guests_invite_csv(actor=request.user, tenant=request.user.tenant, text=text)
    except ServiceError as exc:
        context["error"] = str(exc)
        return render(request, "access_requests/invite_bulk.html", context, status=400)
    return render(request, "access_requests/invite_bulk.html", context)


def _invitation_of(request: HttpRequest, user_id: UUID):
    person = selectors.user_for(request.user.tenant, user_id).first()
    invitation = latest_invitation(person) if person is not None else None
    if invitation is None:
        raise Http404("No invitation.")
    return person, invitation


@login_required
@require_POST
def invitation_resend_view(request: HttpRequest, user_id: UUID) -> HttpResponse:
    person, invitation = _invitation_of(request, user_id)
    try:
        invitation_resend(actor=request.user, invitation=invitation)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"A new invitation email was sent to {invitation.email}.")
    return redirect("user_detail", person.pk)


@login_required
@require_POST
def invitation_revoke_view(request: HttpRequest, user_id: UUID) -> HttpResponse:
    person, invitation = _invitation_of(request, user_id)
    try:
        invitation_revoke(actor=request.user, invitation=invitation)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "The invitation was revoked: its link no longer works.")
    return redirect("user_detail", person.pk)


@never_cache
def redeem(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: choose a password, and the guest account is ready to sign in with."""
    try:
        invitation = invitation_for_token(token)
    except ServiceError as exc:
        return render(request, "access_requests/redeem.html", {"refusal": str(exc)}, status=410)
    form = RedeemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_redeem(token=token, password=form.cleaned_data["password1"])
        except ServiceError as exc:
            form_error(form, exc)
            if exc.field != "password":
                return render(request, "access_requests/redeem.html", {"refusal": str(exc)}, status=410)
        except PermissionDenied as exc:
            return render(request, "access_requests/redeem.html", {"refusal": str(exc)}, status=410)
        else:
            messages.success(
                request,
                f"Welcome! Sign in as {user.mail} (or {user.user_principal_name}) with your new password.",
            )
            return redirect("login")
    context = {"form": form, "invitation": invitation, "tenant": invitation.tenant}
    return render(request, "access_requests/redeem.html", context, status=400 if form.errors else 200)
