"""The official Microsoft Graph Python SDK assigns a licence to a group and reads the members'
licenseAssignmentStates, subscribedSkus and licenseDetails."""

from __future__ import annotations

import uuid

import pytest

from groups.licensing.services import PlanSpec, subscribed_sku_add
from groups.services import membership_add
from portal.services import SYSTEM
from portal.tokens import api_token_create
from tests import factories
from tests.portal.site.api.conftest import SDK_MISSING

try:
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.groups.item.assign_license.assign_license_post_request_body import (
        AssignLicensePostRequestBody,
    )
    from msgraph.generated.models.assigned_license import AssignedLicense
    from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder
except ImportError:  # pragma: no cover - the dev extra installs it
    pass

pytestmark = [
    pytest.mark.skipif(bool(SDK_MISSING), reason=SDK_MISSING or "-"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

SKU_ID = uuid.UUID("6fd2c87f-b296-42f0-b197-1e91e994b900")
TEAMS = uuid.UUID("57ff2da0-773e-42df-b2af-ffb7a2317929")


def test_the_graph_sdk_assigns_a_license_to_a_group_and_reads_the_states(graph_sdk):
    tenant = factories.TenantFactory()
    admin = factories.UserFactory(tenant=tenant, role="globalAdministrator")
    ann, bob = factories.UserFactory(tenant=tenant), factories.UserFactory(tenant=tenant)
    subscribed_sku_add(
        actor=admin,
        sku_part_number="ENTERPRISEPACK",
        prepaid_units=1,
        sku_id=SKU_ID,
        service_plans=[PlanSpec(TEAMS, "TEAMS1", "TeamspaceAPI")],
    )
    group = factories.GroupFactory(tenant=tenant)
    for user in (ann, bob):
        membership_add(actor=admin, group=group, member=user)
    _, secret = api_token_create(tenant=tenant, actor=SYSTEM, user=admin)
    client, _, http = graph_sdk.client(secret)

    def states_of(user_id: str):
        config = RequestConfiguration(
            query_parameters=UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(
                select=["id", "assignedLicenses", "licenseAssignmentStates"]
            )
        )
        return client.users.by_user_id(user_id).get(request_configuration=config)

    async def steps():
        async with http:
            skus = await client.subscribed_skus.get()
            assert [(s.sku_id, s.prepaid_units.enabled) for s in skus.value] == [(SKU_ID, 1)]
            await client.groups.by_group_id(str(group.pk)).assign_license.post(
                AssignLicensePostRequestBody(
                    add_licenses=[AssignedLicense(sku_id=SKU_ID, disabled_plans=[])], remove_licenses=[]
                )
            )
            first, second = await states_of(str(ann.pk)), await states_of(str(bob.pk))
            details = await client.users.by_user_id(str(ann.pk)).license_details.get()
            return first, second, details

    first, second, details = graph_sdk.run(steps())
    [state] = first.license_assignment_states
    assert (state.sku_id, state.assigned_by_group, state.state, state.error) == (
        SKU_ID,
        str(group.pk),
        "Active",
        "None",
    )
    assert [lic.sku_id for lic in first.assigned_licenses] == [SKU_ID]
    [waiting] = second.license_assignment_states
    assert (waiting.state, waiting.error) == ("Error", "CountViolation")
    assert [d.sku_part_number for d in details.value] == ["ENTERPRISEPACK"]
