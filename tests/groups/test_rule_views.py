"""The rule tab: who sees what, live validation, builder, save, status, pause, held changes, checks."""

from __future__ import annotations

import pytest
from django.urls import reverse

from groups import dynamic
from groups.models import Group, Membership, RuleChangeHold
from groups.services import group_create
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(tenant, admin_user):
    for i in range(3):
        factories.UserFactory(tenant=tenant, department="Sales", user_principal_name=f"s{i}@x.test")
    factories.UserFactory(tenant=tenant, department="HR", user_principal_name="hr@x.test")
    return group_create(
        actor=admin_user,
        display_name="Sales people",
        mail_nickname="sales-people",
        membership_type="dynamic",
        membership_rule='user.department -eq "Sales"',
    )


def _url(name, group, **kw):
    return reverse(name, args=[group.id, *kw.values()])


def test_it_shows_the_editor_to_administrators(client, admin_user, sales):
    client.force_login(admin_user)
    response = client.get(_url("group_rule", sales))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="rule"' in html and "Write rule" in html and "Pause processing" in html
    assert "Succeeded" in html and "Valid rule. 4 users match." in html  # admin_user is in Sales


def test_it_shows_members_the_rule_and_why(client, tenant, sales):
    hr = factories.UserFactory(tenant=tenant, department="HR")
    client.force_login(hr)
    html = client.get(_url("group_rule", sales)).content.decode()
    assert 'name="rule"' not in html and "Why am I not in this group?" in html
    assert "user.department -eq &quot;Sales&quot;" in html
    overview = client.get(reverse("group_detail", args=[sales.id])).content.decode()
    assert "Why am I not in this group?" in overview


def test_it_hides_the_group_from_other_tenants_and_refuses_members_edits(client, tenant, other_tenant, sales):
    client.force_login(factories.UserFactory(tenant=other_tenant))
    assert client.get(_url("group_rule", sales)).status_code == 404
    client.force_login(factories.UserFactory(tenant=tenant))
    assert client.post(_url("group_rule", sales), {"rule": "user.objectId -ne null"}).status_code == 403
    assert client.post(_url("group_rule_validate", sales), {"rule": "x"}).status_code == 403


def test_it_validates_live_with_position_and_preview(client, admin_user, sales):
    client.force_login(admin_user)
    url = _url("group_rule_validate", sales)
    bad = client.post(
        url, {"rule": 'user.department -eq "Sales" -and user.bogus -eq "x"'}, HTTP_HX_REQUEST="true"
    )
    html = bad.content.decode()
    assert "Unknown property user.bogus" in html and "position 34" in html and "<mark>u</mark>" in html
    good = client.post(url, {"rule": 'user.department -in ["Sales", "HR"]'}, HTTP_HX_REQUEST="true")
    html = good.content.decode()
    assert "5 users match" in html and "hr@x.test" in html
    assert (
        'Would join <span class="count">1</span>' in html
        and 'Would leave <span class="count">0</span>' in html
    )


def test_it_saves_a_rule_and_recomputes(client, admin_user, sales):
    client.force_login(admin_user)
    response = client.post(_url("group_rule", sales), {"rule": 'user.department -in ["Sales", "HR"]'})
    assert response.status_code == 302
    assert Membership.objects.filter(group=sales).count() == 5
    bad = client.post(_url("group_rule", sales), {"rule": "user.department -eq"})
    assert bad.status_code == 400 and "position" in bad.content.decode()


def test_it_writes_rule_text_from_the_builder(client, admin_user, sales):
    client.force_login(admin_user)
    data = {"join": "or", "property_0": "department", "operator_0": "eq", "value_0": 'Sa"les',
            "property_1": "country", "operator_1": "in", "value_1": "US, DE"}  # fmt: skip
    html = client.post(_url("group_rule_build", sales), data, HTTP_HX_REQUEST="true").content.decode()
    assert (
        "user.department -eq &quot;Sa`&quot;les&quot; -or user.country -in [&quot;US&quot;, &quot;DE&quot;]"
        in html
    )


def test_it_polls_status_and_pauses(client, admin_user, sales):
    client.force_login(admin_user)
    Group.objects.filter(pk=sales.pk).update(processing_status="Running", processing_progress=40)
    html = client.get(_url("group_rule_status", sales), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in html and 'value="40"' in html
    client.post(_url("group_rule_processing", sales), {"state": "Paused"})
    sales.refresh_from_db()
    assert sales.membership_rule_processing_state == "Paused"


def test_it_confirms_a_held_change_by_a_second_administrator(client, tenant, admin_user, sales):
    hold = dynamic.group_rule_update(actor=admin_user, group=sales, rule='user.department -eq "HR"')
    client.force_login(admin_user)
    html = client.get(_url("group_rule", sales)).content.decode()
    assert "Rule change held by the failsafe" in html and "s0@x.test" in html
    client.post(reverse("group_rule_hold", args=[sales.id, hold.id]), {"decision": "confirm"})
    assert RuleChangeHold.objects.get(pk=hold.pk).is_pending
    client.force_login(factories.UserFactory(tenant=tenant, role="groupsAdministrator"))
    client.post(reverse("group_rule_hold", args=[sales.id, hold.id]), {"decision": "confirm"})
    assert list(
        Membership.objects.filter(group=sales).values_list("member_user__user_principal_name", flat=True)
    ) == ["hr@x.test"]


def test_it_explains_each_clause_for_picked_users(client, admin_user, sales):
    client.force_login(admin_user)
    html = client.get(
        _url("group_rule", sales), {"check": "s1@x.test\nhr@x.test\nnobody@x.test"}
    ).content.decode()
    assert html.count("Not a member") == 1 and html.count('<span class="tag tag-ok">Member</span>') == 1
    assert "No user or device named “nobody@x.test”" in html


def test_it_keeps_a_constant_number_of_queries(
    client, tenant, admin_user, sales, django_assert_max_num_queries
):
    client.force_login(admin_user)
    client.get(_url("group_rule", sales))
    with django_assert_max_num_queries(40) as small:
        client.get(_url("group_rule", sales))
    factories.UserFactory.create_batch(30, tenant=tenant, department="Sales")
    dynamic.recompute_group(sales.pk)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(_url("group_rule", sales))


def test_it_has_no_rule_tab_for_assigned_groups(client, tenant, admin_user):
    client.force_login(admin_user)
    group = factories.GroupFactory(tenant=tenant)
    assert client.get(reverse("group_rule", args=[group.id])).status_code == 404
