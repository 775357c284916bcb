"""/users/ and /audit/ count at most 10,000 rows (COUNT over a LIMIT): past that they say "more than"."""

from __future__ import annotations

import importlib

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


def test_past_the_cap_it_pages_on_to_the_last_row(tenant):
    for n in range(11):
        UserFactory(tenant=tenant, display_name=f"Person {n:02}")
    people = User.objects.filter(tenant=tenant).order_by("display_name")
    names = [p.display_name for p in people]
    assert len(names) == 11

    def page(number):
        return pagination.CappedPaginator(people, 2, cap=5).get_page(number)

    first = page(1)
    assert first.paginator.capped and first.paginator.pages_label == "more than 2"
    assert first.paginator.count_label == "more than 5"
    assert [p.display_name for p in first] == names[:2] and first.has_next() and not first.has_previous()
    # Past the pages the capped count knows of: the rows go on, a page at a time, up to the last one.
    fifth = page(5)
    assert [p.display_name for p in fifth] == names[8:10] and fifth.has_next()
    assert fifth.start_index() == 9 and fifth.end_index() == 10 and fifth.next_page_number() == 6
    last = page(6)
    assert [p.display_name for p in last] == names[10:] and not last.has_next() and last.end_index() == 11
    # A page past the last row is answered with the last page, counted to the end this once.
    beyond = page(40)
    assert beyond.number == 6 and [p.display_name for p in beyond] == names[10:]
    assert not beyond.paginator.capped and beyond.paginator.count_label == "11"
    assert page("x").number == 1 and page(0).number == 3  # not a number: the first; below 1: the last counted


def test_the_users_list_pages_past_its_cap(client, tenant, admin_user, monkeypatch):
    for n in range(8):
        UserFactory(tenant=tenant, display_name=f"Zed {n}")
    monkeypatch.setattr(pagination.CappedPaginator, "cap", 3)
    monkeypatch.setattr(importlib.import_module("portal.views.users"), "PAGE_SIZE", 2)
    client.force_login(admin_user)
    body = client.get(reverse("user_list"), {"page": 4}).content.decode()
    assert "more than 3 users" in body and "Page 4 of more than 1" in body
    assert "page=5" in body and "page=3" in body  # Next and Previous both
