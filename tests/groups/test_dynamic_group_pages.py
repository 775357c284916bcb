"""Dynamic groups: no "Who can join", no Requests tab; the why panel shows the viewer's own values."""

from __future__ import annotations

import pytest
from django.urls import reverse

from groups.services import group_create
from tests import factories

pytestmark = pytest.mark.django_db


def _dynamic(actor, rule, **extra):
    return group_create(
        actor=actor,
        display_name="Sales managers",
        mail_nickname="sales-managers",
        membership_type="dynamic",
        membership_rule=rule,
        **extra,
    )


def test_the_create_form_offers_who_can_join_for_assigned_groups_only(client, groups_admin):
    client.force_login(groups_admin)
    assigned = client.get(reverse("group_new"), {"kind": "security", "membership_type": "assigned"})
    assert "join_policy" in assigned.context["form"].fields
    dynamic = client.get(reverse("group_new"), {"kind": "security", "membership_type": "dynamic"})
    assert "join_policy" not in dynamic.context["form"].fields
    assert "Who can join" not in dynamic.content.decode()


def test_a_dynamic_group_has_no_requests_tab(client, tenant, admin_user):
    owner = factories.UserFactory(tenant=tenant)
    dynamic = _dynamic(admin_user, 'user.department -eq "Sales"')
    assigned = factories.GroupFactory(tenant=tenant, owners=[owner])
    dynamic.ownerships.create(user=owner)
    client.force_login(owner)
    requests_tab = ">Requests</a>"
    assert requests_tab in client.get(reverse("group_detail", args=[assigned.id])).content.decode()
    page = client.get(reverse("group_detail", args=[dynamic.id])).content.decode()
    assert requests_tab not in page and ">Dynamic rule</a>" in page


def test_the_why_panel_shows_the_viewers_own_value_beside_each_clause(client, tenant, admin_user):
    viewer = factories.UserFactory(tenant=tenant, department="HR", job_title=None)
    factories.UserFactory(tenant=tenant, department="Sales", job_title="Manager", display_name="Other")
    group = _dynamic(admin_user, '(user.department -eq "Sales") -and (user.jobTitle -eq "Manager")')
    client.force_login(viewer)
    html = client.get(reverse("group_detail", args=[group.id])).content.decode()
    assert "Why am I not in this group?" in html
    assert "your user.department: <strong>“HR”</strong>" in html
    assert "your user.jobTitle: <strong>empty</strong>" in html
    assert "Sales</strong>" not in html  # nobody else's values
