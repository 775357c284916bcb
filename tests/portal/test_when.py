from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.templatetags.when import ago
from tests.factories import GroupFactory, JoinRequestFactory

pytestmark = pytest.mark.django_db


def test_it_says_just_now_rather_than_0_minutes_ago():
    assert ago(timezone.now()) == "just now"
    assert ago(timezone.now() - timedelta(minutes=3, seconds=5)) == "3\xa0minutes ago"


def test_the_approvals_list_says_just_now(client, tenant, member):
    group = GroupFactory(tenant=tenant, owners=[member], join_policy="approval")
    JoinRequestFactory(group=group)
    client.force_login(member)
    body = client.get(reverse("approvals")).content.decode()
    assert ">just now</time>" in body and "0\xa0minutes" not in body
