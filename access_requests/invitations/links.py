"""The redemption link: a signed (invitation id, nonce) pair, so it can't be forged or guessed; the
invitation row says whether it is still good (not redeemed, revoked, replaced by a resend or expired)."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.core import signing
from django.urls import reverse

SALT = "groupdesk.invitation.redeem"


def make_token(invitation) -> str:
    """The same token for the same (invitation, nonce): the email and Graph's inviteRedeemUrl agree."""
    return signing.Signer(salt=SALT).sign_object({"i": str(invitation.pk), "n": invitation.nonce})


def read_token(token: str) -> tuple[str, str] | None:
    """(invitation id, nonce) from a token, or None when it isn't one of ours."""
    if len(token) > 512:
        return None
    try:
        data = signing.Signer(salt=SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("i"), str) or not isinstance(data.get("n"), str):
        return None
    return data["i"], data["n"]


def redeem_url(invitation) -> str:
    """The absolute link emailed to the guest (and Graph's ``inviteRedeemUrl``)."""
    base = django_settings.GROUPDESK_BASE_URL.rstrip("/")
    return base + reverse("invitation_redeem", args=[make_token(invitation)])
