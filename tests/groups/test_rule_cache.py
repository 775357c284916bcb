"""Each process keeps the tenant's compiled rules; every change to the set of active rules, by any path,
gives the tenant a new token in its own transaction, so another process's cache sees it at its next use.

"Another process" is a second cache dict: it is filled before the change, and must give the new set of
rules after it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from groups import dynamic
from groups.dynamic.cache import rules_for
from groups.models import Group, ProcessingStatus, RuleVersion
from groups.periodic import expire_groups, purge_deleted_groups
from groups.services import group_create, group_soft_delete
from groups.services.lifecycle import group_hard_delete, group_restore, group_update
from portal.models import TenantGroupSettings
from tests import factories

pytestmark = pytest.mark.django_db

RULE = 'user.department -eq "Sales"'


def _token(tenant):
    return RuleVersion.objects.filter(tenant=tenant).values_list("token", flat=True).first()


def _active(tenant, cache: dict) -> dict:
    """{group name: rule text} of the active user rules, as a process with ``cache`` sees them."""
    return {r.name: r.rule_text for r in rules_for(tenant, cache=cache).user.rules}


def _group(admin, rule: str = RULE, name: str = "Sales people") -> Group:
    return group_create(
        actor=admin,
        display_name=name,
        mail_nickname=name.lower().replace(" ", "-"),
        membership_type="dynamic",
        membership_rule=rule,
    )


@pytest.fixture
def other_process(tenant, admin_user):
    """A dynamic group, and a second process's cache that has already loaded it."""
    group = _group(admin_user)
    cache: dict = {}
    assert _active(tenant, cache) == {"Sales people": RULE}
    return group, cache


def test_it_sees_a_new_dynamic_group(tenant, admin_user, other_process):
    _, cache = other_process
    _group(admin_user, 'user.city -eq "Paris"', name="Paris")
    assert _active(tenant, cache) == {"Sales people": RULE, "Paris": 'user.city -eq "Paris"'}


def test_it_sees_a_saved_rule(tenant, admin_user, other_process):
    group, cache = other_process
    dynamic.group_rule_update(actor=admin_user, group=group, rule='user.department -in ["Sales", "HR"]')
    assert _active(tenant, cache) == {"Sales people": 'user.department -in ["Sales", "HR"]'}


def test_it_sees_a_hold_its_cancellation_and_its_confirmation(tenant, admin_user, other_process):
    group, cache = other_process
    TenantGroupSettings.objects.filter(tenant=tenant).update(dynamic_failsafe_percent=20)
    tenant.refresh_from_db()
    for _ in range(4):
        factories.UserFactory(tenant=tenant, department="Sales")
    dynamic.recompute_group(group.pk)
    hold = dynamic.group_rule_update(actor=admin_user, group=group, rule='user.city -eq "Nowhere"')
    assert hold is not None
    assert _active(tenant, cache) == {}  # a held group's rule is not applied
    dynamic.rule_hold_cancel(actor=admin_user, hold=hold)
    assert _active(tenant, cache) == {"Sales people": RULE}
    hold = dynamic.group_rule_update(actor=admin_user, group=group, rule='user.city -eq "Nowhere"')
    assert _active(tenant, cache) == {}
    dynamic.rule_hold_confirm(
        actor=factories.UserFactory(tenant=tenant, role="groupsAdministrator"), hold=hold
    )
    assert _active(tenant, cache) == {"Sales people": 'user.city -eq "Nowhere"'}


def test_it_sees_a_pause_and_a_resume(tenant, admin_user, other_process):
    group, cache = other_process
    dynamic.group_rule_processing_set(actor=admin_user, group=group, paused=True)
    assert _active(tenant, cache) == {}
    dynamic.group_rule_processing_set(actor=admin_user, group=Group.objects.get(pk=group.pk), paused=False)
    assert _active(tenant, cache) == {"Sales people": RULE}


