"""/users/delta and /groups/delta: a first round lists everything and ends with a deltaLink; the next
call answers only what changed since (``@removed`` for deletions, ``members@delta`` for membership)."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from groups.dynamic import group_rule_update
from groups.models import Membership
from groups.services import group_hard_delete, group_soft_delete
from groups.services.membership import member_add, member_remove
from portal.audit import audit_record
from portal.models import TenantGroupSettings, User
from portal.services import user_delete, user_update
from portal.services.imports import users_import
from tests import factories
from tests.portal.site.api.conftest import error_of

pytestmark = pytest.mark.django_db

V = "/v1.0"


@pytest.fixture
def tenant():
    return factories.TenantFactory()


@pytest.fixture
def admin(tenant):
    return factories.UserFactory(tenant=tenant, role="globalAdministrator", display_name="Admin")


def follow(api, link: str, **headers):
    parts = urlsplit(link)
    return api.get(f"{parts.path}?{parts.query}", headers=headers or None)


def full_round(api, path: str, **headers) -> tuple[list[dict], str]:
    """Every page of a first round: the entries and the deltaLink."""
    body = api.get(path, headers=headers or None).json()
    entries = list(body["value"])
    while "@odata.nextLink" in body:
        assert "@odata.deltaLink" not in body
        body = follow(api, body["@odata.nextLink"], **headers).json()
        entries += body["value"]
    return entries, body["@odata.deltaLink"]


def test_it_returns_every_user_then_only_what_changed_and_who_left(api_as, admin, tenant):
    kept = factories.UserFactory(tenant=tenant, display_name="Kept")
    changed = factories.UserFactory(tenant=tenant, display_name="Changed")
    leaver = factories.UserFactory(tenant=tenant, display_name="Leaver")
    purged = factories.UserFactory(tenant=tenant, display_name="Purged")
    factories.UserFactory(display_name="Elsewhere")  # another tenant's
    api = api_as(admin)
    entries, delta_link = full_round(api, f"{V}/users/delta")
    assert {e["displayName"] for e in entries} == {"Admin", "Kept", "Changed", "Leaver", "Purged"}

    user_update(actor=admin, user=changed, changes={"department": "Finance"})
    user_delete(actor=admin, user=leaver)
    users_import(
        tenant=tenant, text="userPrincipalName,displayName\nnew@contoso.test,Newcomer\n", actor=admin
    )
    audit_record(
        tenant=tenant, actor=admin, activity="Hard delete user", target=purged, category="UserManagement"
    )
    User.objects.filter(pk=purged.pk).delete()

    body = follow(api, delta_link).json()
    by_id = {e["id"]: e for e in body["value"]}
    newcomer = User.objects.get(user_principal_name="new@contoso.test")
    assert set(by_id) == {str(changed.pk), str(leaver.pk), str(purged.pk), str(newcomer.pk)}
    assert by_id[str(changed.pk)]["department"] == "Finance"
    assert by_id[str(leaver.pk)] == {"id": str(leaver.pk), "@removed": {"reason": "changed"}}
    assert by_id[str(purged.pk)] == {"id": str(purged.pk), "@removed": {"reason": "deleted"}}
    assert by_id[str(newcomer.pk)]["displayName"] == "Newcomer"
    assert str(kept.pk) not in by_id

    # And the round after that: nothing, until something changes.
    quiet = follow(api, body["@odata.deltaLink"]).json()
    assert quiet["value"] == [] and quiet["@odata.deltaLink"]


def test_it_pages_a_first_round_and_carries_select_in_the_tokens(api_as, admin, tenant):
    for n in range(7):
        factories.UserFactory(tenant=tenant, display_name=f"User {n}")
    api = api_as(admin)
    first = api.get(
        f"{V}/users/delta", headers={"Prefer": "odata.maxpagesize=3"}, **{"$select": "displayName"}
    ).json()
    assert len(first["value"]) == 3 and "@odata.nextLink" in first
    assert set(first["value"][0]) == {"id", "displayName"}
    entries, delta_link = full_round(
        api, f"{V}/users/delta?$select=displayName", Prefer="odata.maxpagesize=3"
    )
    assert len(entries) == 8 and len({e["id"] for e in entries}) == 8
    user_update(actor=admin, user=User.objects.get(display_name="User 3"), changes={"job_title": "Chief"})
    later = follow(api, delta_link).json()["value"]
    assert later == [{"id": str(User.objects.get(display_name="User 3").pk), "displayName": "User 3"}]


def test_it_reports_membership_changes_in_members_at_delta(api_as, admin, tenant):
    group = factories.GroupFactory(tenant=tenant, display_name="Falcon")
    quiet = factories.GroupFactory(tenant=tenant, display_name="Quiet")
    stays, leaves, joins, comes_back = (factories.UserFactory(tenant=tenant) for _ in range(4))
    nested = factories.GroupFactory(tenant=tenant, display_name="Nested")
    for member in (stays, leaves, comes_back, nested):
        member_add(actor=admin, group=group, member=member)
    api = api_as(admin)
    entries, delta_link = full_round(api, f"{V}/groups/delta")
    falcon = next(e for e in entries if e["id"] == str(group.pk))
    assert {(m["@odata.type"], m["id"]) for m in falcon["members@delta"]} == {
        ("#microsoft.graph.user", str(stays.pk)),
        ("#microsoft.graph.user", str(leaves.pk)),
        ("#microsoft.graph.user", str(comes_back.pk)),
        ("#microsoft.graph.group", str(nested.pk)),
    }

    member_remove(actor=admin, group=group, member=leaves)
    member_add(actor=admin, group=group, member=joins)
    member_remove(actor=admin, group=group, member=comes_back)
    member_add(actor=admin, group=group, member=comes_back)
    body = follow(api, delta_link).json()
    assert [e["id"] for e in body["value"]] == [str(group.pk)]  # "Quiet" didn't change
    delta = body["value"][0]["members@delta"]
    assert sorted((m["id"], "@removed" in m) for m in delta) == sorted(
        [(str(leaves.pk), True), (str(joins.pk), False), (str(comes_back.pk), False)]
    )
    removed = next(m for m in delta if m["id"] == str(leaves.pk))
    assert removed == {
        "@odata.type": "#microsoft.graph.user",
        "id": str(leaves.pk),
        "@removed": {"reason": "deleted"},
    }
    assert str(quiet.pk) not in {e["id"] for e in body["value"]}


def test_it_reports_group_property_changes_and_deleted_groups(api_as, admin, tenant):
    renamed = factories.GroupFactory(tenant=tenant, display_name="Old name")
    soft = factories.GroupFactory(tenant=tenant)
    hard = factories.GroupFactory(tenant=tenant)
    api = api_as(admin)
    _, delta_link = full_round(api, f"{V}/groups/delta?$select=displayName,members")
    assert api.patch(f"{V}/groups/{renamed.pk}", {"displayName": "New name"}).status_code == 204
    group_soft_delete(actor=admin, group=soft)
    group_soft_delete(actor=admin, group=hard)
    group_hard_delete(actor=admin, group=hard)
    body = follow(api, delta_link).json()
    by_id = {e["id"]: e for e in body["value"]}
    assert by_id[str(renamed.pk)] == {"id": str(renamed.pk), "displayName": "New name"}
    assert by_id[str(soft.pk)]["@removed"] == {"reason": "changed"}
    assert by_id[str(hard.pk)]["@removed"] == {"reason": "deleted"}


def test_it_shows_who_a_dynamic_recomputation_removed(api_as, admin, tenant):
    group = factories.GroupFactory(
        tenant=tenant, membership_type="dynamic", membership_rule='user.department -eq "Sales"'
    )
    seller = factories.UserFactory(tenant=tenant, department="Sales")
    TenantGroupSettings.objects.update_or_create(tenant=tenant, defaults={"dynamic_failsafe_percent": 100})
    group_rule_update(actor=admin, group=group, rule='user.department -eq "Sales"')
    assert Membership.objects.filter(group=group, member_user=seller).exists()
    api = api_as(admin)
    _, delta_link = full_round(api, f"{V}/groups/delta")
    group_rule_update(actor=admin, group=group, rule='user.department -eq "Nobody"')
    assert not Membership.objects.filter(group=group, member_user=seller).exists()
    body = follow(api, delta_link).json()
    entry = next(e for e in body["value"] if e["id"] == str(group.pk))
    assert {
        "@odata.type": "#microsoft.graph.user",
        "id": str(seller.pk),
        "@removed": {"reason": "deleted"},
    } in entry["members@delta"]


def test_it_signs_tokens_per_tenant_and_per_resource(api_as, admin, tenant):
    api = api_as(admin)
    _, delta_link = full_round(api, f"{V}/users/delta")
    token = delta_link.split("$deltatoken=")[1]
    assert error_of(api.get(f"{V}/users/delta?$deltatoken=forged"))[0] == 400
    assert error_of(api.get(f"{V}/groups/delta?$deltatoken={token}"))[0] == 400
    other_admin = factories.UserFactory(role="globalAdministrator")
    assert error_of(api_as(other_admin).get(f"{V}/users/delta?$deltatoken={token}"))[0] == 400
    assert error_of(api.get(f"{V}/users/delta?$orderby=displayName"))[0] == 400


def test_it_shows_nothing_of_another_tenant_and_follows_the_read_policy(api_as, admin, tenant):
    away = factories.UserFactory(display_name="Away")
    away_group = factories.GroupFactory(tenant=away.tenant)
    api = api_as(admin)
    users, user_link = full_round(api, f"{V}/users/delta")
    groups, group_link = full_round(api, f"{V}/groups/delta")
    assert str(away.pk) not in {u["id"] for u in users} and str(away_group.pk) not in {
        g["id"] for g in groups
    }
    other_admin = User.objects.get(
        pk=factories.UserFactory(tenant=away.tenant, role="globalAdministrator").pk
    )
    user_update(actor=other_admin, user=away, changes={"department": "Away"})
    member_add(actor=other_admin, group=away_group, member=away)
    assert follow(api, user_link).json()["value"] == []
    assert follow(api, group_link).json()["value"] == []
    guest = factories.UserFactory(tenant=tenant, user_type="Guest")
    assert error_of(api_as(guest).get(f"{V}/users/delta"))[0] == 403


@pytest.mark.parametrize("resource", ["users", "groups"])
def test_it_reads_a_page_with_the_same_number_of_queries_whatever_its_size(api_as, admin, tenant, resource):
    api = api_as(admin)

    def queries(extra: int) -> tuple[int, int]:
        for _ in range(extra):
            if resource == "users":
                factories.UserFactory(tenant=tenant)
            else:
                group = factories.GroupFactory(tenant=tenant)
                member_add(actor=admin, group=group, member=factories.UserFactory(tenant=tenant))
        with CaptureQueriesContext(connection) as first:
            body = api.get(f"{V}/{resource}/delta").json()
        link = body["@odata.deltaLink"]
        return len(first), link

    api.get(f"{V}/{resource}/delta")  # once, for what the first request of a token loads once
    small, link = queries(2)
    large, _ = queries(20)
    assert small == large, (small, large)
    # The next round, after changes to many objects: also a fixed number.
    for user in User.objects.filter(tenant=tenant).exclude(pk=admin.pk)[:15]:
        user_update(actor=admin, user=user, changes={"department": "Moved"})
    with CaptureQueriesContext(connection) as later:
        body = follow(api, link).json()
    assert body["value"]
    print(f"{resource}/delta queries: first round {small} (3 or 21 objects), next round {len(later)}")
    assert len(later) <= small + 4


class Writer:
    """A user change in a transaction of another connection that stays open until told to end."""

    def __init__(self, admin, user, changes: dict):
        self.started, self.finish, self.commit = threading.Event(), threading.Event(), True
        self.thread = threading.Thread(target=self._run, args=(admin, user, changes))

    def _run(self, admin, user, changes) -> None:
        class RolledBack(Exception):
            pass

        try:
            with transaction.atomic():
                user_update(actor=admin, user=user, changes=changes)
                self.started.set()
                self.finish.wait(10)
                if not self.commit:
                    raise RolledBack
        except RolledBack:
            pass
        finally:
            connection.close()  # this thread's own connection

    def __enter__(self):
        self.thread.start()
        assert self.started.wait(10)
        return self

    def end(self, commit: bool = True) -> None:
        self.commit = commit
        self.finish.set()
        self.thread.join(10)


POSTGRESQL_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite runs one writer at a time: ids commit in order"
)


@POSTGRESQL_ONLY
@pytest.mark.django_db(transaction=True)
def test_a_change_that_commits_after_a_later_one_comes_in_the_next_round_not_never(api_as):
    tenant = factories.TenantFactory()
    admin = factories.UserFactory(tenant=tenant, role="globalAdministrator")
    slow, fast = (factories.UserFactory(tenant=tenant) for _ in range(2))
    api = api_as(admin)
    _, delta_link = full_round(api, f"{V}/users/delta")

    writer = Writer(admin, slow, {"department": "Slow"}).__enter__()  # takes the lower audit id
    user_update(actor=admin, user=fast, changes={"department": "Fast"})  # commits the higher one
    during = follow(api, delta_link).json()
    assert str(slow.pk) not in {e["id"] for e in during["value"]}  # not committed yet
    writer.end(commit=True)

    after = follow(api, during["@odata.deltaLink"]).json()
    seen = {e["id"] for e in during["value"] + after["value"]}
    assert str(slow.pk) in {e["id"] for e in after["value"]}  # before the fix: lost for good
    assert str(fast.pk) in seen


@POSTGRESQL_ONLY
@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_id_holds_a_round_only_while_its_transaction_runs(api_as):
    tenant = factories.TenantFactory()
    admin = factories.UserFactory(tenant=tenant, role="globalAdministrator")
    aborted, fast, later = (factories.UserFactory(tenant=tenant) for _ in range(3))
    api = api_as(admin)
    _, delta_link = full_round(api, f"{V}/users/delta")

    first = Writer(admin, aborted, {"department": "Never"}).__enter__()
    user_update(actor=admin, user=fast, changes={"department": "Fast"})
    held = follow(api, delta_link).json()
    assert held["value"] == []  # the round stops before the id the open transaction holds
    first.end(commit=False)

    # Another transaction is writing now, but it began after that round: the gap was a rollback.
    second = Writer(admin, later, {"department": "Later"}).__enter__()
    try:
        body = follow(api, held["@odata.deltaLink"]).json()
        by_id = {e["id"]: e for e in body["value"]}
        assert str(fast.pk) in by_id and by_id[str(fast.pk)]["department"] == "Fast"
        assert str(aborted.pk) not in by_id
    finally:
        second.end(commit=True)
