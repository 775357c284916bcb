"""Directory objects: users (with their string collections and service plans), devices and service
principals."""

from __future__ import annotations

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.models.tenancy import Tenant, TenantOwned, TenantQuerySet


class Source(models.TextChoices):
    CLOUD = "cloud", "Cloud"
    SYNCED = "synced", "Synced from on-premises"


class UserType(models.TextChoices):
    MEMBER = "Member", "Member"
    GUEST = "Guest", "Guest"


class ExternalUserState(models.TextChoices):
    """Graph's ``externalUserState`` of an invited guest."""

    PENDING_ACCEPTANCE = "PendingAcceptance", "Pending acceptance"
    ACCEPTED = "Accepted", "Accepted"


class CreationType(models.TextChoices):
    """Graph's ``creationType``: how the account was made (null for an ordinary account)."""

    INVITATION = "Invitation", "Invitation"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_queryset(self) -> TenantQuerySet:
        return TenantQuerySet(self.model, using=self._db)

    def for_tenant(self, tenant: Tenant | None) -> TenantQuerySet:
        return self.get_queryset().for_tenant(tenant)

    def get_by_natural_key(self, username: str) -> User:
        # userPrincipalName is the login; Entra treats it case-insensitively.
        return self.get(user_principal_name__iexact=username)

    def create_user(self, user_principal_name: str, password: str | None = None, **fields) -> User:
        fields.setdefault("display_name", user_principal_name.split("@")[0])
        user = self.model(user_principal_name=user_principal_name.lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, user_principal_name: str, password: str | None = None, **fields) -> User:
        """A platform operator: Django's /admin/, no tenant."""
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(user_principal_name, password, **fields)


