"""Escalation attempts: each refused, and each refused attempt left in the audit log.

The refusal rolls back the service's transaction; the audit record survives it (portal.refusals
writes it once the refused transaction has ended). Tests call the real services (and pages), and
authorize() itself only to show what an actor could do before the change under test.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from access_requests.services import group_join, join_request_approve, join_request_create
from groups.dynamic import group_rule_update
from groups.models import GroupKind, Membership, MembershipType, Ownership
from groups.services import (
    group_create,
    group_soft_delete,
    group_update,
    membership_add,
    membership_remove,
    ownership_add,
    ownership_remove,
)
from portal import roles
from portal.authz import authorize
from portal.models import AuditEvent, Plan, User
from portal.services import custom_role_create, role_assignment_create, role_assignment_delete
from tests import factories

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    """The actor as the next request loads it: nothing cached."""
    return User.objects.select_related("tenant", "tenant__group_settings").get(pk=user.pk)


def refused(actor: User, action: str, call) -> AuditEvent:
    """Run ``call``, expect a refusal, and return the audit record of the refused attempt."""
    before = AuditEvent.objects.filter(result="failure").count()
    with pytest.raises(PermissionDenied):
        call()
    events = AuditEvent.objects.filter(result="failure", actor_id=str(actor.pk))
    assert events.count() == before + 1, "the refused attempt must be audited exactly once"
    event = events.first()
    assert event.after["action"] == action
    assert event.tenant_id == actor.tenant_id
    assert event.reason
    return event


def privileged_group(tenant, role="globalAdministrator", **kwargs):
    group = factories.GroupFactory(tenant=tenant, is_assignable_to_role=True, **kwargs)
    factories.assign_role(group, role)
    return group


def test_it_refuses_a_user_joining_a_role_assignable_group(member, tenant):
    group = factories.GroupFactory(tenant=tenant, is_assignable_to_role=True, join_policy="open")
    event = refused(member, "join", lambda: group_join(actor=member, group=group))
    assert "Role-assignable" in event.reason


def test_it_refuses_a_user_requesting_a_role_assignable_group(member, tenant):
    group = factories.GroupFactory(tenant=tenant, is_assignable_to_role=True, join_policy="approval")
    refused(member, "request", lambda: join_request_create(actor=member, group=group, justification="x"))


def test_it_refuses_an_owner_nesting_an_ordinary_group_into_a_privileged_group(member, tenant):
    ordinary = factories.GroupFactory(tenant=tenant, owners=[member])
    target = privileged_group(tenant)
    refused(member, "members/update", lambda: membership_add(actor=member, group=target, member=ordinary))
    assert not Membership.objects.filter(group=target).exists()


def test_it_refuses_a_groups_administrator_adding_themselves_to_a_role_assignable_group(groups_admin, tenant):
    target = factories.GroupFactory(tenant=tenant, is_assignable_to_role=True)
    refused(
        groups_admin,
        "members/update",
        lambda: membership_add(actor=groups_admin, group=target, member=groups_admin),
    )
    assert not Membership.objects.filter(group=target).exists()


def test_it_refuses_a_security_members_custom_role_on_a_microsoft_365_group(member, tenant):
    role = factories.CustomRoleFactory(
        tenant=tenant, permissions=[f"{roles.PREFIX}groups.security/members/update"]
    )
    factories.assign_role(member, role)
    m365 = factories.GroupFactory(tenant=tenant, kind=GroupKind.MICROSOFT_365)
    outsider = factories.UserFactory(tenant=tenant)
    refused(member, "members/update", lambda: membership_add(actor=member, group=m365, member=outsider))


def test_it_refuses_a_security_members_custom_role_on_a_role_assignable_group(member, tenant):
    role = factories.CustomRoleFactory(
        tenant=tenant, permissions=[f"{roles.PREFIX}groups.security/members/update"]
    )
    factories.assign_role(member, role)
    target = factories.GroupFactory(tenant=tenant, is_assignable_to_role=True)
    refused(member, "members/update", lambda: membership_add(actor=member, group=target, member=member))


def test_it_refuses_a_guest_owner_adding_guests_when_guests_may_not_be_added(tenant):
    tenant.group_settings.allow_guests_to_be_group_owner = True
    tenant.group_settings.allow_to_add_guests = False
    tenant.group_settings.save()
    guest_owner = factories.UserFactory(tenant=tenant, user_type="Guest")
    group = factories.GroupFactory(tenant=tenant, owners=[guest_owner])
    another_guest = factories.UserFactory(tenant=tenant, user_type="Guest")
    event = refused(
        guest_owner,
        "members/update",
        lambda: membership_add(actor=fresh(guest_owner), group=group, member=another_guest),
    )
    assert event.after["member"] == another_guest.user_principal_name


def test_it_refuses_a_guest_owner_when_guests_may_not_be_owners(tenant):
    guest_owner = factories.UserFactory(tenant=tenant, user_type="Guest")
    group = factories.GroupFactory(tenant=tenant, owners=[guest_owner])
    colleague = factories.UserFactory(tenant=tenant)
    assert tenant.group_settings.allow_guests_to_be_group_owner is False
    refused(
        guest_owner,
        "members/update",
        lambda: membership_add(actor=guest_owner, group=group, member=colleague),
    )


def test_it_refuses_an_owner_changing_their_group_when_users_may_not_create_security_groups(member, tenant):
    tenant.group_settings.users_can_create_security_groups = False
    tenant.group_settings.save()
    group = factories.GroupFactory(tenant=tenant, owners=[member])
    refused(member, "basic/update", lambda: group_update(actor=member, group=group, description="Mine"))
    refused(member, "delete", lambda: group_soft_delete(actor=member, group=group))
    group.refresh_from_db()
    assert not group.is_deleted
    # Seed 002: they still manage the membership.
    membership_add(actor=member, group=group, member=factories.UserFactory(tenant=tenant))


def test_it_refuses_a_group_scoped_role_on_another_group(member, tenant):
    scope = factories.GroupFactory(tenant=tenant)
    other = factories.GroupFactory(tenant=tenant)
    role = factories.CustomRoleFactory(tenant=tenant, permissions=[f"{roles.PREFIX}groups/members/update"])
    factories.assign_role(member, role, scope_group=scope)
    colleague = factories.UserFactory(tenant=tenant)
    membership_add(actor=member, group=scope, member=colleague)
    refused(member, "members/update", lambda: membership_add(actor=member, group=other, member=colleague))


def test_it_refuses_a_rule_that_would_pull_its_author_into_a_privileged_group(member, tenant):
    # A rule is only ever set on a group its author may change; a role-assignable group is never
    # dynamic, and changing the rule of any group that confers roles needs those roles.
    role = factories.CustomRoleFactory(
        tenant=tenant, permissions=[f"{roles.PREFIX}groups/dynamicMembershipRule/update"]
    )
    factories.assign_role(member, role)
    target = privileged_group(tenant)
    refused(
        member,
        "dynamicMembershipRule/update",
        lambda: group_rule_update(
            actor=member, group=target, rule=f'user.userPrincipalName -eq "{member.user_principal_name}"'
        ),
    )


def test_it_refuses_decisions_by_a_removed_owner(admin_user, member, tenant):
    group = factories.GroupFactory(tenant=tenant, owners=[member, admin_user])
    colleague = factories.UserFactory(tenant=tenant)
    assert authorize(member, "members/update", group)  # this request's grants, before the removal
    ownership_remove(actor=admin_user, group=group, user=member)
    refused(
        member, "members/update", lambda: membership_add(actor=fresh(member), group=group, member=colleague)
    )
    request = factories.JoinRequestFactory(group=group, tenant=tenant)
    refused(
        member, "requests/decide", lambda: join_request_approve(actor=fresh(member), join_request=request)
    )


def test_it_refuses_a_disabled_accounts_session(member, tenant):
    group = factories.GroupFactory(tenant=tenant, owners=[member])
    member.account_enabled = False
    member.save()
    refused(
        member,
        "members/update",
        lambda: membership_add(actor=member, group=group, member=factories.UserFactory(tenant=tenant)),
    )


def test_it_refuses_a_groups_administrator_assigning_themselves_global_administrator(groups_admin):
    refused(
        groups_admin,
        roles.ROLES_UPDATE,
        lambda: role_assignment_create(
            actor=groups_admin, role="globalAdministrator", principal=groups_admin
        ),
    )
    assert not groups_admin.role_assignments.filter(builtin_role="globalAdministrator").exists()


def test_it_refuses_a_groups_administrator_creating_a_custom_role(groups_admin):
    refused(
        groups_admin,
        roles.ROLES_UPDATE,
        lambda: custom_role_create(
            actor=groups_admin, display_name="Mine", permissions=[f"{roles.PREFIX}groups/members/update"]
        ),
    )


def test_it_refuses_a_custom_role_creating_a_role_assignable_group(member, tenant):
    role = factories.CustomRoleFactory(tenant=tenant, permissions=[f"{roles.PREFIX}groups/create"])
    factories.assign_role(member, role)
    refused(
        member,
        "create",
        lambda: group_create(
            actor=member, display_name="Admins", mail_nickname="admins", is_assignable_to_role=True
        ),
    )


def test_it_refuses_an_owner_of_a_privileged_group_adding_themselves(member, tenant):
    target = privileged_group(tenant, owners=[member])
    event = refused(
        member, "members/update", lambda: membership_add(actor=member, group=target, member=member)
    )
    assert "Global Administrator" in event.reason


def test_it_refuses_an_owner_of_a_role_assignable_group_adding_owners(member, tenant):
    target = factories.GroupFactory(tenant=tenant, is_assignable_to_role=True, owners=[member])
    colleague = factories.UserFactory(tenant=tenant)
    refused(member, "owners/update", lambda: ownership_add(actor=member, group=target, user=colleague))
    assert not Ownership.objects.filter(group=target, user=colleague).exists()


def test_it_refuses_a_user_administrator_adding_to_a_role_assignable_group(tenant):
    user_admin = factories.UserFactory(tenant=tenant, role="userAdministrator")
    target = factories.GroupFactory(tenant=tenant, is_assignable_to_role=True)
    refused(
        user_admin,
        "members/update",
        lambda: membership_add(actor=user_admin, group=target, member=factories.UserFactory(tenant=tenant)),
    )


def test_it_refuses_a_groups_administrator_by_group_adding_to_a_global_administrator_group(tenant):
    admins_group = privileged_group(tenant, role="groupsAdministrator")
    actor = factories.UserFactory(tenant=tenant)
    factories.GroupFactory  # noqa: B018 - membership below makes the actor a Groups Administrator
    Membership.objects.create(group=admins_group, member_user=actor)
    global_admins = privileged_group(tenant, role="globalAdministrator", owners=[actor])
    assert authorize(actor, "members/update", factories.GroupFactory(tenant=tenant))
    refused(actor, "members/update", lambda: membership_add(actor=actor, group=global_admins, member=actor))


def test_it_refuses_a_group_scoped_role_reaching_into_a_privileged_group(member, tenant):
    scope = factories.GroupFactory(tenant=tenant)
    role = factories.CustomRoleFactory(tenant=tenant, permissions=[f"{roles.PREFIX}groups/members/update"])
    factories.assign_role(member, role, scope_group=scope)
    target = privileged_group(tenant, role="groupsAdministrator")
    refused(member, "members/update", lambda: membership_add(actor=member, group=target, member=member))


def test_it_refuses_a_custom_role_on_a_free_tenant():
    tenant = factories.TenantFactory(plan=Plan.FREE)
    actor = factories.UserFactory(tenant=tenant)
    role = factories.CustomRoleFactory(tenant=tenant, permissions=[f"{roles.PREFIX}groups/members/update"])
    factories.assign_role(actor, role)
    group = factories.GroupFactory(tenant=tenant)
    refused(
        actor,
        "members/update",
        lambda: membership_add(actor=actor, group=group, member=factories.UserFactory(tenant=tenant)),
    )


def test_it_refuses_a_directory_reader_deleting_a_group(tenant):
    reader = factories.UserFactory(tenant=tenant, role="directoryReaders")
    group = factories.GroupFactory(tenant=tenant)
    assert authorize(reader, "members/read", group)
    refused(reader, "delete", lambda: group_soft_delete(actor=reader, group=group))


def test_it_refuses_an_owner_deleting_the_role_assignable_group_they_own(member, tenant):
    target = factories.GroupFactory(tenant=tenant, is_assignable_to_role=True, owners=[member])
    refused(member, "delete", lambda: group_soft_delete(actor=member, group=target))


def test_it_refuses_an_administrator_of_another_tenant(tenant, other_tenant):
    foreign_admin = factories.UserFactory(tenant=other_tenant, role="globalAdministrator")
    group = factories.GroupFactory(tenant=tenant, display_name="Finance secret")
    event = refused(
        foreign_admin,
        "members/update",
        lambda: membership_add(actor=foreign_admin, group=group, member=foreign_admin),
    )
    # Recorded in the attempting tenant's log, naming nothing of the other tenant.
    assert event.target_name == "" and "Finance" not in str(event.after)


def test_it_refuses_an_administrator_changing_a_synced_group(admin_user, tenant):
    group = factories.GroupFactory(tenant=tenant, source="synced")
    refused(
        admin_user,
        "members/update",
        lambda: membership_add(actor=admin_user, group=group, member=factories.UserFactory(tenant=tenant)),
    )


def test_it_refuses_a_revoked_role_on_the_next_request(tenant):
    actor = factories.UserFactory(tenant=tenant, role="groupsAdministrator")
    granter = factories.UserFactory(tenant=tenant, role="privilegedRoleAdministrator")
    group = factories.GroupFactory(tenant=tenant)
    membership_add(actor=fresh(actor), group=group, member=factories.UserFactory(tenant=tenant))
    role_assignment_delete(actor=granter, assignment=actor.role_assignments.get())
    refused(
        actor,
        "members/update",
        lambda: membership_add(actor=fresh(actor), group=group, member=factories.UserFactory(tenant=tenant)),
    )


def test_it_refuses_removing_a_privileged_groups_member_without_its_roles(member, tenant):
    target = privileged_group(tenant, owners=[member])
    holder = factories.UserFactory(tenant=tenant)
    Membership.objects.create(group=target, member_user=holder)
    refused(member, "members/update", lambda: membership_remove(actor=member, group=target, member=holder))
    assert Membership.objects.filter(group=target, member_user=holder).exists()


def test_it_refuses_dynamic_role_assignable_groups_and_creation_by_groups_administrators(
    groups_admin, admin_user
):
    refused(
        groups_admin,
        "create",
        lambda: group_create(
            actor=groups_admin, display_name="Helpdesk admins", mail_nickname="hd", is_assignable_to_role=True
        ),
    )
    from groups.services import ServiceError

    with pytest.raises(ServiceError, match="dynamic"):
        group_create(
            actor=admin_user,
            display_name="Dyn admins",
            mail_nickname="dyn",
            is_assignable_to_role=True,
            membership_type=MembershipType.DYNAMIC,
        )


def test_it_lets_a_holder_of_the_conferred_roles_manage_a_privileged_group(admin_user, tenant):
    """The counterpart that makes the refusals above meaningful."""
    target = privileged_group(tenant, role="groupsAdministrator")
    owner = factories.UserFactory(tenant=tenant, role="groupsAdministrator")
    Ownership.objects.create(group=target, user=owner)
    membership_add(actor=owner, group=target, member=factories.UserFactory(tenant=tenant))
    membership_add(actor=admin_user, group=target, member=factories.UserFactory(tenant=tenant))
    assert Membership.objects.filter(group=target).count() == 2
    assert not AuditEvent.objects.filter(result="failure").exists()


@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_refusal_record_when_the_surrounding_transaction_rolls_back():
    from django.db import transaction

    tenant = factories.TenantFactory()
    actor = factories.UserFactory(tenant=tenant)
    target = privileged_group(tenant)
    with pytest.raises(PermissionDenied), transaction.atomic():
        factories.GroupFactory(tenant=tenant, display_name="Made in the rolled-back transaction")
        membership_add(actor=actor, group=target, member=actor)
    assert not target.tenant.group_set.filter(display_name__startswith="Made in").exists()
    event = AuditEvent.objects.get(result="failure", actor_id=str(actor.pk))
    assert event.after["action"] == "members/update"
    assert event.target_id == str(target.pk)


def test_it_audits_a_refused_attempt_made_through_a_page(client, member, tenant):
    target = privileged_group(tenant, owners=[member])
    client.force_login(member)
    response = client.post(
        reverse("group_member_add", args=[target.pk]), {"member": member.user_principal_name}
    )
    assert response.status_code == 403
    assert not Membership.objects.filter(group=target).exists()
    event = AuditEvent.objects.get(result="failure", actor_id=str(member.pk))
    assert event.after["action"] == "members/update" and event.request_id


def test_it_signs_out_a_disabled_accounts_session_on_its_next_request(client, member, tenant):
    group = factories.GroupFactory(tenant=tenant, owners=[member])
    client.force_login(member)
    assert client.get(reverse("group_members", args=[group.pk])).status_code == 200
    User.objects.filter(pk=member.pk).update(account_enabled=False)
    response = client.post(
        reverse("group_member_add", args=[group.pk]), {"member": member.user_principal_name}
    )
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not Membership.objects.filter(group=group).exists()


def test_it_revokes_a_role_held_through_a_group_on_the_next_request(client, tenant):
    helpdesk = factories.UserFactory(tenant=tenant)
    admins = privileged_group(tenant, role="groupsAdministrator")
    membership = Membership.objects.create(group=admins, member_user=helpdesk)
    client.force_login(helpdesk)
    assert client.get(reverse("role_list")).status_code == 200  # Groups Administrators read roles
    membership.delete()
    assert client.get(reverse("role_list")).status_code == 403


def test_it_refuses_an_api_caller_adding_themselves_to_a_role_assignable_group(client, groups_admin, tenant):
    import json

    from portal.tokens import api_token_create

    target = factories.GroupFactory(tenant=tenant, is_assignable_to_role=True)
    _, secret = api_token_create(tenant=tenant, actor="tests", user=groups_admin)
    response = client.post(
        f"/v1.0/groups/{target.pk}/members/$ref",
        json.dumps({"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{groups_admin.pk}"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 403 and response.json()["error"]["code"]
    assert not Membership.objects.filter(group=target).exists()
    event = AuditEvent.objects.get(result="failure", actor_id=str(groups_admin.pk))
    assert event.after["action"] == "members/update"


def test_it_refuses_a_user_administrator_disabling_or_editing_a_global_administrator(tenant, admin_user):
    from portal.services import user_delete, user_update

    user_admin = factories.UserFactory(tenant=tenant, role="userAdministrator")
    refused(
        user_admin,
        roles.USERS_UPDATE,
        lambda: user_update(actor=fresh(user_admin), user=admin_user, changes={"account_enabled": False}),
    )
    refused(user_admin, roles.USERS_UPDATE, lambda: user_delete(actor=fresh(user_admin), user=admin_user))
    # Also when the privileged role comes through a role-assignable group.
    through_group = factories.UserFactory(tenant=tenant)
    factories.GroupFactory(tenant=tenant, is_assignable_to_role=True, members=[through_group])
    factories.assign_role(
        factories.GroupFactory._meta.model.objects.get(memberships__member_user=through_group),
        "privilegedRoleAdministrator",
    )
    refused(
        user_admin,
        roles.USERS_UPDATE,
        lambda: user_update(actor=fresh(user_admin), user=through_group, changes={"department": "X"}),
    )
    admin_user.refresh_from_db()
    assert admin_user.account_enabled and admin_user.deleted_date_time is None
    # An ordinary user stays the User Administrator's to edit; a Global Administrator edits anyone.
    ordinary = factories.UserFactory(tenant=tenant)
    user_update(actor=fresh(user_admin), user=ordinary, changes={"department": "Legal"})
    user_update(actor=fresh(admin_user), user=through_group, changes={"department": "Legal"})
    assert User.objects.get(pk=ordinary.pk).department == "Legal"


def _global_admin_through_a_group(tenant):
    """An account holding Global Administrator through a role-assignable group, taken out by a Global
    Administrator; a User Administrator then tries to bring it back."""
    held = factories.UserFactory(tenant=tenant)
    group = factories.GroupFactory(tenant=tenant, is_assignable_to_role=True, members=[held])
    factories.assign_role(group, "globalAdministrator")
    return held, group


def test_it_doesnt_give_global_administrator_back_through_a_restore_page(client, tenant, admin_user):
    from portal.services import user_delete

    held, group = _global_admin_through_a_group(tenant)
    user_delete(actor=fresh(admin_user), user=held)
    user_admin = factories.UserFactory(tenant=tenant, role="userAdministrator")
    client.force_login(user_admin)
    page = client.post(reverse("user_restore", args=[held.pk]), follow=True).content.decode()
    assert User.objects.get(pk=held.pk).deleted_date_time is None  # the account is back ...
    assert not Membership.objects.filter(group=group, member_user=held).exists()  # ... its role isn't
    assert f"Not restored: {group.display_name} (as member)" in page
    client.force_login(held)
    assert client.get(reverse("role_list")).status_code == 403


def test_it_doesnt_give_global_administrator_back_by_re_enabling_through_the_api(client, tenant, admin_user):
    import json

    from portal.services import user_update
    from portal.tokens import api_token_create

    held, group = _global_admin_through_a_group(tenant)
    user_update(actor=fresh(admin_user), user=held, changes={"account_enabled": False})
    user_admin = factories.UserFactory(tenant=tenant, role="userAdministrator")
    _, secret = api_token_create(tenant=tenant, actor="tests", user=user_admin)
    response = client.patch(
        f"/v1.0/users/{held.pk}",
        json.dumps({"accountEnabled": True}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 200, response.content
    assert User.objects.get(pk=held.pk).account_enabled
    assert not Membership.objects.filter(group=group, member_user=held).exists()
    [left_out] = response.json()["@groupdesk.notRestored"]
    assert left_out["group"] == group.display_name and "role-assignable" in left_out["reason"]
    # When nothing is left out, Graph's 204 stays the answer.
    user_update(actor=fresh(admin_user), user=held, changes={"account_enabled": False})
    _, admin_secret = api_token_create(tenant=tenant, actor="tests", user=admin_user)
    response = client.patch(
        f"/v1.0/users/{held.pk}",
        json.dumps({"accountEnabled": True}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {admin_secret}"},
    )
    assert response.status_code == 204
