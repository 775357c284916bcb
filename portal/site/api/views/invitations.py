"""POST /invitations: invite an external person as a guest (Graph's invitation manager).

Request: ``invitedUserEmailAddress`` and ``inviteRedirectUrl`` (required), ``invitedUserDisplayName``,
``sendInvitationMessage`` (default false, as Graph), ``invitedUserMessageInfo.customizedMessageBody``,
``invitedUserType`` (only ``Guest``). Answer 201 with Graph's invitation resource: ``id``,
``inviteRedeemUrl`` (the single-use link), ``invitedUser`` ({"id"}), ``status`` (PendingAcceptance).
Who may invite, and whom, is the invitation service's: the tenant's guest invite setting and its
collaboration restrictions.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.http import HttpRequest, HttpResponse, JsonResponse

from access_requests.invitations.links import redeem_url
from access_requests.invitations.services import guest_invite
from access_requests.models import Invitation
from portal.site.api import errors
from portal.site.api.auth import api_view, read_json
from portal.site.api.views.common import context_url

KNOWN = frozenset(
    {
        "invitedUserEmailAddress",
        "invitedUserDisplayName",
        "inviteRedirectUrl",
        "sendInvitationMessage",
        "invitedUserMessageInfo",
        "invitedUserType",
        "resetRedemption",
    }
)


def _text(body: dict[str, Any], name: str, *, required: bool = False, limit: int = 2048) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise errors.bad_request(
            f"{name} must be a non-empty string." if required else f"{name} must be a string."
        )
    if len(value) > limit:
        raise errors.bad_request(f"{name} is longer than {limit} characters.")
    return value.strip()


def _parse(body: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(body) - KNOWN)
    if unknown:
        raise errors.bad_request(
            f"Property '{unknown[0]}' does not exist on type 'microsoft.graph.invitation'."
        )
    redirect = _text(body, "inviteRedirectUrl", required=True)
    try:
        URLValidator(schemes=["http", "https"])(redirect)
    except ValidationError:
        raise errors.bad_request("inviteRedirectUrl must be an http or https URL.") from None
    send = body.get("sendInvitationMessage", False)
    if not isinstance(send, bool):
        raise errors.bad_request("sendInvitationMessage must be true or false.")
    if body.get("invitedUserType", "Guest") != "Guest":
        raise errors.bad_request("Only invitedUserType Guest is supported.")
    if body.get("resetRedemption"):
        raise errors.bad_request("resetRedemption isn't supported: revoke and invite again.")
    info = body.get("invitedUserMessageInfo") or {}
    if not isinstance(info, dict):
        raise errors.bad_request("invitedUserMessageInfo must be an object.")
    return {
        "email": _text(body, "invitedUserEmailAddress", required=True, limit=254),
        "display_name": _text(body, "invitedUserDisplayName", limit=256),
        "redirect_url": redirect,
        "message": _text(info, "customizedMessageBody", limit=2000),
        "send_email": send,
    }


def invitation_json(request: HttpRequest, invitation: Invitation) -> dict[str, Any]:
    user = invitation.invited_user
    return {
        "@odata.context": context_url(request, "invitations/$entity"),
        "id": str(invitation.pk),
        "inviteRedeemUrl": redeem_url(invitation),
        "inviteRedirectUrl": invitation.redirect_url,
        "invitedUserDisplayName": user.display_name,
        "invitedUserEmailAddress": invitation.email,
        "invitedUserType": user.user_type,
        "invitedUserMessageInfo": {
            "messageLanguage": None,
            "ccRecipients": [],
            "customizedMessageBody": invitation.message or None,
        },
        "sendInvitationMessage": invitation.sent_date_time is not None,
        "resetRedemption": False,
        "status": invitation.status,
        "invitedUser": {"id": str(user.pk)},
    }


@api_view("POST")
def invitation_create(request: HttpRequest) -> HttpResponse:
    values = _parse(read_json(request))
    invited = guest_invite(actor=request.actor, tenant=request.api_tenant, **values)
    return JsonResponse(invitation_json(request, invited.invitation), status=201)
