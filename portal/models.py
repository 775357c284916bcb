"""The tenancy core: tenants, directory objects (users, devices, service principals), tenant group
settings, directory roles and the append-only audit log.

Every tenant-owned model inherits ``TenantOwned``; its manager's ``for_tenant(tenant)`` is the one
mechanism through which views and services scope their reads.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone


class TenantQuerySet(models.QuerySet):
    def for_tenant(self, tenant: Tenant | None) -> TenantQuerySet:
        if tenant is None:
            return self.none()
        return self.filter(tenant=tenant)


class TenantOwned(models.Model):
    """Base of every model that belongs to one tenant."""

    tenant = models.ForeignKey("portal.Tenant", on_delete=models.CASCADE)

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class Plan(models.TextChoices):
    FREE = "free", "Free"
    P1 = "p1", "Microsoft Entra ID P1"
    P2 = "p2", "Microsoft Entra ID P2"


class Tenant(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=256)
    slug = models.SlugField(max_length=64, unique=True)
    verified_domains = models.JSONField(default=list, blank=True)
    plan = models.CharField(max_length=8, choices=Plan.choices, default=Plan.FREE)
    created_date_time = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_premium(self) -> bool:
        """P1 and P2 unlock join requests, owner approval, dynamic groups and custom roles."""
        return self.plan in (Plan.P1, Plan.P2)

    @property
    def default_domain(self) -> str:
        return self.verified_domains[0] if self.verified_domains else f"{self.slug}.test"


class Source(models.TextChoices):
    CLOUD = "cloud", "Cloud"
    SYNCED = "synced", "Synced from on-premises"


class UserType(models.TextChoices):
    MEMBER = "Member", "Member"
    GUEST = "Guest", "Guest"


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
    preferred_language = models.CharField(max_length=16, null=True, blank=True)
    employee_id = models.CharField(max_length=16, null=True, blank=True)
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


class OwnerAssigners(models.TextChoices):
    NONE = "none", "None"
    SELECTED = "selected", "Selected"
    ALL = "all", "All"


class ExpirationScope(models.TextChoices):
    NONE = "none", "None"
    SELECTED = "selected", "Selected"
    ALL = "all", "All"


class TenantGroupSettings(models.Model):
    """Tenant-wide group settings: seed 002's settings pages and Graph's Group.Unified template.

    One row per tenant; read on every request, so a change applies at once.
    """

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="group_settings")
    # Self-service (My Groups).
    owners_can_manage_requests = models.BooleanField(
        "Owners can manage group membership requests in My Groups", default=False
    )
    restrict_my_groups = models.BooleanField(
        "Restrict user ability to access groups features in My Groups", default=False
    )
    # Creation (EnableGroupCreation / allowedToCreateSecurityGroups).
    users_can_create_security_groups = models.BooleanField(
        "Users can create security groups in portals, API or PowerShell", default=True
    )
    users_can_create_m365_groups = models.BooleanField(
        "Users can create Microsoft 365 groups in portals, API or PowerShell", default=True
    )
    group_creation_allowed_group = models.ForeignKey(
        "groups.Group",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="GroupCreationAllowedGroupId: when set, only its members may create Microsoft 365 groups.",
    )
    # Ownership and guests.
    owners_who_can_assign_owners = models.CharField(
        max_length=8, choices=OwnerAssigners.choices, default=OwnerAssigners.ALL
    )
    owner_assigners_group = models.ForeignKey(
        "groups.Group",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="With 'Selected': members of this group may make members owners.",
    )
    allow_guests_to_be_group_owner = models.BooleanField(default=False)
    allow_to_add_guests = models.BooleanField("Members can add guests", default=True)
    allow_guests_to_access_groups = models.BooleanField(default=True)
    # Guidance and classification.
    usage_guidelines_url = models.URLField(blank=True)
    classification_list = models.CharField(
        max_length=1024, blank=True, help_text="Comma-separated classification values"
    )
    default_classification = models.CharField(max_length=64, blank=True)
    # Naming policy: e.g. "GRP_[Department]_[GroupName]"; blocked words one per line or comma-separated.
    prefix_suffix_naming_requirement = models.CharField(max_length=256, blank=True)
    custom_blocked_words = models.TextField(blank=True)
    # Expiration.
    group_lifetime_days = models.PositiveIntegerField(null=True, blank=True)
    expiration_scope = models.CharField(
        max_length=8, choices=ExpirationScope.choices, default=ExpirationScope.NONE
    )
    # Requests and dynamic groups.
    request_expiry_days = models.PositiveIntegerField(default=30)
    dynamic_failsafe_percent = models.PositiveSmallIntegerField(default=20)
    updated_date_time = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "tenant group settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(group_lifetime_days__isnull=True) | Q(group_lifetime_days__gte=30),
                name="group_lifetime_at_least_30_days",
            ),
            models.CheckConstraint(
                condition=Q(dynamic_failsafe_percent__lte=100), name="failsafe_percent_max_100"
            ),
        ]

    def __str__(self) -> str:
        return f"Group settings of {self.tenant}"

    @property
    def classifications(self) -> list[str]:
        return [c.strip() for c in self.classification_list.split(",") if c.strip()]

    @property
    def blocked_words(self) -> list[str]:
        raw = self.custom_blocked_words.replace("\n", ",")
        return [w.strip() for w in raw.split(",") if w.strip()]


class CustomRole(TenantOwned):
    """A tenant's own role: a set of permissions from seed 003's catalog (P1 and up)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    display_name = models.CharField(max_length=256)
    description = models.TextField(blank=True)
    permissions = models.JSONField(default=list)
    created_date_time = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "display_name"], name="custom_role_name_unique")
        ]

    def __str__(self) -> str:
        return self.display_name


