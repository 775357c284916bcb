from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from portal.templatetags.when import ago, time_ago
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


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 1, 5, 0, 7, tzinfo=UTC),
        datetime(2025, 12, 31, 23, 59, 59, 123456, tzinfo=UTC),
        timezone.now() - timedelta(days=2, hours=3),
        timezone.now(),
    ],
)
@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/St_Johns"])
def test_time_ago_renders_what_the_three_filters_rendered(moment, zone):
    three = Template(
        "{% load when %}<time datetime=\"{{ m|date:'c' }}\" title=\"{{ m|date:'j M Y, H:i' }}\">{{ m|ago }}</time>"
    )
    one = Template("{% load when %}{{ m|time_ago }}")
    with timezone.override(zone):
        assert one.render(Context({"m": moment})) == three.render(Context({"m": moment}))
    assert time_ago(None) == ""
