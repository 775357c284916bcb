from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from groups.models import CreatedIn, Group, GroupKind, JoinPolicy, Membership, Ownership
from groups.services import (
    NamingError,
    ServiceError,
    group_hard_delete,
    group_provision,
    group_renew,
    group_restore,
    group_soft_delete,
    group_update,
)
from portal.models import AuditEvent, ExpirationScope, TenantGroupSettings
from tests.factories import DeviceFactory, GroupFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _settings(tenant, **values):
    TenantGroupSettings.objects.filter(tenant=tenant).update(**values)
    tenant.refresh_from_db()


def _fresh(user):
    """The user as a new request sees them (grants and settings loaded again)."""
    return type(user).objects.select_related("tenant", "tenant__group_settings").get(pk=user.pk)


def test_it_makes_the_my_groups_creator_the_first_owner_and_applies_the_naming_policy(tenant):
    _settings(tenant, prefix_suffix_naming_requirement="GRP_[Department]_[GroupName]")
    user = _fresh(UserFactory(tenant=tenant, department="Finance"))
    colleague = UserFactory(tenant=tenant)
    group = group_provision(
        actor=user,
        display_name="Readers",
        kind=GroupKind.SECURITY,
        created_in=CreatedIn.MY_GROUPS,
        members=[colleague],
    )
    assert group.display_name == "GRP_Finance_Readers"
    assert group.mail_nickname == "GRP_Finance_Readers"
    assert group.join_policy == JoinPolicy.OPEN  # seed 002: My Groups groups are open to join
    assert list(group.ownerships.values_list("user", flat=True)) == [user.pk]
    assert list(group.memberships.values_list("member_user", flat=True)) == [colleague.pk]


def test_it_gives_an_admin_created_group_no_owner_and_exempts_the_admin_from_naming(tenant, groups_admin):
    _settings(tenant, prefix_suffix_naming_requirement="GRP_[GroupName]", custom_blocked_words="payroll")
    group = group_provision(actor=_fresh(groups_admin), display_name="Payroll", mail_nickname="payroll")
    assert (group.display_name, group.join_policy, group.ownerships.count()) == ("Payroll", "closed", 0)


def test_it_makes_a_createasowner_role_holder_the_owner(tenant):
    from portal.models import CustomRole, RoleAssignment

    role = CustomRole.objects.create(
        tenant=tenant, display_name="Creators", permissions=["microsoft.directory/groups/createAsOwner"]
    )
    user = UserFactory(tenant=tenant)
    RoleAssignment.objects.create(tenant=tenant, custom_role=role, principal_user=user)
    group = group_provision(actor=_fresh(user), display_name="Mine", mail_nickname="mine")
    assert list(group.ownerships.values_list("user", flat=True)) == [user.pk]


def test_it_refuses_blocked_words_for_users_and_saves_nothing(tenant):
    _settings(tenant, custom_blocked_words="payroll\nsecret")
    user = _fresh(UserFactory(tenant=tenant))
    with pytest.raises(NamingError) as refused:
        group_provision(actor=user, display_name="Secret club", created_in=CreatedIn.MY_GROUPS)
    assert "secret" in refused.value.errors["display_name"][0]
    assert not Group.objects.exists()


def test_it_creates_nothing_when_one_initial_member_is_refused(tenant, groups_admin):
    device = DeviceFactory(tenant=tenant)
    with pytest.raises(ServiceError):
        group_provision(
            actor=_fresh(groups_admin),
            display_name="M",
            mail_nickname="m",
            kind=GroupKind.MICROSOFT_365,
            members=[UserFactory(tenant=tenant), device],
        )
    assert not Group.objects.exists() and not Membership.objects.exists()


def test_it_makes_derived_aliases_unique_and_refuses_a_taken_typed_alias(tenant, groups_admin):
    admin = _fresh(groups_admin)
    GroupFactory(tenant=tenant, mail_nickname="Team-A")
    assert group_provision(actor=admin, display_name="Team A").mail_nickname == "Team-A-2"
    with pytest.raises(ServiceError, match="already used"):
        group_provision(actor=admin, display_name="Other", mail_nickname="team-a")


def test_it_refuses_kinds_the_tenant_doesnt_let_users_create(tenant):
    _settings(tenant, users_can_create_security_groups=False)
    user = _fresh(UserFactory(tenant=tenant))
    with pytest.raises(PermissionDenied):
        group_provision(actor=user, display_name="X", created_in=CreatedIn.MY_GROUPS)
    with pytest.raises(PermissionDenied):
        group_provision(
            actor=user,
            display_name="X",
            mail_nickname="x",
            kind=GroupKind.MAIL_ENABLED_SECURITY,
            created_in=CreatedIn.MY_GROUPS,
        )


def test_it_renames_under_the_policy_and_audits_before_and_after(tenant):
    _settings(tenant, prefix_suffix_naming_requirement="GRP_[GroupName]")
    owner = UserFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant, display_name="GRP_Old", owners=[owner])
    group_update(actor=_fresh(owner), group=group, display_name="New", description="Hello")
    group.refresh_from_db()
    assert (group.display_name, group.description) == ("GRP_New", "Hello")
    event = AuditEvent.objects.get(activity="Update group")
    assert event.before["displayName"] == "GRP_Old" and event.after["displayName"] == "GRP_New"


def test_it_lets_owners_manage_members_but_not_settings_when_users_cant_create(tenant):
    """Seed 002: "No" means owners can't change their groups but still manage memberships."""
    from groups.services import membership_add

    _settings(tenant, users_can_create_security_groups=False)
    owner = UserFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant, owners=[owner])
    with pytest.raises(PermissionDenied):
        group_update(actor=_fresh(owner), group=group, description="changed")
    membership_add(actor=_fresh(owner), group=group, member=UserFactory(tenant=tenant))
    assert group.memberships.count() == 1