class User(AbstractBaseUser):
    """A directory user. Field names are Graph's, in snake case."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Null only for platform operators (Django admin), who belong to no tenant.
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, null=True, blank=True, related_name="users")
    user_principal_name = models.CharField("userPrincipalName", max_length=256, unique=True)
    display_name = models.CharField("displayName", max_length=256)
    given_name = models.CharField(max_length=64, null=True, blank=True)
    surname = models.CharField(max_length=64, null=True, blank=True)
    mail = models.EmailField(max_length=256, null=True, blank=True)
    mail_nickname = models.CharField(max_length=64, null=True, blank=True)
    user_type = models.CharField(max_length=8, choices=UserType.choices, default=UserType.MEMBER)
    account_enabled = models.BooleanField(default=True)
    department = models.CharField(max_length=64, null=True, blank=True)
    job_title = models.CharField(max_length=128, null=True, blank=True)
    company_name = models.CharField(max_length=64, null=True, blank=True)
    country = models.CharField(max_length=128, null=True, blank=True)
    city = models.CharField(max_length=128, null=True, blank=True)
    state = models.CharField(max_length=128, null=True, blank=True)
    street_address = models.CharField(max_length=1024, null=True, blank=True)
    postal_code = models.CharField(max_length=40, null=True, blank=True)
    # The rule language calls it physicalDeliveryOfficeName: the same attribute.
    office_location = models.CharField(max_length=128, null=True, blank=True)
    usage_location = models.CharField(max_length=2, null=True, blank=True)
    # Wider than Graph's 16 characters: identity providers provision longer HR ids and language tags.
    preferred_language = models.CharField(max_length=64, null=True, blank=True)
    employee_id = models.CharField(max_length=64, null=True, blank=True)
    employee_type = models.CharField(max_length=64, null=True, blank=True)
    employee_hire_date = models.DateTimeField(null=True, blank=True)
    mobile_phone = models.CharField("mobile", max_length=64, null=True, blank=True)
    business_phone = models.CharField("telephoneNumber", max_length=64, null=True, blank=True)
    fax_number = models.CharField("facsimileTelephoneNumber", max_length=64, null=True, blank=True)
    password_policies = models.CharField(max_length=256, null=True, blank=True)
    sip_proxy_address = models.CharField(max_length=256, null=True, blank=True)
    on_premises_distinguished_name = models.CharField(max_length=512, null=True, blank=True)
    on_premises_security_identifier = models.CharField(max_length=256, null=True, blank=True)
    manager = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="direct_reports"
    )
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.CLOUD)
    # Provisioning (SCIM): the identity provider's id for the user, and Graph's employeeOrgData.
    external_id = models.CharField("externalId", max_length=256, null=True, blank=True, db_index=True)
    division = models.CharField(max_length=64, null=True, blank=True)
    cost_center = models.CharField("costCenter", max_length=64, null=True, blank=True)
    extension_attribute_1 = models.CharField(max_length=1024, null=True, blank=True)
    extension_attribute_2 = models.CharField(max_length=1024, null=True, blank=True)
    extension_attribute_3 = models.CharField(max_length=1024, null=True, blank=True)
    extension_attribute_4 = models.CharField(max_length=1024, null=True, blank=True)
    extension_attribute_5 = models.CharField(max_length=1024, null=True, blank=True)
    extension_attribute_6 = models.CharField(max_length=1024, null=True, blank=True)
    extension_attribute_7 = models.CharField(max_length=1024, null=True, blank=True)
    extension_attribute_8 = models.CharField(max_length=1024, null=True, blank=True)
    extension_attribute_9 = models.CharField(max_length=1024, null=True, blank=True)
    extension_attribute_10 = models.CharField(max_length=1024, null=True, blank=True)
    extension_attribute_11 = models.CharField(max_length=1024, null=True, blank=True)
    extension_attribute_12 = models.CharField(max_length=1024, null=True, blank=True)
    extension_attribute_13 = models.CharField(max_length=1024, null=True, blank=True)
    extension_attribute_14 = models.CharField(max_length=1024, null=True, blank=True)
    extension_attribute_15 = models.CharField(max_length=1024, null=True, blank=True)
    # Custom directory extensions, keyed as the rule language names them: extension_<appid>_<name>.
    extensions = models.JSONField(default=dict, blank=True)
    created_date_time = models.DateTimeField(default=timezone.now)
    # Invited guests (B2B): null for accounts that weren't invited.
    creation_type = models.CharField(max_length=16, choices=CreationType.choices, null=True, blank=True)
    external_user_state = models.CharField(
        max_length=20, choices=ExternalUserState.choices, null=True, blank=True
    )
    external_user_state_change_date_time = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="invited_users"
    )
    # Soft delete: a deleted user is restorable for 30 days.
    deleted_date_time = models.DateTimeField(null=True, blank=True)
    # Platform operators only (Django's /admin/); tenant rights come from directory roles.
    is_staff = models.BooleanField(default=False)
    is_superuser = models.BooleanField(default=False)

    objects = UserManager()

    USERNAME_FIELD = "user_principal_name"
    EMAIL_FIELD = "mail"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        ordering = ["display_name"]
        indexes = [
            models.Index(fields=["tenant", "department"]),
            models.Index(fields=["tenant", "country"]),
            # /users/ pages through a tenant's people in name order.
            models.Index(
                fields=["tenant", "display_name", "user_principal_name"], name="user_tenant_name_idx"
            ),
            # /users/ lists the people who aren't deleted in name order, and counts them (up to the
            # paginator's cap) from this index alone: no pass over the table of 100,000 users.
            models.Index(
                fields=["tenant", "display_name", "user_principal_name"],
                condition=Q(deleted_date_time__isnull=True),
                name="user_tenant_alive_name_idx",
            ),
            # /users/?type=guest and the inactive-guest review page through a tenant's guests.
            models.Index(fields=["tenant", "user_type", "last_login"], name="user_tenant_type_login_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} <{self.user_principal_name}>"

    @property
    def is_active(self) -> bool:  # Django's auth reads this: a disabled or deleted account can't sign in.
        return self.account_enabled and self.deleted_date_time is None

    @property
    def is_guest(self) -> bool:
        return self.user_type == UserType.GUEST

    @property
    def is_pending_guest(self) -> bool:
        """An invited guest who hasn't redeemed their invitation yet: they can't sign in."""
        return self.external_user_state == ExternalUserState.PENDING_ACCEPTANCE

    @property
    def dir_sync_enabled(self) -> bool:
        return self.source == Source.SYNCED

    def has_perm(self, perm: str, obj=None) -> bool:
        return self.is_active and self.is_superuser

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_active and self.is_superuser

    def values_of(self, attribute: str) -> list[str]:
        """Items of a string collection (otherMails, proxyAddresses), in their stored order."""
        return [v.value for v in self.multi_values.all() if v.attribute == attribute]

    @property
    def other_mails(self) -> list[str]:
        return self.values_of(MultiValueAttribute.OTHER_MAILS)

    @property
    def proxy_addresses(self) -> list[str]:
        return self.values_of(MultiValueAttribute.PROXY_ADDRESSES)


class MultiValueAttribute(models.TextChoices):
    OTHER_MAILS = "otherMails", "otherMails"
    PROXY_ADDRESSES = "proxyAddresses", "proxyAddresses"


class UserMultiValue(models.Model):
    """One item of a user's string collection: a row each, so SQLite and PostgreSQL can both filter items."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="multi_values")
    attribute = models.CharField(max_length=32, choices=MultiValueAttribute.choices)
    value = models.CharField(max_length=256)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["attribute", "position"]
        constraints = [
            models.UniqueConstraint(fields=["user", "attribute", "value"], name="user_multivalue_unique")
        ]
        indexes = [models.Index(fields=["attribute", "value"])]


