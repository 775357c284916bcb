"""Issue 16: who may invite guests (the tenant's allowInvitesFrom, the Guest Inviter role, members of a
Microsoft 365 group), whom (collaboration restrictions, never the tenant's own domains), and what an
invitation makes (the guest account, its groups through the one writer, the email)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from access_requests.invitations.services import INVITE_ACTIVITY, guest_invite
from access_requests.models import Invitation
from groups.models import GroupKind, Membership
from portal.errors import Conflict, Invalid, NotFound, Refused
from portal.models import AuditEvent, TenantGroupSettings, User
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db


def _set(tenant, **values) -> None:
    TenantGroupSettings.objects.filter(tenant=tenant).update(**values)
    tenant.refresh_from_db()


def _fresh(user):
    """The actor as a new request would load it (settings and grants read again)."""
    return User.objects.select_related("tenant", "tenant__group_settings").get(pk=user.pk)


def _invite(actor, email="ada@fabrikam.example", **kwargs):
    actor = _fresh(actor)
    return guest_invite(actor=actor, tenant=actor.tenant, email=email, **kwargs)


def test_it_makes_a_pending_guest_with_entras_names_and_emails_a_link(tenant, admin_user, mailoutbox):
    invited = _invite(admin_user, display_name="Ada Lovelace")
    guest = invited.user
    assert guest.user_type == "Guest"
    assert guest.external_user_state == "PendingAcceptance"
    assert guest.creation_type == "Invitation"
    assert guest.external_user_state_change_date_time is not None
    assert guest.user_principal_name == f"ada_fabrikam.example#EXT#@{tenant.verified_domains[0]}"
    assert guest.mail == "ada@fabrikam.example"
    assert guest.invited_by == admin_user
    assert not guest.has_usable_password()
    event = AuditEvent.objects.get(tenant=tenant, activity=INVITE_ACTIVITY)
    assert event.actor_name == admin_user.user_principal_name and event.target_id == str(guest.pk)
    (mail,) = mailoutbox
    assert mail.to == ["ada@fabrikam.example"]
    assert tenant.name in mail.subject and admin_user.display_name in mail.subject
    assert "/invitations/redeem/" in mail.body and "works once" in mail.body


# Who may invite, per allowInvitesFrom: written from Entra's description of the four values.
MATRIX = {
    "none": {"admin": False, "inviter": False, "user_admin": False, "member": False, "guest": False},
    "adminsAndGuestInviters": {
        "admin": True,
        "inviter": True,
        "user_admin": True,
        "member": False,
        "guest": False,
    },
    "adminsGuestInvitersAndAllMembers": {
        "admin": True,
        "inviter": True,
        "user_admin": True,
        "member": True,
        "guest": False,
    },
    "everyone": {"admin": True, "inviter": True, "user_admin": True, "member": True, "guest": True},
}
ROLES = {
    "admin": {"role": "globalAdministrator"},
    "inviter": {"role": "guestInviter"},
    "user_admin": {"role": "userAdministrator"},
    "member": {},
    "guest": {"user_type": "Guest"},
}


@pytest.mark.parametrize("setting", list(MATRIX))
@pytest.mark.parametrize("who", list(ROLES))
def test_it_lets_invite_whom_the_setting_names(tenant, setting, who):
    _set(tenant, allow_invites_from=setting)
    actor = UserFactory(tenant=tenant, **ROLES[who])
    if MATRIX[setting][who]:
        assert _invite(actor).user.is_guest
    else:
        with pytest.raises(PermissionDenied):
            _invite(actor)
        assert not User.objects.filter(mail="ada@fabrikam.example").exists()
        assert AuditEvent.objects.filter(tenant=tenant, result="failure").exists()


def test_it_says_so_when_nobody_may_invite(tenant, admin_user):
    _set(tenant, allow_invites_from="none")
    with pytest.raises(PermissionDenied, match="doesn't allow anyone to invite"):
        _invite(admin_user)


def test_it_refuses_the_tenants_own_domains(tenant, admin_user):
    with pytest.raises(Refused, match="domain of your organization"):
        _invite(admin_user, email=f"someone@{tenant.verified_domains[0]}")
    with pytest.raises(Refused):
        _invite(admin_user, email=f"someone@eu.{tenant.verified_domains[0]}")


def test_it_refuses_domains_of_the_deny_list_and_their_subdomains(tenant, admin_user):
    _set(tenant, collaboration_restriction="deny", collaboration_domains="fabrikam.example\nrival.example")
    with pytest.raises(Refused, match="doesn't allow invitations to fabrikam.example"):
        _invite(admin_user)
    with pytest.raises(Refused):
        _invite(admin_user, email="bo@eu.rival.example")
    assert _invite(admin_user, email="cy@partner.example").user.is_guest


def test_it_invites_only_domains_of_the_allow_list(tenant, admin_user):
    _set(tenant, collaboration_restriction="allow", collaboration_domains="partner.example")
    with pytest.raises(Refused, match="only to these domains: partner.example"):
        _invite(admin_user)
    assert _invite(admin_user, email="cy@partner.example").user.is_guest
    assert _invite(admin_user, email="di@eu.partner.example").user.is_guest


def test_it_refuses_what_is_not_an_email_address(tenant, admin_user):
    for bad in ("not-an-address", "a@b", "x" * 300 + "@fabrikam.example", "a b@fabrikam.example"):
        with pytest.raises(Invalid):
            _invite(admin_user, email=bad)


def test_it_refuses_inviting_someone_twice(tenant, admin_user):
    _invite(admin_user)
    with pytest.raises(Conflict, match="already in your organization"):
        _invite(admin_user, email="ADA@Fabrikam.Example")


def test_it_puts_the_guest_into_groups_through_the_writer(tenant, admin_user):
    group = GroupFactory(tenant=tenant, kind=GroupKind.SECURITY)
    guest = _invite(admin_user, groups=[group]).user
    assert Membership.objects.filter(group=group, member_user=guest).exists()
    assert AuditEvent.objects.filter(
        tenant=tenant, activity="Add member to group", target_id=str(group.pk)
    ).exists()
    assert Invitation.objects.get(invited_user=guest).groups == [group.display_name]


def test_it_lets_an_owner_invite_into_their_group(tenant):
    owner = UserFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant, kind=GroupKind.SECURITY, owners=[owner])
    guest = _invite(owner, groups=[group]).user
    assert Membership.objects.filter(group=group, member_user=guest).exists()


@pytest.fixture
def team(tenant, member):
    return GroupFactory(tenant=tenant, kind=GroupKind.MICROSOFT_365, members=[member])


def test_it_lets_a_member_of_a_microsoft_365_group_invite_guests_into_it(tenant, member, team):
    _set(tenant, allow_invites_from="adminsGuestInvitersAndAllMembers")
    guest = _invite(member, groups=[team]).user
    assert Membership.objects.filter(group=team, member_user=guest).exists()


@pytest.mark.parametrize(
    "settings",
    [
        {"allow_to_add_guests": False},
        {"allow_guests_to_access_groups": False},
        {"allow_invites_from": "adminsAndGuestInviters"},
    ],
)
def test_it_refuses_a_members_group_invite_when_the_tenant_says_no(tenant, member, team, settings):
    _set(tenant, **settings)
    with pytest.raises(PermissionDenied):
        _invite(member, groups=[team])
    assert not User.objects.filter(mail="ada@fabrikam.example").exists()  # all or nothing


def test_it_refuses_a_member_inviting_into_a_security_group_or_a_group_they_are_not_in(tenant, member):
    security = GroupFactory(tenant=tenant, kind=GroupKind.SECURITY, members=[member])
    other_team = GroupFactory(tenant=tenant, kind=GroupKind.MICROSOFT_365)
    for group in (security, other_team):
        with pytest.raises(PermissionDenied):
            _invite(member, groups=[group])
    assert not User.objects.filter(mail="ada@fabrikam.example").exists()


def test_it_refuses_groups_of_another_tenant(tenant, other_tenant, admin_user):
    foreign = GroupFactory(tenant=other_tenant)
    with pytest.raises(NotFound):
        _invite(admin_user, groups=[foreign])
    assert not User.objects.filter(mail="ada@fabrikam.example").exists()


def test_it_sends_no_email_when_asked_not_to(tenant, admin_user, mailoutbox):
    invited = _invite(admin_user, send_email=False)
    assert mailoutbox == []
    assert invited.invitation.sent_date_time is None
