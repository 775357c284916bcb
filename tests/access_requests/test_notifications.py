from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core import mail

from access_requests import services
from access_requests.models import JoinRequest
from access_requests.notifications import notify_owners
from groups.models import JoinPolicy
from portal.site.periodic import run_all
from tests.factories import GroupFactory, JoinRequestFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_it_sends_each_owner_one_message_listing_every_new_request(tenant):
    owner, co_owner, other_owner = (UserFactory(tenant=tenant) for _ in range(3))
    finance = GroupFactory(tenant=tenant, display_name="Finance", owners=[owner, co_owner])
    legal = GroupFactory(tenant=tenant, display_name="Legal", owners=[owner])
    hr = GroupFactory(tenant=tenant, display_name="HR", owners=[other_owner])
    for group in (finance, finance, legal, hr):
        JoinRequestFactory(group=group, justification=f"for {group.display_name}")
    assert notify_owners(now=NOW) == 3
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {owner.mail, co_owner.mail, other_owner.mail}
    assert by_recipient[owner.mail].subject == "3 new requests to join your groups"
    assert by_recipient[owner.mail].body.count("→") == 3
    assert by_recipient[co_owner.mail].subject == "2 new requests to join Finance"
    assert (
        "for HR" in by_recipient[other_owner.mail].body
        and "Finance" not in by_recipient[other_owner.mail].body
    )
    assert "/my/approvals/" in by_recipient[owner.mail].body


def test_it_never_announces_a_request_twice(tenant):
    group = GroupFactory(tenant=tenant, owners=[UserFactory(tenant=tenant)])
    JoinRequestFactory(group=group)
    assert notify_owners(now=NOW) == 1
    assert notify_owners(now=NOW) == 0
    assert run_all(now=NOW, only=["notify_owners"]) == {"notify_owners": 0}
    assert len(mail.outbox) == 1
    assert JoinRequest.objects.get().owners_notified_date_time == NOW


def test_it_skips_disabled_owners_and_decided_requests(tenant):
    active, disabled = UserFactory(tenant=tenant), UserFactory(tenant=tenant, account_enabled=False)
    group = GroupFactory(tenant=tenant, owners=[active, disabled])
    JoinRequestFactory(group=group, status="cancelled", decided_date_time=NOW)
    JoinRequestFactory(group=group)
    assert notify_owners(now=NOW) == 1
    assert mail.outbox[0].to == [active.mail] and mail.outbox[0].body.count("→") == 1


def test_it_mails_owners_when_a_request_commits(tenant, member, django_capture_on_commit_callbacks):
    owner = UserFactory(tenant=tenant)
    group = GroupFactory(tenant=tenant, join_policy=JoinPolicy.OWNER_APPROVAL, owners=[owner])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.join_request_create(actor=member, group=group)
    assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [[owner.mail]]
