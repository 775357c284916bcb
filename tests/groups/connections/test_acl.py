"""The access rule on the database: what the loaders feed the rule (nested external groups, directory
groups at any depth inside them, deny over grant, groups named before they exist, cycles, guests,
deleted and disabled people, deleted directory groups), through search and "Who can see this?"."""

from __future__ import annotations

import pytest
from django.utils import timezone

from groups.connections import lookups, selectors, services
from tests import factories

pytestmark = pytest.mark.django_db


def _sees(user, item) -> bool:
    ids = selectors.visible_item_ids(user, [item.connection_id], "")
    assert (item.pk in ids) == selectors.can_user_see(item, user).allowed
    audience = selectors.item_audience(item).verdicts
    assert (str(user.pk) in audience and audience[str(user.pk)].allowed) == (item.pk in ids)
    return item.pk in ids


def test_it_reaches_people_through_nested_external_and_directory_groups(world, tenant):
    alice, bob, carol = (factories.UserFactory(tenant=tenant) for _ in range(3))
    inner = factories.GroupFactory(tenant=tenant, members=[bob])
    outer = factories.GroupFactory(tenant=tenant, members=[inner])
    world.group("support", alice, outer)
    world.group("escalations", "support")
    item = world.item("i1", ("grant", "externalGroup", "escalations"))
    assert _sees(alice, item) and _sees(bob, item)
    assert not _sees(carol, item)
    verdict = selectors.can_user_see(item, bob)
    names = lookups.node_names(tenant, verdict.grant_path)
    assert [names[n] for n in verdict.grant_path] == [
        bob.display_name,
        inner.display_name,
        outer.display_name,
        "support",
        "escalations",
    ]


def test_deny_wins_over_grant(world, tenant):
    alice, bob = factories.UserFactory(tenant=tenant), factories.UserFactory(tenant=tenant)
    contractors = factories.GroupFactory(tenant=tenant, members=[bob])
    item = world.item("i1", ("grant", "everyone", "tenant-id"), ("deny", "group", contractors))
    assert _sees(alice, item)
    assert not _sees(bob, item)
    who = selectors.item_audience(item).verdicts[str(bob.pk)]
    assert who.deny.principal == ("group", str(contractors.pk))


def test_an_acl_may_name_an_external_group_before_it_exists(world, tenant):
    alice = factories.UserFactory(tenant=tenant)
    item = world.item("i1", ("grant", "externalGroup", "later"))
    assert not _sees(alice, item)
    world.group("later", alice)
    assert _sees(alice, item)  # the item wasn't touched


def test_cycles_among_external_groups_are_harmless(world, tenant):
    alice = factories.UserFactory(tenant=tenant)
    a, b = world.group("a", alice), world.group("b")
    world.add(b, "a")
    world.add(a, "b")
    item = world.item("i1", ("grant", "externalGroup", "b"))
    assert _sees(alice, item)


def test_guests_are_outside_everyone_except_guests(world, tenant):
    guest = factories.UserFactory(tenant=tenant, user_type="Guest")
    member = factories.UserFactory(tenant=tenant)
    item = world.item("i1", ("grant", "everyoneExceptGuests", "x"))
    assert _sees(member, item) and not _sees(guest, item)
    assert _sees(guest, world.item("i2", ("grant", "everyone", "x")))


def test_deleted_or_disabled_people_and_deleted_groups_reach_nothing(world, tenant):
    gone = factories.UserFactory(tenant=tenant, deleted_date_time=timezone.now())
    off = factories.UserFactory(tenant=tenant, account_enabled=False)
    inside = factories.UserFactory(tenant=tenant)
    group = factories.GroupFactory(tenant=tenant, members=[inside])
    item = world.item("i1", ("grant", "user", gone), ("grant", "user", off), ("grant", "group", group))
    assert not _sees(gone, item) and not _sees(off, item)
    assert _sees(inside, item)
    group.deleted_date_time = timezone.now()
    group.save()
    assert not _sees(inside, item)


def test_a_deleted_group_inside_an_external_group_stops_counting(world, tenant):
    inside = factories.UserFactory(tenant=tenant)
    group = factories.GroupFactory(tenant=tenant, members=[inside])
    world.group("team", group)
    item = world.item("i1", ("grant", "externalGroup", "team"))
    assert _sees(inside, item)
    group.deleted_date_time = timezone.now()
    group.save()
    assert not _sees(inside, item)


def test_another_connections_external_group_of_the_same_id_reaches_nobody(world, tenant, search_admin):
    alice = factories.UserFactory(tenant=tenant)
    other = services.connection_create(actor=search_admin, connection_id="other", name="Other")
    group = services.external_group_create(actor=search_admin, connection=other, group_id="team")
    world_other = type(world)(search_admin, other)
    world_other.add(group, alice)
    item = world.item("i1", ("grant", "externalGroup", "team"))
    assert not _sees(alice, item)


def test_search_matches_title_properties_and_content_and_trims(world, tenant):
    alice, bob = factories.UserFactory(tenant=tenant), factories.UserFactory(tenant=tenant)
    world.item("i1", ("grant", "user", alice), title="Payment gateway", content="<p>details</p>")
    world.item("i2", ("grant", "user", bob), title="Payment gateway for Bob")
    page = selectors.search_items(alice, [world.connection.pk], "payment")
    assert [h.item_id for h in page.hits] == ["i1"] and page.total == 1
    assert selectors.search_items(alice, [world.connection.pk], "nothing-like-it").total == 0


def test_the_user_page_lists_the_items_a_user_reaches(world, tenant):
    alice = factories.UserFactory(tenant=tenant)
    world.group("team", alice)
    world.item("i1", ("grant", "externalGroup", "team"))
    world.item("i2", ("grant", "everyone", "x"), ("deny", "user", alice))
    world.item("i3", ("grant", "user", factories.UserFactory(tenant=tenant)))
    assert [r.item.item_id for r in selectors.user_external_items(alice)] == ["i1"]