def test_it_refuses_classifications_outside_the_tenants_list(tenant, groups_admin):
    _settings(tenant, classification_list="General,Confidential")
    group = GroupFactory(tenant=tenant)
    with pytest.raises(ServiceError):
        group_update(actor=_fresh(groups_admin), group=group, classification="Top secret")
    group_update(actor=_fresh(groups_admin), group=group, classification="Confidential")
    group.refresh_from_db()
    assert group.classification == "Confidential"


def test_it_restores_a_deleted_group_with_members_owners_and_settings(tenant, groups_admin):
    owner, member = UserFactory(tenant=tenant), UserFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant, owners=[owner], members=[member], description="Keep me")
    admin = _fresh(groups_admin)
    group_soft_delete(actor=admin, group=group)
    with pytest.raises(PermissionDenied):
        group_restore(actor=_fresh(owner), group=group)
    group_restore(actor=admin, group=group)
    group.refresh_from_db()
    assert not group.is_deleted and group.description == "Keep me"
    assert group.ownerships.get().user == owner and group.memberships.get().member_user == member
    assert AuditEvent.objects.filter(activity="Restore group", result="success").count() == 1
    assert AuditEvent.objects.filter(activity="Restore group", result="failure").count() == 1  # the owner
    with pytest.raises(ServiceError):
        group_restore(actor=admin, group=group)


def test_it_deletes_permanently_only_a_deleted_group(tenant, groups_admin):
    admin = _fresh(groups_admin)
    group = GroupFactory(tenant=tenant, members=[UserFactory(tenant=tenant)])
    with pytest.raises(ServiceError):
        group_hard_delete(actor=admin, group=group)
    group_soft_delete(actor=admin, group=group)
    group_hard_delete(actor=admin, group=group)
    assert not Group.objects.filter(pk=group.pk).exists() and not Membership.objects.exists()
    assert AuditEvent.objects.filter(activity="Hard delete group", target_id=str(group.pk)).exists()


def test_it_renews_for_owners_and_refuses_members(tenant):
    _settings(tenant, group_lifetime_days=180, expiration_scope=ExpirationScope.ALL)
    owner, member = UserFactory(tenant=tenant), UserFactory(tenant=tenant)
    group = GroupFactory(
        tenant=tenant,
        kind=GroupKind.MICROSOFT_365,
        owners=[owner],
        members=[member],
        expiration_date_time=NOW + timedelta(days=3),
    )
    with pytest.raises(PermissionDenied):
        group_renew(actor=_fresh(member), group=group, now=NOW)
    group_renew(actor=_fresh(owner), group=group, now=NOW)
    group.refresh_from_db()
    assert group.expiration_date_time == NOW + timedelta(days=180) and group.renewed_date_time == NOW


def test_it_sets_an_expiration_on_new_microsoft_365_groups_only_when_the_policy_covers_all(
    tenant, groups_admin
):
    _settings(tenant, group_lifetime_days=90, expiration_scope=ExpirationScope.ALL)
    admin = _fresh(groups_admin)
    m365 = group_provision(actor=admin, display_name="A", mail_nickname="a", kind=GroupKind.MICROSOFT_365)
    security = group_provision(actor=admin, display_name="B", kind=GroupKind.SECURITY)
    assert m365.expiration_date_time is not None and security.expiration_date_time is None
    assert abs((m365.expiration_date_time - m365.created_date_time) - timedelta(days=90)) < timedelta(
        seconds=5
    )


def test_it_restores_an_expired_group_renewed(tenant, groups_admin):
    _settings(tenant, group_lifetime_days=30, expiration_scope=ExpirationScope.ALL)
    group = GroupFactory(
        tenant=tenant,
        kind=GroupKind.MICROSOFT_365,
        expiration_date_time=NOW - timedelta(days=1),
        deleted_date_time=NOW,
    )
    group_restore(actor=_fresh(groups_admin), group=group, now=NOW + timedelta(days=2))
    group.refresh_from_db()
    assert group.expiration_date_time == NOW + timedelta(days=32)


def test_it_keeps_ownership_rows_untouched_by_soft_delete(tenant, groups_admin):
    group = GroupFactory(tenant=tenant, owners=[UserFactory(tenant=tenant)])
    group_soft_delete(actor=_fresh(groups_admin), group=group)
    assert Ownership.objects.filter(group=group).count() == 1


def test_it_refuses_changes_to_a_group_deleted_for_good_meanwhile(tenant, groups_admin):
    admin = _fresh(groups_admin)
    group = GroupFactory(tenant=tenant, deleted_date_time=NOW)
    stale = Group.objects.get(pk=group.pk)
    group_hard_delete(actor=admin, group=group)
    for change in (group_restore, group_hard_delete):
        with pytest.raises(ServiceError, match="no longer exists"):
            change(actor=admin, group=stale)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_leaves_one_outcome_when_restore_races_permanent_delete(tenant, groups_admin):
    import threading

    from django.db import connection

    group = GroupFactory(tenant=tenant, deleted_date_time=NOW)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(change):
        try:
            barrier.wait()
            change(actor=_fresh(groups_admin), group=Group.objects.get(pk=group.pk))
            outcomes.append(change.__name__)
        except ServiceError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(c,)) for c in (group_restore, group_hard_delete)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) in (["group_restore", "refused"], ["group_hard_delete", "refused"])
    survivor = Group.objects.filter(pk=group.pk).first()
    assert (survivor is None) == ("group_hard_delete" in outcomes)
    assert survivor is None or not survivor.is_deleted
