from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db.models import Count, F

from access_requests.models import JoinRequest
from groups.dynamic import queryset_for
from groups.models import Group, JoinPolicy, Membership
from groups.rules import parse
from portal.models import AuditEvent, Tenant, User
from portal.site.demo.scale import nesting_depth

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
    out = io.StringIO()
    call_command("seed_demo", users=400, groups=700, stdout=out)
    tenant = Tenant.objects.get(slug="contoso")
    generated = Group.objects.for_tenant(tenant).filter(mail_nickname__startswith="gen-")
    dynamic = Group.objects.for_tenant(tenant).filter(mail_nickname__startswith="dyn-")
    assert User.objects.for_tenant(tenant).filter(user_principal_name__startswith="gen").count() == 400
    assert (generated.count(), dynamic.count()) == (630, 70)
    assert "nesting depth" in out.getvalue() and "pending requests" in out.getvalue()
    assert nesting_depth(tenant) == 8
    # Every seeded dynamic group holds exactly what its rule selects, and every stored count is right.
    for group in dynamic[:20]:
        wanted = set(queryset_for(parse(group.membership_rule), tenant).values_list("pk", flat=True))
        assert set(group.memberships.values_list("member_user_id", flat=True)) == wanted
    for group in Group.objects.for_tenant(tenant).annotate(n=Count("memberships")):
        assert group.member_count == group.n, group
    owner = User.objects.get(user_principal_name="owner@contoso.test")
    waiting = JoinRequest.objects.filter(status="pending", group__ownerships__user=owner).count()
    assert waiting >= 250
    assert not JoinRequest.objects.filter(
        status="pending", group__memberships__member_user=F("requester")
    ).exists()
    call_command("seed_demo", users=400, groups=700, stdout=io.StringIO())
    assert User.objects.for_tenant(tenant).filter(user_principal_name__startswith="gen").count() == 400
    assert JoinRequest.objects.filter(status="pending", group__ownerships__user=owner).count() == waiting


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