class RoleAssignment(TenantOwned):
    """A directory role held by a user or a role-assignable group, at tenant scope or on one group."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # A built-in role's key (portal.roles.BUILTIN_ROLES), or blank when custom_role is set.
    builtin_role = models.CharField(max_length=64, blank=True)
    custom_role = models.ForeignKey(CustomRole, on_delete=models.CASCADE, null=True, blank=True)
    principal_user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="role_assignments"
    )
    principal_group = models.ForeignKey(
        "groups.Group", on_delete=models.CASCADE, null=True, blank=True, related_name="role_assignments"
    )
    # Null: the whole tenant ("/"); otherwise the one group it applies to.
    scope_group = models.ForeignKey(
        "groups.Group",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="scoped_role_assignments",
    )
    created_date_time = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(builtin_role="") & Q(custom_role__isnull=False))
                | (~Q(builtin_role="") & Q(custom_role__isnull=True)),
                name="role_assignment_one_role",
            ),
            models.CheckConstraint(
                condition=(Q(principal_user__isnull=False) & Q(principal_group__isnull=True))
                | (Q(principal_user__isnull=True) & Q(principal_group__isnull=False)),
                name="role_assignment_one_principal",
            ),
        ]


class AuditEvent(models.Model):
    """An append-only record of one change (or refused attempt).

    The database refuses UPDATE and DELETE of these rows (triggers installed by a migration). Actor and
    target are kept by id, type and name, so that deleting either never cascades into the log.
    """

    class Result(models.TextChoices):
        SUCCESS = "success", "Success"
        FAILURE = "failure", "Failure"

    id = models.BigAutoField(primary_key=True)
    # Every read is by tenant: the (tenant, -activity_date_time) index below serves them all, so neither
    # column has an index of its own (each costs every audit INSERT; dynamic membership writes many).
    tenant = models.ForeignKey(
        Tenant, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    activity_date_time = models.DateTimeField(default=timezone.now)
    activity = models.CharField(max_length=128, db_index=True)
    category = models.CharField(max_length=64, default="GroupManagement")
    result = models.CharField(max_length=8, choices=Result.choices, default=Result.SUCCESS)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_type = models.CharField(max_length=32, blank=True)
    actor_name = models.CharField(max_length=256, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_type = models.CharField(max_length=32, blank=True)
    target_name = models.CharField(max_length=256, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-activity_date_time", "-id"]
        indexes = [models.Index(fields=["tenant", "-activity_date_time"])]

    def __str__(self) -> str:
        return (
            f"{self.activity_date_time:%Y-%m-%d %H:%M} {self.actor_name}: {self.activity} {self.target_name}"
        )


class ApiToken(TenantOwned):
    """A bearer token of the JSON API.

    It acts either as one user (with that user's rights, exactly as in the browser) or as an app: a
    service principal holding one built-in role. Only a SHA-256 digest of the secret is stored; the
    secret itself is shown once, when the token is made.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=128, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    # The first characters of the secret, to recognize a token in a list without revealing it.
    prefix = models.CharField(max_length=16)
    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="api_tokens")
    service_principal = models.ForeignKey(
        ServicePrincipal, on_delete=models.CASCADE, null=True, blank=True, related_name="api_tokens"
    )
    # A built-in role's key (portal.roles.BUILTIN_ROLES): app tokens only.
    role = models.CharField(max_length=64, blank=True)
    created_date_time = models.DateTimeField(default=timezone.now)
    last_used_date_time = models.DateTimeField(null=True, blank=True)
    revoked_date_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_date_time"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(service_principal__isnull=True) & Q(role=""))
                | (Q(user__isnull=True) & Q(service_principal__isnull=False) & ~Q(role="")),
                name="api_token_user_or_app_with_role",
            )
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_date_time is not None
