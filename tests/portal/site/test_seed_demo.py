from __future__ import annotations

import pytest
from django.core.management import call_command

from access_requests.models import JoinRequest
from groups.models import Group, JoinPolicy, Membership
from portal.models import AuditEvent, Tenant, User

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return (
        Tenant.objects.count(),
        User.objects.count(),
        Group.objects.count(),
        Membership.objects.count(),
        JoinRequest.objects.count(),
        AuditEvent.objects.count(),
    )


def test_it_is_idempotent():
    call_command("seed_demo", stdout=None)
    first = _counts()
    call_command("seed_demo")
    assert _counts() == first
    assert first[1] >= 40


def test_it_creates_the_logins_and_groups_the_journeys_need():
    call_command("seed_demo")
    tenant = Tenant.objects.get(slug="contoso")
    assert tenant.plan == "p1"
    assert tenant.group_settings.owners_can_manage_requests and not tenant.group_settings.restrict_my_groups
    owner = User.objects.get(user_principal_name="owner@contoso.test")
    user = User.objects.get(user_principal_name="user@contoso.test")
    assert User.objects.get(user_principal_name="guest@fabrikam.test").user_type == "Guest"
    assert user.check_password("groupdesk-demo")
    reviewers = Group.objects.get(tenant=tenant, display_name="Finance Reviewers")
    book_club = Group.objects.get(tenant=tenant, display_name="Book Club")
    assert (reviewers.join_policy, book_club.join_policy) == (JoinPolicy.OWNER_APPROVAL, JoinPolicy.OPEN)
    for group in (reviewers, book_club):
        assert group.ownerships.filter(user=owner).exists()
        assert not group.memberships.filter(member_user=user).exists()
        assert not JoinRequest.objects.filter(group=group, requester=user).exists()
    kinds = set(Group.objects.for_tenant(tenant).values_list("kind", flat=True))
    assert kinds == {"security", "microsoft365", "mailEnabledSecurity", "distribution"}
    assert Group.objects.filter(tenant=tenant, source="synced").exists()
    assert Group.objects.filter(tenant=tenant, display_name="Secure_access_finance_apps").exists()
    assert JoinRequest.objects.filter(tenant=tenant, status="pending").count() >= 3


def test_it_builds_a_generated_population_in_bulk():
    call_command("seed_demo", users=300, groups=20)
    tenant = Tenant.objects.get(slug="contoso")
    assert User.objects.for_tenant(tenant).filter(user_principal_name__startswith="gen").count() == 300
    assert Group.objects.for_tenant(tenant).filter(mail_nickname__startswith="gen-").count() == 20
    call_command("seed_demo", users=300, groups=20)
    assert User.objects.for_tenant(tenant).filter(user_principal_name__startswith="gen").count() == 300


def test_it_computes_the_dynamic_groups():
    call_command("seed_demo")
    tenant = Tenant.objects.get(slug="contoso")
    marketing = Group.objects.get(tenant=tenant, mail_nickname="marketing-dynamic")
    everyone = Group.objects.get(tenant=tenant, mail_nickname="all-employees")
    alex = User.objects.get(user_principal_name="user@contoso.test")
    guest = User.objects.get(user_principal_name="guest@fabrikam.test")
    assert marketing.memberships.filter(member_user=alex).exists()
    assert everyone.memberships.filter(member_user=alex).exists()
    assert not everyone.memberships.filter(member_user=guest).exists()
    assert marketing.memberships.count() == User.objects.filter(tenant=tenant, department="Marketing").count()