def test_it_sees_a_rename(tenant, admin_user, other_process):
    group, cache = other_process
    group_update(actor=admin_user, group=group, display_name="Sellers")
    assert _active(tenant, cache) == {"Sellers": RULE}


def test_it_sees_a_deletion_a_restore_and_a_permanent_deletion(tenant, admin_user, other_process):
    group, cache = other_process
    group_soft_delete(actor=admin_user, group=group)
    assert _active(tenant, cache) == {}
    group_restore(actor=admin_user, group=Group.objects.get(pk=group.pk))
    assert _active(tenant, cache) == {"Sales people": RULE}
    group_soft_delete(actor=admin_user, group=Group.objects.get(pk=group.pk))
    token = _token(tenant)
    group_hard_delete(actor=admin_user, group=Group.objects.get(pk=group.pk))
    assert _token(tenant) != token and _active(tenant, cache) == {}


def test_it_sees_an_expiry_and_a_purge(tenant, admin_user, other_process):
    group, cache = other_process
    now = timezone.now()
    Group.objects.filter(pk=group.pk).update(expiration_date_time=now - timedelta(days=1))
    assert expire_groups(now=now) == 1
    assert _active(tenant, cache) == {}
    token = _token(tenant)
    assert purge_deleted_groups(now=now + timedelta(days=400)) == 1
    assert _token(tenant) != token


def test_it_sees_a_change_made_by_any_path_even_a_raw_update(tenant, other_process):
    group, cache = other_process
    Group.objects.filter(pk=group.pk).update(membership_type="assigned")
    assert _active(tenant, cache) == {}
    Group.objects.filter(pk=group.pk).update(
        membership_type="dynamic", processing_status=ProcessingStatus.HELD
    )
    assert _active(tenant, cache) == {}
    Group.objects.filter(pk=group.pk).update(processing_status=ProcessingStatus.RUNNING)
    assert _active(tenant, cache) == {"Sales people": RULE}


def test_it_keeps_the_token_through_what_does_not_change_the_rules(tenant, admin_user, other_process):
    group, _ = other_process
    token = _token(tenant)
    dynamic.recompute_group(group.pk)  # status and progress updates
    group_update(actor=admin_user, group=Group.objects.get(pk=group.pk), description="Who sells")
    group_create(actor=admin_user, display_name="Plain", mail_nickname="plain")  # an assigned group
    assert _token(tenant) == token


def test_it_forgets_a_token_of_a_change_rolled_back(tenant, admin_user, other_process):
    """A token is random, never a counter: a rolled-back change's token can't come back with other
    rules behind it."""
    group, cache = other_process
    tokens = set()
    for _ in range(3):
        Group.objects.filter(pk=group.pk).update(display_name=f"Name {len(tokens)}")
        tokens.add(_token(tenant))
    assert len(tokens) == 3 and all(len(t) >= 32 for t in tokens)


def test_it_compiles_again_only_the_rules_that_changed(tenant, admin_user, other_process):
    group, cache = other_process
    other = _group(admin_user, 'user.city -eq "Paris"', name="Paris")
    before = {r.group_id: r for r in rules_for(tenant, cache=cache).user.rules}
    group_update(actor=admin_user, group=Group.objects.get(pk=group.pk), display_name="Sellers")
    after = {r.group_id: r for r in rules_for(tenant, cache=cache).user.rules}
    assert after[other.pk] is before[other.pk]
    assert after[group.pk] is not before[group.pk] and after[group.pk].name == "Sellers"


def test_the_rule_version_triggers_survive_every_migration():
    # SQLite rebuilds groups_group for many migrations, dropping its triggers with the old table.
    vendor = connection.vendor
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'groups_group'"
            )
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'groups_group'::regclass AND NOT tgisinternal"
            )
        names = {row[0] for row in cursor.fetchall()}
    assert {"groups_rule_version_insert", "groups_rule_version_delete", "groups_rule_version_update"} <= names