class AssignedPlan(models.Model):
    """A service plan assigned to a user (the rule language's user.assignedPlans)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="assigned_plans")
    service_plan_id = models.UUIDField()
    service = models.CharField(max_length=128)
    capability_status = models.CharField(max_length=32, default="Enabled")
    assigned_date_time = models.DateTimeField(default=timezone.now)


class DeviceOwnership(models.TextChoices):
    PERSONAL = "Personal", "Personal"
    COMPANY = "Company", "Company"
    UNKNOWN = "Unknown", "Unknown"


class Device(TenantOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    device_id = models.UUIDField(default=uuid.uuid4)
    display_name = models.CharField(max_length=256)
    account_enabled = models.BooleanField(default=True)
    operating_system = models.CharField("deviceOSType", max_length=64, null=True, blank=True)
    operating_system_version = models.CharField("deviceOSVersion", max_length=64, null=True, blank=True)
    device_category = models.CharField(max_length=64, null=True, blank=True)
    manufacturer = models.CharField("deviceManufacturer", max_length=64, null=True, blank=True)
    model = models.CharField("deviceModel", max_length=64, null=True, blank=True)
    device_ownership = models.CharField(
        max_length=16, choices=DeviceOwnership.choices, default=DeviceOwnership.UNKNOWN
    )
    enrollment_profile_name = models.CharField(max_length=128, null=True, blank=True)
    is_rooted = models.BooleanField(default=False)
    management_type = models.CharField(max_length=64, null=True, blank=True)
    created_date_time = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name


class DeviceMultiValue(models.Model):
    """One item of a device's string collection (devicePhysicalIds, systemLabels)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="multi_values")
    attribute = models.CharField(
        max_length=32, choices=[("devicePhysicalIds", "devicePhysicalIds"), ("systemLabels", "systemLabels")]
    )
    value = models.CharField(max_length=256)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "attribute", "value"], name="device_multivalue_unique")
        ]


class ServicePrincipal(TenantOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    app_id = models.UUIDField(default=uuid.uuid4)
    display_name = models.CharField(max_length=256)
    account_enabled = models.BooleanField(default=True)
    created_date_time = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name
