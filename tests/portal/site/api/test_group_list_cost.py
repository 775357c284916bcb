"""What a page of /v1.0/groups costs: a fixed number of queries however many groups it shows, and the
tenant (whose domain every group's mail takes) read once with the token, not once per group."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from groups.models import GroupKind, MembershipType, Source, Visibility
from portal.site.api.serializers import iso, security_identifier
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db

# the token (with its tenant and settings, and its user), the page: a member user browses every group
# (groups.authz ``_may_browse``), so the caller's grants, ownerships and memberships aren't loaded
USER_TOKEN_QUERIES = 2
# the token, the role-assignable groups' grants, the page (an app's tenant-wide role is decided once per
# kind of group, not group by group: groups.selectors._app_read_scope)
APP_TOKEN_QUERIES = 3


@pytest.mark.parametrize("size", [1, 30])
def test_a_page_of_groups_costs_the_same_queries_whatever_its_size(
    tenant, admin_user, api_as, django_assert_num_queries, size
):
    for _ in range(size):
        GroupFactory(tenant=tenant, kind=GroupKind.MICROSOFT_365)
    as_user = api_as(admin_user)
    as_app = api_as(app="Reader", role="groupsAdministrator", tenant=tenant)
    for api in (as_user, as_app):
        api.get("/v1.0/groups?$top=1")  # a token's first call notes when it was used (one write)
    with django_assert_num_queries(USER_TOKEN_QUERIES):
        by_user = as_user.get("/v1.0/groups?$top=100").json()["value"]
    with django_assert_num_queries(APP_TOKEN_QUERIES):
        by_app = as_app.get("/v1.0/groups?$top=100").json()["value"]
    assert len(by_user) == len(by_app) == size
    domain = tenant.default_domain
    assert {g["mail"] for g in by_user} == {f"{g['mailNickname']}@{domain}" for g in by_user}
    assert by_app == by_user


def _every_kind_of_group(tenant) -> None:
    """A group of each kind and membership type the constraints allow, with the columns that change
    its JSON: blank or set description, classification and rule, dates, source, team, visibility."""
    n = 0
    for kind in GroupKind.values:
        for membership in MembershipType.values:
            if membership == MembershipType.DYNAMIC and kind == GroupKind.DISTRIBUTION:
                continue
            for variant in (0, 1):
                n += 1
                dynamic = membership == MembershipType.DYNAMIC
                GroupFactory(
                    tenant=tenant,
                    kind=kind,
                    membership_type=membership,
                    membership_rule='user.department -eq "Sales"' if dynamic else "",
                    description=f"about {n}" if variant else "",
                    classification="Confidential" if variant else "",
                    visibility=Visibility.PRIVATE if variant else Visibility.PUBLIC,
                    source=Source.SYNCED if variant else Source.CLOUD,
                    has_team=bool(variant) and kind == GroupKind.MICROSOFT_365,
                    is_assignable_to_role=bool(variant) and not dynamic,
                    expiration_date_time=datetime(2031, 1, 2, 3, 4, 5, 678, tzinfo=UTC) if variant else None,
                    renewed_date_time=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC) if variant else None,
                )


def test_it_writes_a_page_read_as_rows_as_the_model_instances_would(tenant, admin_user, api_as):
    """The plain page is read as rows (group_rows_json); asking for an expansion takes the instances'
    path (group_json): every group reads the same both ways, key for key and in the same order."""
    _every_kind_of_group(tenant)
    api = api_as(admin_user)
    rows = api.get("/v1.0/groups?$top=100").json()["value"]
    instances = api.get("/v1.0/groups?$top=100&$expand=owners").json()["value"]
    assert len(rows) == len(instances) >= 14
    for row, instance in zip(rows, instances, strict=True):
        instance.pop("owners")
        assert list(row.items()) == list(instance.items())
    by_nickname = {g["mailNickname"]: g for g in rows}
    assert any(g["description"] is None for g in rows) and any(g["description"] for g in rows)
    assert {g["mail"] is None for g in rows} == {True, False}
    assert any(g["resourceProvisioningOptions"] == ["Team"] for g in by_nickname.values())
    assert any(g["expirationDateTime"] == "2031-01-02T03:04:05Z" for g in rows)


def test_it_selects_from_a_page_read_as_rows_and_computes_the_costly_properties_per_group(
    tenant, admin_user, api_as
):
    GroupFactory(tenant=tenant, kind=GroupKind.MICROSOFT_365, description="")
    api = api_as(admin_user)
    plain = api.get("/v1.0/groups?$select=displayName,description,mail,id").json()
    assert plain["@odata.context"].endswith("$metadata#groups(displayName,description,mail,id)")
    assert [set(g) for g in plain["value"]] == [{"displayName", "description", "mail", "id"}]
    assert plain["value"][0]["description"] is None
    costly = api.get("/v1.0/groups?$select=displayName,assignedLicenses").json()["value"]
    assert costly == [{"displayName": plain["value"][0]["displayName"], "assignedLicenses": []}]


def test_a_guest_token_still_lists_only_what_the_guest_may_browse(tenant, api_as):
    guest = UserFactory(tenant=tenant, user_type="Guest")
    GroupFactory(tenant=tenant, display_name="theirs", members=[guest])
    GroupFactory(tenant=tenant, display_name="not theirs")
    tenant.group_settings.allow_guests_to_access_groups = False
    tenant.group_settings.save()
    names = {g["displayName"] for g in api_as(guest).get("/v1.0/groups").json()["value"]}
    assert names == {"theirs"}


def test_iso_writes_utc_to_the_second_with_a_z():
    plus_two = timezone(timedelta(hours=2))
    assert iso(datetime(2026, 3, 4, 7, 6, 5, 999_999, tzinfo=plus_two)) == "2026-03-04T05:06:05Z"
    assert iso(datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC)) == datetime(999, 1, 2, 3, 4, 5).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert iso(None) is None


def test_security_identifier_reads_the_id_as_four_little_endian_integers():
    object_id = uuid.UUID("00000001-0002-0003-0400-000005000000")
    assert security_identifier(object_id) == "S-1-12-1-1-196610-4-5"
