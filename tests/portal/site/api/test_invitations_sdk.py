"""The official Microsoft Graph Python SDK invites a guest: POST /invitations parses into its models."""

from __future__ import annotations

import pytest

from portal.models import User
from portal.services import SYSTEM
from portal.tokens import api_token_create
from tests import factories
from tests.portal.site.api.conftest import SDK_MISSING

try:
    from msgraph.generated.models.invitation import Invitation
    from msgraph.generated.models.invited_user_message_info import InvitedUserMessageInfo
except ImportError:  # pragma: no cover - the dev extra installs it
    pass

pytestmark = [
    pytest.mark.skipif(bool(SDK_MISSING), reason=SDK_MISSING or "-"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


def test_the_graph_sdk_invites_a_guest_and_reads_the_redeem_link(graph_sdk):
    tenant = factories.TenantFactory()
    inviter = factories.UserFactory(tenant=tenant, role="guestInviter")
    _, secret = api_token_create(tenant=tenant, actor=SYSTEM, user=inviter)
    client, _, http = graph_sdk.client(secret)

    async def scenario():
        async with http:
            return await client.invitations.post(
                Invitation(
                    invited_user_email_address="ada@fabrikam.example",
                    invited_user_display_name="Ada Lovelace",
                    invite_redirect_url="https://myapps.example/",
                    send_invitation_message=False,
                    invited_user_message_info=InvitedUserMessageInfo(customized_message_body="Hello"),
                )
            )

    invitation = graph_sdk.run(scenario())
    guest = User.objects.get(mail="ada@fabrikam.example")
    assert invitation.invited_user.id == str(guest.pk)
    assert invitation.status == "PendingAcceptance"
    assert "/invitations/redeem/" in invitation.invite_redeem_url
    assert invitation.invited_user_message_info.customized_message_body == "Hello"
    assert guest.invited_by == inviter and guest.external_user_state == "PendingAcceptance"
