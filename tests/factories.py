"""factory-boy factories for the domain."""

from __future__ import annotations

import factory
from django.contrib.auth.hashers import make_password

from access_requests.models import JoinRequest
from groups.models import Group, GroupKind, Membership, Ownership
from groups.services import membership
from portal.models import (
    CustomRole,
    Device,
    Plan,
    RoleAssignment,
    ServicePrincipal,
    Tenant,
    TenantGroupSettings,
    User,
)

PASSWORD = "correct-horse-battery"
_HASH = make_password(PASSWORD)  # hash once: hashing is slow by design


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Tenant {n}")
    slug = factory.Sequence(lambda n: f"tenant{n}")
    plan = Plan.P1
    verified_domains = factory.LazyAttribute(lambda t: [f"{t.slug}.test"])
    settings = factory.RelatedFactory(
        "tests.factories.TenantGroupSettingsFactory", factory_related_name="tenant"
    )


class TenantGroupSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TenantGroupSettings
        django_get_or_create = ("tenant",)

    owners_can_manage_requests = True


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    tenant = factory.SubFactory(TenantFactory)
    user_principal_name = factory.Sequence(lambda n: f"user{n}@example.test")
    display_name = factory.Sequence(lambda n: f"User {n}")
    mail = factory.LazyAttribute(lambda u: u.user_principal_name)
    department = "Sales"
    password = _HASH

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        if create and extracted:
            RoleAssignment.objects.create(tenant=obj.tenant, principal_user=obj, builtin_role=extracted)


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group
        skip_postgeneration_save = True

    tenant = factory.SubFactory(TenantFactory)
    display_name = factory.Sequence(lambda n: f"Group {n}")
    mail_nickname = factory.Sequence(lambda n: f"group{n}")
    kind = GroupKind.SECURITY

    @factory.post_generation
    def owners(obj, create, extracted, **kwargs):
        for user in extracted or []:
            Ownership.objects.create(group=obj, user=user)

    @factory.post_generation
    def members(obj, create, extracted, **kwargs):
        for member in extracted or []:
            field = {
                "User": "member_user",
                "Group": "member_group",
                "Device": "member_device",
                "ServicePrincipal": "member_service_principal",
            }[type(member).__name__]
            # Through the writer's loader: it keeps the group's stored member count.
            membership.load_memberships([Membership(group=obj, **{field: member})])


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device

    tenant = factory.SubFactory(TenantFactory)
    display_name = factory.Sequence(lambda n: f"DEVICE-{n:03d}")
    operating_system = "Windows"


class ServicePrincipalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServicePrincipal

    tenant = factory.SubFactory(TenantFactory)
    display_name = factory.Sequence(lambda n: f"App {n}")


class JoinRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JoinRequest

    group = factory.SubFactory(GroupFactory)
    tenant = factory.SelfAttribute("group.tenant")
    requester = factory.SubFactory(UserFactory, tenant=factory.SelfAttribute("..tenant"))
    justification = "I need access for my work."


class CustomRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomRole

    tenant = factory.SubFactory(TenantFactory)
    display_name = factory.Sequence(lambda n: f"Custom role {n}")
    permissions = factory.LazyFunction(lambda: ["microsoft.directory/groups/members/update"])


def assign_role(principal, role, *, scope_group=None) -> RoleAssignment:
    """Give ``principal`` (a user or a role-assignable group) a built-in role (by key) or a custom role."""
    fields = {"custom_role": role} if isinstance(role, CustomRole) else {"builtin_role": role}
    principal_field = "principal_user" if isinstance(principal, User) else "principal_group"
    return RoleAssignment.objects.create(
        tenant=principal.tenant, scope_group=scope_group, **{principal_field: principal}, **fields
    )
