"""/roles/: roles, custom roles, assignments and the access check, for each kind of visitor."""

from __future__ import annotations

import pytest
from django.urls import reverse

from groups.models import GroupKind
from portal import roles
from portal.models import AuditEvent, CustomRole, Plan, RoleAssignment
from tests import factories

pytestmark = pytest.mark.django_db

MEMBERS = f"{roles.PREFIX}groups.security/members/update"
READ = f"{roles.PREFIX}groups/members/read"


@pytest.fixture
def privileged_admin(tenant):
    return factories.UserFactory(tenant=tenant, role="privilegedRoleAdministrator")


def signed_in(client, user):
    client.force_login(user)
    return client


def test_it_lists_built_in_and_custom_roles_with_their_permissions(client, admin_user, tenant):
    factories.CustomRoleFactory(tenant=tenant, display_name="Helpdesk members", permissions=[MEMBERS])
    page = signed_in(client, admin_user).get(reverse("role_list")).content.decode()
    for role in roles.BUILTIN_ROLES.values():
        assert role.display_name in page
    assert "Helpdesk members" in page
    assert MEMBERS in page
    assert roles.CATALOG[MEMBERS] in page  # seed 003's sentence
    assert "New custom role" in page


def test_it_shows_roles_read_only_to_directory_readers(client, tenant):
    reader = factories.UserFactory(tenant=tenant, role="directoryReaders")
    factories.CustomRoleFactory(tenant=tenant, display_name="Helpdesk members")
    page = signed_in(client, reader).get(reverse("role_list")).content.decode()
    assert "Helpdesk members" in page and "New custom role" not in page
    assert client.get(reverse("custom_role_new")).status_code == 403


def test_it_refuses_roles_to_members_and_guests(client, member, tenant):
    assert signed_in(client, member).get(reverse("role_list")).status_code == 403
    guest = factories.UserFactory(tenant=tenant, user_type="Guest")
    assert signed_in(client, guest).get(reverse("role_assignments")).status_code == 403


def test_it_groups_the_permission_picker_by_subtype_with_seed_wording(client, admin_user):
    page = signed_in(client, admin_user).get(reverse("custom_role_new")).content.decode()
    for subtype, scope in roles.SUBTYPES.items():
        assert f'id="permissions-{subtype}"' in page
        assert scope in page
    assert page.count('name="permissions"') == len(roles.CUSTOM_ROLE_PERMISSIONS)
    assert "Update members of Microsoft 365 groups of assigned membership type" in page


def test_it_creates_edits_and_deletes_a_custom_role(client, privileged_admin, tenant):
    client = signed_in(client, privileged_admin)
    response = client.post(
        reverse("custom_role_new"),
        {"display_name": "Security members", "description": "Helpdesk", "permissions": [MEMBERS, READ]},
    )
    assert response.status_code == 302
    role = CustomRole.objects.get(tenant=tenant)
    assert role.permissions == [READ, MEMBERS]  # catalog order
    edit = client.get(reverse("custom_role_edit", args=[role.id])).content.decode()
    assert f'value="{MEMBERS}" id=' in edit and "checked" in edit
    client.post(
        reverse("custom_role_edit", args=[role.id]),
        {"display_name": "Security members", "permissions": [MEMBERS]},
    )
    role.refresh_from_db()
    assert role.permissions == [MEMBERS]
    factories.assign_role(factories.UserFactory(tenant=tenant), role)
    assert client.post(reverse("custom_role_delete", args=[role.id])).status_code == 302
    assert (
        not CustomRole.objects.exists()
        and not RoleAssignment.objects.filter(custom_role__isnull=False).exists()
    )
    activities = list(AuditEvent.objects.filter(category="RoleManagement").values_list("activity", flat=True))
    assert sorted(activities) == sorted(
        ["Add role definition", "Update role definition", "Remove member from role", "Delete role definition"]
    )


def test_it_shows_form_errors_in_place_and_saves_nothing(client, privileged_admin, tenant):
    client = signed_in(client, privileged_admin)
    response = client.post(reverse("custom_role_new"), {"display_name": "", "permissions": []})
    assert response.status_code == 400
    assert "Choose at least one permission." in response.content.decode()
    response = client.post(
        reverse("custom_role_new"), {"display_name": "x", "permissions": [roles.ROLES_UPDATE]}
    )
    assert response.status_code == 400
    response = client.post(
        reverse("custom_role_new"), {"display_name": "Groups Administrator", "permissions": [MEMBERS]}
    )
    assert "built-in role" in response.content.decode()
    assert not CustomRole.objects.exists()


def test_it_refuses_custom_roles_on_a_free_tenant(client):
    tenant = factories.TenantFactory(plan=Plan.FREE)
    admin = factories.UserFactory(tenant=tenant, role="globalAdministrator")
    client = signed_in(client, admin)
    assert "need Microsoft Entra ID P1 or P2" in client.get(reverse("role_list")).content.decode()
    response = client.post(reverse("custom_role_new"), {"display_name": "x", "permissions": [MEMBERS]})
    assert response.status_code == 400 and "P1 or P2" in response.content.decode()


def test_it_stops_at_one_hundred_custom_roles(privileged_admin, tenant):
    from groups.services import ServiceError
    from portal.services import custom_role_create

    CustomRole.objects.bulk_create(
        CustomRole(tenant=tenant, display_name=f"Role {i}", permissions=[MEMBERS]) for i in range(100)
    )
    with pytest.raises(ServiceError, match="at most 100"):
        custom_role_create(actor=privileged_admin, display_name="One more", permissions=[MEMBERS])


