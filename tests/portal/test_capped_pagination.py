"""/users/ and /audit/ count at most 10,000 rows (COUNT over a LIMIT): past that they say "more than"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal import pagination
from portal.audit import audit_record
from portal.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_count_stops_at_the_cap_and_says_so(client, tenant, admin_user, monkeypatch):
    for _ in range(6):
        audit_record(tenant=tenant, actor=admin_user, activity="Add user", target=UserFactory(tenant=tenant))
    client.force_login(admin_user)
    assert "7 users" in client.get(reverse("user_list")).content.decode()
    monkeypatch.setattr(pagination.CappedPaginator, "cap", 5)
    page = client.get(reverse("user_list")).content.decode()
    assert "more than 5 users" in page
    assert "more than 5 events" in client.get(reverse("audit_log")).content.decode()


def test_the_paginator_counts_a_limited_subquery():
    paginator = pagination.CappedPaginator(User.objects.order_by("display_name"), 2)
    paginator.cap = 3
    assert paginator.count == 0 and not paginator.capped and paginator.count_label == "0"
