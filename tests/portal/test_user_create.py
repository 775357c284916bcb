"""user_create: the one service that creates directory users (Graph POST /users, SCIM, invitations)."""

import pytest
from django.core.exceptions import PermissionDenied

from groups.models import Group, Membership
from groups.services import group_create
from portal.errors import Conflict
from portal.models import AuditEvent, User
from portal.services import UserError, user_create
from tests import factories

pytestmark = pytest.mark.django_db

STRONG = "Tr0ub4dor&3-horse"


def _create(actor, tenant, upn=None, **kwargs):
    return user_create(
        actor=actor,
        tenant=tenant,
        user_principal_name=upn or f"ada@{tenant.verified_domains[0]}",
        display_name=kwargs.pop("display_name", "Ada Lovelace"),
        **kwargs,
    )


def test_it_creates_an_audited_user_who_can_sign_in_with_the_password(tenant, admin_user):
    user = _create(admin_user, tenant, password=STRONG, values={"department": "Research"})
    user.refresh_from_db()
    assert user.tenant == tenant and user.department == "Research" and user.mail_nickname == "ada"
    assert user.check_password(STRONG)
    event = AuditEvent.objects.get(activity="Add user", target_id=str(user.pk))
    assert event.actor_id == str(admin_user.pk)
    assert event.after["userPrincipalName"] == user.user_principal_name


def test_without_a_password_the_user_cannot_sign_in(tenant, admin_user):
    user = _create(admin_user, tenant)
    assert not user.has_usable_password()


def test_a_new_user_joins_matching_dynamic_groups_in_the_same_call(tenant, admin_user):
    group = group_create(
        actor=admin_user,
        display_name="Research",
        mail_nickname="research",
        membership_type="dynamic",
        membership_rule='user.department -eq "Research"',
    )
    user = _create(admin_user, tenant, values={"department": "Research"})
    assert Membership.objects.filter(group=group, member_user=user).exists()
    assert isinstance(group, Group)


@pytest.mark.parametrize(
    ("upn", "message"),
    [
        ("not-an-upn", "not a valid userPrincipalName"),
        ("ada@elsewhere.example", "verified domains"),
        ("a\x00b@x.test", "not a valid userPrincipalName"),
    ],
)
def test_it_refuses_bad_sign_in_names(tenant, admin_user, upn, message):
    with pytest.raises(UserError, match=message):
        _create(admin_user, tenant, upn=upn)
    assert not User.objects.filter(display_name="Ada Lovelace").exists()


def test_a_provisioning_name_off_the_verified_domains_is_kept_verbatim_when_allowed(tenant, admin_user):
    user = _create(admin_user, tenant, upn="ada@idp.example", verified_domain_only=False)
    assert user.user_principal_name == "ada@idp.example"


def test_a_taken_name_answers_graphs_conflict_whatever_the_case(tenant, admin_user):
    _create(admin_user, tenant)
    with pytest.raises(Conflict, match="already exists"):
        _create(admin_user, tenant, upn=f"ADA@{tenant.verified_domains[0]}")


def test_a_weak_password_is_refused_on_the_password_field(tenant, admin_user):
    with pytest.raises(UserError) as caught:
        _create(admin_user, tenant, password="123")
    assert caught.value.field == "password"


def test_unknown_fields_and_empty_names_are_refused(tenant, admin_user):
    with pytest.raises(UserError, match="can't be set"):
        _create(admin_user, tenant, values={"is_superuser": True})
    with pytest.raises(UserError, match="display name"):
        _create(admin_user, tenant, display_name="  ")


def test_only_those_who_may_create_users_can(tenant, other_tenant):
    groups_admin = factories.UserFactory(tenant=tenant, role="groupsAdministrator")
    user_admin = factories.UserFactory(tenant=tenant, role="userAdministrator")
    with pytest.raises(PermissionDenied):
        _create(groups_admin, tenant)
    outsider = factories.UserFactory(tenant=other_tenant, role="globalAdministrator")
    with pytest.raises(PermissionDenied):
        _create(outsider, tenant)
    assert _create(user_admin, tenant).tenant == tenant
    refused = AuditEvent.objects.filter(result=AuditEvent.Result.FAILURE, actor_id=str(groups_admin.pk))
    assert refused.exists()
