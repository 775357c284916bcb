"""POST /v1.0/invitations: Graph's invitation manager, with the tenant's invite setting and domain lists."""

from __future__ import annotations

import pytest

from portal.models import TenantGroupSettings, User
from tests.factories import UserFactory
from tests.portal.site.api.conftest import error_of

pytestmark = pytest.mark.django_db

BODY = {
    "invitedUserEmailAddress": "ada@fabrikam.example",
    "invitedUserDisplayName": "Ada Lovelace",
    "inviteRedirectUrl": "https://myapps.example/",
    "sendInvitationMessage": True,
    "invitedUserMessageInfo": {"customizedMessageBody": "Welcome aboard"},
}


def test_it_answers_graphs_invitation_resource(api_as, tenant, admin_user, mailoutbox):
    response = api_as(admin_user).post("/v1.0/invitations", BODY)
    assert response.status_code == 201
    body = response.json()
    guest = User.objects.get(mail="ada@fabrikam.example")
    assert body["invitedUser"] == {"id": str(guest.pk)}
    assert body["status"] == "PendingAcceptance"
    assert body["invitedUserEmailAddress"] == "ada@fabrikam.example"
    assert body["invitedUserType"] == "Guest"
    assert body["inviteRedirectUrl"] == "https://myapps.example/"
    assert body["inviteRedeemUrl"].startswith("http") and "/invitations/redeem/" in body["inviteRedeemUrl"]
    assert body["sendInvitationMessage"] is True
    assert body["invitedUserMessageInfo"]["customizedMessageBody"] == "Welcome aboard"
    assert body["inviteRedeemUrl"] in mailoutbox[0].body and "Welcome aboard" in mailoutbox[0].body


def test_the_user_carries_external_state_and_creation_type(api_as, admin_user):
    api = api_as(admin_user)
    guest_id = api.post("/v1.0/invitations", BODY).json()["invitedUser"]["id"]
    user = api.get(f"/v1.0/users/{guest_id}").json()
    assert user["externalUserState"] == "PendingAcceptance"
    assert user["creationType"] == "Invitation"
    assert user["externalUserStateChangeDateTime"]
    assert user["userType"] == "Guest" and "#EXT#" in user["userPrincipalName"].upper()


def test_it_sends_no_email_by_default_as_graph(api_as, admin_user, mailoutbox):
    body = {k: v for k, v in BODY.items() if k != "sendInvitationMessage"}
    assert api_as(admin_user).post("/v1.0/invitations", body).json()["sendInvitationMessage"] is False
    assert mailoutbox == []


def test_it_refuses_per_setting_and_domain_list(api_as, tenant, member):
    api = api_as(member)
    TenantGroupSettings.objects.filter(tenant=tenant).update(allow_invites_from="adminsAndGuestInviters")
    assert error_of(api.post("/v1.0/invitations", BODY)) == (403, "Authorization_RequestDenied")
    TenantGroupSettings.objects.filter(tenant=tenant).update(
        allow_invites_from="everyone",
        collaboration_restriction="deny",
        collaboration_domains="fabrikam.example",
    )
    assert error_of(api.post("/v1.0/invitations", BODY)) == (403, "Authorization_RequestDenied")
    TenantGroupSettings.objects.filter(tenant=tenant).update(collaboration_restriction="any")
    assert api.post("/v1.0/invitations", BODY).status_code == 201
    assert error_of(api.post("/v1.0/invitations", BODY))[0] == 400  # already invited


def test_an_app_with_the_guest_inviter_role_invites(api_as, tenant):
    api = api_as(app="Onboarding", role="guestInviter", tenant=tenant)
    assert api.post("/v1.0/invitations", BODY).status_code == 201
    reader = api_as(app="Reader", role="directoryReaders", tenant=tenant)
    assert (
        error_of(reader.post("/v1.0/invitations", {**BODY, "invitedUserEmailAddress": "b@x.example"}))[0]
        == 403
    )


@pytest.mark.parametrize(
    "body",
    [
        {"invitedUserEmailAddress": "ada@fabrikam.example"},
        {**BODY, "inviteRedirectUrl": "javascript:alert(1)"},
        {**BODY, "invitedUserEmailAddress": 7},
        {**BODY, "sendInvitationMessage": "yes"},
        {**BODY, "invitedUserType": "Member"},
        {**BODY, "nope": 1},
        {**BODY, "invitedUserEmailAddress": "not-an-address"},
    ],
)
def test_it_answers_bad_bodies_with_400(api_as, admin_user, body):
    assert error_of(api_as(admin_user).post("/v1.0/invitations", body))[0] == 400
    assert not User.objects.filter(user_type="Guest").exists()


def test_it_only_takes_post(api_as, admin_user):
    assert api_as(admin_user).get("/v1.0/invitations").status_code == 405


def test_a_guest_inviter_user_invites_under_admins_and_guest_inviters(api_as, tenant):
    TenantGroupSettings.objects.filter(tenant=tenant).update(allow_invites_from="adminsAndGuestInviters")
    inviter = UserFactory(tenant=tenant, role="guestInviter")
    assert api_as(inviter).post("/v1.0/invitations", BODY).status_code == 201


def test_a_guest_who_never_redeemed_cannot_use_a_token(api_as, admin_user):
    guest_id = api_as(admin_user).post("/v1.0/invitations", BODY).json()["invitedUser"]["id"]
    guest = User.objects.get(pk=guest_id)
    assert error_of(api_as(guest).get("/v1.0/me"))[0] == 401
    User.objects.filter(pk=guest_id).update(external_user_state="Accepted")
    assert api_as(guest).get("/v1.0/me").status_code == 200