def test_it_assigns_roles_to_users_and_role_assignable_groups_with_a_scope(client, privileged_admin, tenant):
    client = signed_in(client, privileged_admin)
    helpdesk = factories.UserFactory(tenant=tenant)
    scope = factories.GroupFactory(tenant=tenant, mail_nickname="finance")
    role = factories.CustomRoleFactory(tenant=tenant, permissions=[MEMBERS])
    response = client.post(
        reverse("role_assignments"),
        {"role": str(role.id), "principal": helpdesk.user_principal_name, "scope": "finance"},
    )
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(principal_user=helpdesk)
    assert assignment.custom_role == role and assignment.scope_group == scope
    admins = factories.GroupFactory(tenant=tenant, is_assignable_to_role=True, mail_nickname="gadmins")
    client.post(reverse("role_assignments"), {"role": "groupsAdministrator", "principal": "gadmins"})
    assert RoleAssignment.objects.filter(principal_group=admins, scope_group=None).exists()
    page = client.get(reverse("role_assignments")).content.decode()
    assert helpdesk.user_principal_name in page and scope.display_name in page and admins.display_name in page


def test_it_refuses_roles_for_ordinary_groups_and_other_tenants_objects(
    client, privileged_admin, tenant, other_tenant
):
    client = signed_in(client, privileged_admin)
    factories.GroupFactory(tenant=tenant, mail_nickname="plain")
    response = client.post(reverse("role_assignments"), {"role": "groupsAdministrator", "principal": "plain"})
    assert response.status_code == 400 and "role-assignable" in response.content.decode()
    stranger = factories.UserFactory(tenant=other_tenant)
    response = client.post(
        reverse("role_assignments"),
        {"role": "groupsAdministrator", "principal": stranger.user_principal_name},
    )
    assert response.status_code == 400
    response = client.post(
        reverse("role_assignments"),
        {"role": "globalAdministrator", "principal": privileged_admin.user_principal_name, "scope": "plain"},
    )
    assert "whole organization" in response.content.decode()
    assert RoleAssignment.objects.count() == 1  # the fixture's own


def test_it_renders_assignment_errors_in_place_for_htmx(client, privileged_admin):
    response = signed_in(client, privileged_admin).post(
        reverse("role_assignments"), {"role": "nope", "principal": ""}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert body.lstrip().startswith("<form") and "<html" not in body


def test_it_removes_an_assignment_and_the_next_request_is_refused(client, privileged_admin, tenant):
    helpdesk = factories.UserFactory(tenant=tenant, role="reportsReader")
    assert signed_in(client, helpdesk).get(reverse("audit_log")).status_code == 200
    assignment = RoleAssignment.objects.get(principal_user=helpdesk)
    signed_in(client, privileged_admin).post(reverse("role_assignment_delete", args=[assignment.id]))
    assert signed_in(client, helpdesk).get(reverse("audit_log")).status_code == 403


def test_it_keeps_the_last_global_administrator(client, admin_user):
    assignment = RoleAssignment.objects.get(principal_user=admin_user)
    response = signed_in(client, admin_user).post(
        reverse("role_assignment_delete", args=[assignment.id]), follow=True
    )
    assert "at least one Global Administrator" in response.content.decode()
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_it_explains_what_a_person_can_do_to_a_group(client, groups_admin, tenant):
    owner = factories.UserFactory(tenant=tenant)
    factories.GroupFactory(tenant=tenant, mail_nickname="sales", owners=[owner], kind=GroupKind.SECURITY)
    client = signed_in(client, groups_admin)
    page = client.get(
        reverse("role_check"), {"user": owner.user_principal_name, "group": "sales"}
    ).content.decode()
    assert "Group owner" in page and "Update members of this group" in page
    assert "Only administrators" not in page or "Not allowed" in page
    scoped = factories.UserFactory(tenant=tenant)
    factories.assign_role(
        scoped,
        factories.CustomRoleFactory(tenant=tenant, display_name="Sales helpdesk", permissions=[MEMBERS]),
    )
    response = client.get(
        reverse("role_check"), {"user": scoped.user_principal_name, "group": "sales"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert 'id="check-result"' in body and "<html" not in body
    assert "Sales helpdesk" in body and "Not allowed" in body


def test_it_tells_what_is_wrong_with_a_check(client, groups_admin, other_tenant):
    stranger = factories.UserFactory(tenant=other_tenant)
    response = signed_in(client, groups_admin).get(
        reverse("role_check"), {"user": stranger.user_principal_name, "group": "nope"}
    )
    assert response.status_code == 400
    assert "No user of this organization" in response.content.decode()


@pytest.mark.parametrize("size", [1, 15])
def test_it_keeps_the_roles_pages_constant_in_queries(
    client, privileged_admin, tenant, size, django_assert_num_queries
):
    for _ in range(size):
        role = factories.CustomRoleFactory(tenant=tenant, permissions=[MEMBERS, READ])
        factories.assign_role(
            factories.UserFactory(tenant=tenant), role, scope_group=factories.GroupFactory(tenant=tenant)
        )
    client = signed_in(client, privileged_admin)
    with django_assert_num_queries(7):
        assert client.get(reverse("role_list")).status_code == 200
    with django_assert_num_queries(8):
        assert client.get(reverse("role_assignments")).status_code == 200


def test_it_reloads_the_page_after_an_htmx_assignment(client, privileged_admin, tenant):
    helpdesk = factories.UserFactory(tenant=tenant)
    response = signed_in(client, privileged_admin).post(
        reverse("role_assignments"),
        {"role": "reportsReader", "principal": helpdesk.user_principal_name},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and response["HX-Redirect"] == reverse("role_assignments")
    assert RoleAssignment.objects.filter(principal_user=helpdesk, builtin_role="reportsReader").exists()
