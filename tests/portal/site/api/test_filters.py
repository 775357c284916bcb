from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groups.models import Group, GroupKind, MembershipType
from portal.models import Source, Tenant, User
from portal.site.api.errors import ApiError
from portal.site.api.odata import compile_filter
from tests import factories
from tests.portal.site.api.conftest import error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tenant):
    return {
        "ann": factories.UserFactory(
            tenant=tenant, display_name="Ann Lee", department="Sales", job_title=None
        ),
        "bob": factories.UserFactory(
            tenant=tenant, display_name="Bob O'Neil", department="Legal", user_type="Guest"
        ),
        "cy": factories.UserFactory(
            tenant=tenant, display_name="Cy Twombly", department=None, account_enabled=False
        ),
        "dee": factories.UserFactory(
            tenant=tenant,
            display_name="Dee",
            department="sales",
            source=Source.SYNCED,
            extension_attribute_1="X1",
        ),
    }


def users(tenant, text):
    return {
        u.display_name.split()[0]
        for u in User.objects.for_tenant(tenant).filter(compile_filter(text, "user", tenant))
    }


@pytest.mark.parametrize(
    "text, expected",
    [
        ("department eq 'Sales'", {"Ann", "Dee"}),
        ("department ne 'sales'", {"Bob", "Cy"}),
        ("department eq null", {"Cy"}),
        ("department ne null", {"Ann", "Bob", "Dee"}),
        ("startswith(displayName,'b')", {"Bob"}),
        ("displayName eq 'Bob O''Neil'", {"Bob"}),
        ("department in ('legal', 'nothing')", {"Bob"}),
        ("accountEnabled eq false", {"Cy"}),
        ("userType eq 'guest'", {"Bob"}),
        ("department eq 'Sales' and not (displayName eq 'Dee')", {"Ann"}),
        ("department eq 'Legal' or accountEnabled eq false", {"Bob", "Cy"}),
        ("not accountEnabled eq true", {"Cy"}),
        ("onPremisesSyncEnabled eq true", {"Dee"}),
        ("onPremisesExtensionAttributes/extensionAttribute1 eq 'x1'", {"Dee"}),
        ("DEPARTMENT EQ 'Sales'".replace("DEPARTMENT", "department"), {"Ann", "Dee"}),
        ("createdDateTime ge 2000-01-01T00:00:00Z", {"Ann", "Bob", "Cy", "Dee"}),
        ("createdDateTime lt 2000-01-01T00:00:00Z", set()),
    ],
)
def test_it_filters_users(tenant, people, text, expected):
    assert users(tenant, text) == expected


def test_it_filters_user_collections(tenant, people):
    people["ann"].multi_values.create(attribute="proxyAddresses", value="SMTP:ann@contoso.test")
    people["bob"].multi_values.create(attribute="otherMails", value="bob@home.test")
    assert users(tenant, "proxyAddresses/any(p:startswith(p,'smtp:ann'))") == {"Ann"}
    assert users(tenant, "otherMails/any(m:m eq 'BOB@home.test')") == {"Bob"}
    assert users(tenant, "otherMails/any(m:m in ('x@y.test', 'bob@home.test'))") == {"Bob"}


@pytest.fixture
def kinds(tenant):
    make = factories.GroupFactory
    return {
        "sec": make(tenant=tenant, display_name="sec", kind=GroupKind.SECURITY),
        "m365": make(tenant=tenant, display_name="m365", kind=GroupKind.MICROSOFT_365, mail_nickname="team"),
        "mes": make(tenant=tenant, display_name="mes", kind=GroupKind.MAIL_ENABLED_SECURITY),
        "dist": make(tenant=tenant, display_name="dist", kind=GroupKind.DISTRIBUTION),
        "dyn": make(
            tenant=tenant,
            display_name="dyn",
            kind=GroupKind.MICROSOFT_365,
            membership_type=MembershipType.DYNAMIC,
            membership_rule='user.city -eq "x"',
        ),
        "role": make(tenant=tenant, display_name="role", is_assignable_to_role=True, description="Admins"),
    }


def groups(tenant, text):
    return {
        g.display_name for g in Group.objects.for_tenant(tenant).filter(compile_filter(text, "group", tenant))
    }


