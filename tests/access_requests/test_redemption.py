"""Issue 16: the emailed link redeems an invitation once, before it expires, unless revoked or replaced
by a resend; a guest who never redeemed can't sign in, and after redeeming sees their groups."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from access_requests.invitations.links import make_token
from access_requests.invitations.services import (
    guest_invite,
    invitation_redeem,
    invitation_resend,
    invitation_revoke,
)
from access_requests.models import Invitation
from groups.models import GroupKind
from portal.backends import UserPrincipalNameBackend
from portal.consistency import run_checks
from portal.errors import Conflict, Invalid
from portal.models import AuditEvent, User
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-guest-passphrase-17"


def _fresh(user):
    return User.objects.select_related("tenant", "tenant__group_settings").get(pk=user.pk)


@pytest.fixture
def group(tenant):
    return GroupFactory(tenant=tenant, kind=GroupKind.SECURITY, display_name="Partner Project")


@pytest.fixture
def invited(tenant, admin_user, group):
    return guest_invite(actor=_fresh(admin_user), tenant=tenant, email="ada@fabrikam.example", groups=[group])


def _link_token(mail) -> str:
    return re.search(r"/invitations/redeem/([^/\s]+)/", mail.body).group(1)


def test_it_redeems_a_valid_link_once(invited, mailoutbox):
    token = _link_token(mailoutbox[0])
    guest = invitation_redeem(token=token, password=PASSWORD)
    assert guest.external_user_state == "Accepted"
    assert guest.check_password(PASSWORD)
    assert Invitation.objects.get(pk=invited.invitation.pk).redeemed_date_time is not None
    event = AuditEvent.objects.get(activity="Redeem external user invite")
    assert event.actor_id == str(guest.pk)
    with pytest.raises(Conflict, match="already used"):
        invitation_redeem(token=token, password=PASSWORD + "x")
    guest.refresh_from_db()
    assert guest.check_password(PASSWORD)


def test_it_refuses_an_expired_link(invited, mailoutbox):
    Invitation.objects.filter(pk=invited.invitation.pk).update(
        expires_date_time=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(Conflict, match="expired"):
        invitation_redeem(token=_link_token(mailoutbox[0]), password=PASSWORD)
    assert _fresh(invited.user).external_user_state == "PendingAcceptance"


def test_it_refuses_a_revoked_link(invited, admin_user, mailoutbox):
    invitation_revoke(actor=_fresh(admin_user), invitation=invited.invitation)
    with pytest.raises(Conflict, match="withdrawn"):
        invitation_redeem(token=_link_token(mailoutbox[0]), password=PASSWORD)
    assert AuditEvent.objects.filter(activity="Revoke external user invite").exists()


def test_it_replaces_the_link_on_resend(invited, admin_user, mailoutbox):
    old = _link_token(mailoutbox[0])
    invitation_resend(actor=_fresh(admin_user), invitation=invited.invitation)
    assert len(mailoutbox) == 2
    new = _link_token(mailoutbox[1])
    assert new != old
    with pytest.raises(Conflict, match="newer invitation"):
        invitation_redeem(token=old, password=PASSWORD)
    assert invitation_redeem(token=new, password=PASSWORD).external_user_state == "Accepted"


def test_it_refuses_forged_and_tampered_links(invited):
    token = make_token(invited.invitation)
    for bad in ("nonsense", token[:-2] + "xx", "a" * 600, token.replace(":", "", 1)):
        with pytest.raises(Invalid):
            invitation_redeem(token=bad, password=PASSWORD)


def test_it_refuses_a_weak_password_and_keeps_the_link(invited, mailoutbox):
    token = _link_token(mailoutbox[0])
    with pytest.raises(Invalid):
        invitation_redeem(token=token, password="123")
    assert invitation_redeem(token=token, password=PASSWORD).external_user_state == "Accepted"


def test_it_lets_only_the_inviter_or_a_user_administrator_resend(tenant, invited):
    inviter = UserFactory(tenant=tenant, role="guestInviter")
    with pytest.raises(PermissionDenied):
        invitation_resend(actor=_fresh(inviter), invitation=invited.invitation)
    user_admin = UserFactory(tenant=tenant, role="userAdministrator")
    invitation_resend(actor=_fresh(user_admin), invitation=invited.invitation)


def test_a_pending_guest_cannot_sign_in_even_with_a_password(invited):
    guest = invited.user
    guest.set_password(PASSWORD)
    guest.save()
    request = RequestFactory().post("/accounts/login/")
    assert authenticate(request, username=guest.user_principal_name, password=PASSWORD) is None
    assert UserPrincipalNameBackend().get_user(guest.pk) is None


def test_the_guest_signs_in_after_redeeming_and_sees_their_group(client, invited, group, mailoutbox):
    token = _link_token(mailoutbox[0])
    page = client.get(reverse("invitation_redeem", args=[token]))
    assert page.status_code == 200
    assert "Partner Project" in page.content.decode()
    # Before redeeming: the sign-in page refuses them.
    refused = client.post(
        reverse("login"), {"username": invited.user.user_principal_name, "password": PASSWORD}
    )
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    mismatch = client.post(
        reverse("invitation_redeem", args=[token]), {"password1": PASSWORD, "password2": "x"}
    )
    assert mismatch.status_code == 400
    done = client.post(
        reverse("invitation_redeem", args=[token]), {"password1": PASSWORD, "password2": PASSWORD}
    )
    assert done.status_code == 302
    signed_in = client.post(
        reverse("login"), {"username": invited.user.user_principal_name, "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    assert client.get(reverse("group_detail", args=[group.pk])).status_code == 200
    again = client.get(reverse("invitation_redeem", args=[token]))
    assert again.status_code == 410 and "already used" in again.content.decode()


def test_a_redeemed_guest_signs_in_with_their_email_unless_it_is_ambiguous(client, other_tenant, invited):
    guest = invited.user
    guest.set_password(PASSWORD)
    guest.external_user_state = "Accepted"
    guest.save()
    request = RequestFactory().post("/accounts/login/")
    assert authenticate(request, username="ADA@fabrikam.example", password=PASSWORD) == guest
    assert authenticate(request, username="ada@fabrikam.example", password="wrong") is None
    # Invited by another organization too: the address names two accounts, the sign-in name is needed.
    admin = UserFactory(tenant=other_tenant, role="globalAdministrator")
    guest_invite(actor=_fresh(admin), tenant=other_tenant, email="ada@fabrikam.example", send_email=False)
    assert authenticate(request, username="ada@fabrikam.example", password=PASSWORD) is None
    assert authenticate(request, username=guest.user_principal_name, password=PASSWORD) == guest


def test_the_redeem_page_says_why_a_link_is_dead(client):
    response = client.get(reverse("invitation_redeem", args=["garbage"]))
    assert response.status_code == 410
    assert "isn't valid" in html.unescape(response.content.decode())


def test_resend_and_revoke_from_the_user_page(client, admin_user, invited, mailoutbox):
    client.force_login(admin_user)
    page = client.get(reverse("user_detail", args=[invited.user.pk])).content.decode()
    assert "Resend invitation" in page and "Pending acceptance" in page
    client.post(reverse("invitation_resend", args=[invited.user.pk]))
    assert len(mailoutbox) == 2
    client.post(reverse("invitation_revoke", args=[invited.user.pk]))
    assert Invitation.objects.get(pk=invited.invitation.pk).revoked_date_time is not None
    again = client.post(reverse("invitation_revoke", args=[invited.user.pk]), follow=True)
    assert "already revoked" in again.content.decode() or "was revoked" in again.content.decode()


def test_resend_of_another_tenants_guest_is_not_found(client, other_tenant, invited):
    outsider = UserFactory(tenant=other_tenant, role="globalAdministrator")
    client.force_login(outsider)
    assert client.post(reverse("invitation_resend", args=[invited.user.pk])).status_code == 404


def test_check_consistency_finds_invitations_and_states_that_disagree(tenant, invited, mailoutbox):
    assert run_checks(tenants=[tenant], only=["guests"]) == []
    User.objects.filter(pk=invited.user.pk).update(external_user_state="Accepted")
    (difference,) = run_checks(tenants=[tenant], only=["guests"])
    assert "still open" in str(difference)
    Invitation.objects.filter(pk=invited.invitation.pk).update(redeemed_date_time=timezone.now())
    User.objects.filter(pk=invited.user.pk).update(external_user_state="PendingAcceptance")
    (difference,) = run_checks(tenants=[tenant], only=["guests"])
    assert "still pending" in str(difference)
    Invitation.objects.filter(pk=invited.invitation.pk).delete()
    (difference,) = run_checks(tenants=[tenant], only=["guests"])
    assert "doesn't exist" in str(difference)