@pytest.mark.parametrize(
    "text, expected",
    [
        ("groupTypes/any(c:c eq 'Unified')", {"m365", "dyn"}),
        ("groupTypes/any(c:c eq 'DynamicMembership')", {"dyn"}),
        ("not groupTypes/any(c:c eq 'Unified')", {"sec", "mes", "dist", "role"}),
        ("securityEnabled eq true", {"sec", "mes", "role"}),
        ("mailEnabled eq true and securityEnabled eq false", {"m365", "dist", "dyn"}),
        ("mailEnabled eq false", {"sec", "role"}),
        ("isAssignableToRole eq true", {"role"}),
        ("description eq null", {"sec", "m365", "mes", "dist", "dyn"}),
        ("description eq 'admins'", {"role"}),
        ("startswith(displayName,'m')", {"m365", "mes"}),
        ("displayName in ('sec','dist')", {"sec", "dist"}),
        ("mailNickname eq 'TEAM'", {"m365"}),
        ("membershipRuleProcessingState eq 'On' and groupTypes/any(c:c eq 'DynamicMembership')", {"dyn"}),
    ],
)
def test_it_filters_groups(tenant, kinds, text, expected):
    assert groups(tenant, text) == expected


def test_it_filters_on_mail_in_the_tenants_domain(tenant, kinds):
    assert groups(tenant, f"mail eq 'team@{tenant.default_domain}'") == {"m365"}
    assert groups(tenant, "mail eq 'team@elsewhere.test'") == set()


@pytest.mark.parametrize(
    "text, words",
    [
        ("contains(displayName,'a')", "contains"),
        ("endswith(mail,'@x.test')", "ConsistencyLevel"),
        ("department has 'x'", "has"),
        ("shoeSize eq 42", "shoeSize"),
        ("department gt 'a'", "date-times"),
        ("createdDateTime ge 2024-13-01T00:00:00Z", "isn't a date-time"),  # no month 13: not a 500
        ("startswith(accountEnabled,'t')", "string"),
        ("accountEnabled eq 'yes'", "true or false"),
        ("department eq 5", "string"),
        ("id eq 'not-a-guid'", "GUID"),
        ("department eq 'x' and", "ends too early"),
        ("(department eq 'x'", "')'"),
        ("department eq 'x')", "unexpected"),
        ("department eq 'x' % 3", "unexpected character"),
        ("otherMails/all(m:m eq 'x')", "any"),
        ("manager/any(m:m eq 'x')", "manager"),
        ("", "empty"),
        ("department eq 'x", "unexpected character"),
    ],
)
def test_it_refuses_what_it_does_not_support_by_name(tenant, text, words):
    with pytest.raises(ApiError) as caught:
        compile_filter(text, "user", tenant)
    assert caught.value.status == 400
    assert words in caught.value.message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.text(max_size=80),
        st.lists(
            st.sampled_from(
                [
                    "displayName",
                    "eq",
                    "ne",
                    "in",
                    "and",
                    "or",
                    "not",
                    "(",
                    ")",
                    ",",
                    "'a'",
                    "'it''s'",
                    "true",
                    "null",
                    "startswith",
                    "groupTypes/any",
                    "c",
                    ":",
                    "42",
                    "2024-01-01T00:00:00Z",
                    "2024-02-30T00:00:00Z",
                    "createdDateTime",
                    "ge",
                    "department",
                ]
            ),
            max_size=12,
        ).map(" ".join),
    )
)
def test_it_never_fails_with_anything_but_a_400(text):
    tenant = Tenant(slug="fuzz", verified_domains=["fuzz.test"])
    for resource in ("user", "group"):
        try:
            compile_filter(text, resource, tenant)
        except ApiError as exc:
            assert exc.status == 400


def test_the_api_answers_a_bad_filter_with_a_graph_error(member, api_as):
    response = api_as(member).get("/v1.0/groups", **{"$filter": "contains(displayName,'x')"})
    assert error_of(response) == (400, "Request_UnsupportedQuery")
    assert "contains" in response.json()["error"]["message"]


def test_a_member_list_filters_on_what_each_type_has(tenant, member, api_as):
    group = factories.GroupFactory(tenant=tenant)
    legal = factories.UserFactory(tenant=tenant, department="Legal")
    group.memberships.create(member_user=legal)
    group.memberships.create(member_user=member)
    group.memberships.create(member_group=factories.GroupFactory(tenant=tenant))
    api = api_as(member)
    body = api.get(f"/v1.0/groups/{group.pk}/members", **{"$filter": "department eq 'Legal'"}).json()
    assert [o["id"] for o in body["value"]] == [str(legal.pk)]
    assert error_of(api.get(f"/v1.0/groups/{group.pk}/members", **{"$filter": "shoeSize eq 1"}))[0] == 400
