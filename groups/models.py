"""Groups, their members and owners.

Invariants the database holds: a membership names exactly one kind of member, once per group; a group
never contains itself; a role-assignable group is never dynamic; mail nicknames are unique per tenant.
Invariants that need a graph walk (no cycles through nesting, owner limits) live in groups.services.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from portal.models import Source, TenantOwned, TenantQuerySet

MAX_OWNERS = 100


class GroupKind(models.TextChoices):
    SECURITY = "security", "Security"
    MICROSOFT_365 = "microsoft365", "Microsoft 365"
    MAIL_ENABLED_SECURITY = "mailEnabledSecurity", "Mail-enabled security"
    DISTRIBUTION = "distribution", "Distribution"


class MembershipType(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    DYNAMIC = "dynamic", "Dynamic"


class ProcessingState(models.TextChoices):
    ON = "On", "On"
    PAUSED = "Paused", "Paused"


class ProcessingStatus(models.TextChoices):
    NOT_STARTED = "NotStarted", "Not started"
    RUNNING = "Running", "Running"
    SUCCEEDED = "Succeeded", "Succeeded"
    FAILED = "Failed", "Failed"
    HELD = "Held", "Held by the failsafe"


class Visibility(models.TextChoices):
    PUBLIC = "Public", "Public"
    PRIVATE = "Private", "Private"
    HIDDEN_MEMBERSHIP = "HiddenMembership", "Hidden membership"


class JoinPolicy(models.TextChoices):
    OPEN = "open", "Open: anyone can join"
    OWNER_APPROVAL = "approval", "Owner approval"
    CLOSED = "closed", "Closed: only owners add members"


class CreatedIn(models.TextChoices):
    """Where a group was made: seed 002's table of default join behaviour keys off it."""

    MY_GROUPS = "myGroups", "My Groups"
    ADMIN = "admin", "Admin portal"
    API = "api", "API"
    SYNC = "sync", "Directory synchronization"
    SCIM = "scim", "SCIM provisioning"


class GroupQuerySet(TenantQuerySet):
    def alive(self) -> GroupQuerySet:
        return self.filter(deleted_date_time__isnull=True)

    def deleted(self) -> GroupQuerySet:
        return self.filter(deleted_date_time__isnull=False)

    def owned_by(self, user) -> GroupQuerySet:
        return self.filter(ownerships__user=user)


class Group(TenantOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    display_name = models.CharField(max_length=256)
    description = models.TextField(blank=True)
    mail_nickname = models.CharField(max_length=64)
    kind = models.CharField(max_length=24, choices=GroupKind.choices, default=GroupKind.SECURITY)
    membership_type = models.CharField(
        max_length=8, choices=MembershipType.choices, default=MembershipType.ASSIGNED
    )
    membership_rule = models.TextField(blank=True)
    membership_rule_processing_state = models.CharField(
        max_length=8, choices=ProcessingState.choices, default=ProcessingState.ON
    )
    # Last (re)computation of a dynamic group: background work reports here.
    processing_status = models.CharField(
        max_length=12, choices=ProcessingStatus.choices, default=ProcessingStatus.NOT_STARTED
    )
    processing_progress = models.PositiveSmallIntegerField(default=0)  # percent
    processing_added = models.PositiveIntegerField(default=0)
    processing_removed = models.PositiveIntegerField(default=0)
    processing_started = models.DateTimeField(null=True, blank=True)
    processing_finished = models.DateTimeField(null=True, blank=True)
    processing_error = models.TextField(blank=True)
    visibility = models.CharField(max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC)
    join_policy = models.CharField(max_length=8, choices=JoinPolicy.choices, default=JoinPolicy.CLOSED)
    is_assignable_to_role = models.BooleanField(default=False)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.CLOUD)
    created_in = models.CharField(max_length=8, choices=CreatedIn.choices, default=CreatedIn.ADMIN)
    # A group an identity provider provisions over SCIM: that app alone changes it (like a synced group).
    provisioned_by = models.ForeignKey(
        "portal.ServicePrincipal", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    external_id = models.CharField(max_length=256, null=True, blank=True)
    has_team = models.BooleanField("Create a team", default=False)
    classification = models.CharField(max_length=64, blank=True)
    expiration_date_time = models.DateTimeField(null=True, blank=True)
    # Expiration scope "selected": the tenant's policy covers only the groups marked here.
    expiration_selected = models.BooleanField("In the expiration policy", default=False)
    renewed_date_time = models.DateTimeField(null=True, blank=True)
    # The group's own Group.Unified.Guest settings object (Graph's /groups/{id}/settings): its id, null
    # while the group has none, and its AllowToAddGuests (the tenant's "no" wins over the group's "yes").
    guest_setting_id = models.UUIDField(null=True, blank=True)
    allow_to_add_guests = models.BooleanField(default=True)
    deleted_date_time = models.DateTimeField(null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_date_time = models.DateTimeField(default=timezone.now)
    # Direct members of every kind, kept by the one membership writer (groups.services.membership) in
    # the transaction of each write; check_consistency recounts them.
    member_count = models.PositiveIntegerField(default=0, editable=False)

    objects = GroupQuerySet.as_manager()

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.UniqueConstraint(Lower("mail_nickname"), "tenant", name="group_mail_nickname_unique"),
            models.CheckConstraint(
                condition=~(Q(is_assignable_to_role=True) & Q(membership_type=MembershipType.DYNAMIC)),
                name="role_assignable_group_not_dynamic",
            ),
            models.CheckConstraint(
                condition=~(Q(kind=GroupKind.DISTRIBUTION) & Q(membership_type=MembershipType.DYNAMIC)),
                name="distribution_group_not_dynamic",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "display_name"]),
            # No index may hold member_count: the rule writer updates it for every group a change
            # touches, and an indexed column makes each such UPDATE write every index of the table
            # instead of a heap-only (HOT) update (it doubled the rule write statement's WAL).
        ]

    def __str__(self) -> str:
        return self.display_name

    # Graph's flags are derived from kind and membership type, never stored.
    @property
    def mail_enabled(self) -> bool:
        return self.kind != GroupKind.SECURITY

    @property
    def security_enabled(self) -> bool:
        return self.kind in (GroupKind.SECURITY, GroupKind.MAIL_ENABLED_SECURITY)

    @property
    def group_types(self) -> list[str]:
        types = []
        if self.kind == GroupKind.MICROSOFT_365:
            types.append("Unified")
        if self.membership_type == MembershipType.DYNAMIC:
            types.append("DynamicMembership")
        return types

    @property
    def mail(self) -> str | None:
        if not self.mail_enabled:
            return None
        return f"{self.mail_nickname}@{self.tenant.default_domain}"

    @property
    def is_dynamic(self) -> bool:
        return self.membership_type == MembershipType.DYNAMIC

    @property
    def allows_guests(self) -> bool:
        """The group's own AllowToAddGuests: yes unless its guest settings object says no."""
        return self.guest_setting_id is None or self.allow_to_add_guests

    @property
    def is_synced(self) -> bool:
        return self.source == Source.SYNCED

    @property
    def is_deleted(self) -> bool:
        return self.deleted_date_time is not None

    @property
    def is_provisioned(self) -> bool:
        return self.provisioned_by_id is not None

    @property
    def self_service_available(self) -> bool:
        """Seeds 002/004: no self-service for mail-enabled security, distribution, synced, dynamic or
        role-assignable groups."""
        return (
            self.kind in (GroupKind.SECURITY, GroupKind.MICROSOFT_365)
            and not self.is_synced
            and not self.is_provisioned
            and not self.is_dynamic
            and not self.is_assignable_to_role
            and not self.is_deleted
        )


class MembershipSource(models.TextChoices):
    DIRECT = "direct", "Added directly"
    RULE = "rule", "Dynamic rule"
    REQUEST = "request", "Approved request"


class MembershipQuerySet(models.QuerySet):
    def for_tenant(self, tenant) -> MembershipQuerySet:
        return self.filter(group__tenant=tenant) if tenant is not None else self.none()


class Membership(models.Model):
    """One direct member of a group: exactly one of a user, a group, a device or a service principal."""

    # No index of its own: the unique (group, member_user) index leads with it and serves every lookup
    # by group (Meta.constraints). One index entry fewer per membership written.
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships", db_index=False)
    member_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    # The columns empty in most rows (users are most members; rules add nobody) are indexed only where
    # they have a value (Meta.indexes): a full index would take an entry for every row written.
    member_group = models.ForeignKey(
        Group, on_delete=models.CASCADE, null=True, blank=True, related_name="member_of", db_index=False
    )
    member_device = models.ForeignKey(
        "portal.Device",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        db_index=False,
    )
    member_service_principal = models.ForeignKey(
        "portal.ServicePrincipal",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        db_index=False,
    )
    source = models.CharField(max_length=8, choices=MembershipSource.choices, default=MembershipSource.DIRECT)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    created_date_time = models.DateTimeField(default=timezone.now)

    objects = MembershipQuerySet.as_manager()

    MEMBER_FIELDS = ("member_user", "member_group", "member_device", "member_service_principal")

    class Meta:
        indexes = [
            models.Index(fields=[field], condition=Q(**{f"{field}__isnull": False}), name=name)
            for field, name in (
                ("member_device", "membership_device_set"),
                ("member_service_principal", "membership_sp_set"),
                ("added_by", "membership_added_by_set"),
            )
        ] + [
            # The walk up the nesting (a member's groups, their parents ...) reads parent ids from this
            # index alone, one probe per group reached: the heap rows of nested groups' memberships are
            # spread over the whole table (a member of 1,022 groups: 12,453 -> 2,056 buffers).
            models.Index(
                fields=["member_group", "group"],
                condition=Q(member_group__isnull=False),
                name="membership_group_up",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        member_user__isnull=False,
                        member_group__isnull=True,
                        member_device__isnull=True,
                        member_service_principal__isnull=True,
                    )
                    | Q(
                        member_user__isnull=True,
                        member_group__isnull=False,
                        member_device__isnull=True,
                        member_service_principal__isnull=True,
                    )
                    | Q(
                        member_user__isnull=True,
                        member_group__isnull=True,
                        member_device__isnull=False,
                        member_service_principal__isnull=True,
                    )
                    | Q(
                        member_user__isnull=True,
                        member_group__isnull=True,
                        member_device__isnull=True,
                        member_service_principal__isnull=False,
                    )
                ),
                name="membership_exactly_one_member",
            ),
            models.CheckConstraint(condition=~Q(member_group=F("group")), name="membership_not_self"),
            # Users are most members: their uniqueness is a full (group, member_user) index (NULLs are
            # distinct, so it constrains exactly the user rows), which also serves lookups by group alone.
            models.UniqueConstraint(fields=["group", "member_user"], name="membership_unique_member_user"),
            *[
                models.UniqueConstraint(
                    fields=["group", field],
                    condition=Q(**{f"{field}__isnull": False}),
                    name=f"membership_unique_{field}",
                )
                for field in ("member_group", "member_device", "member_service_principal")
            ],
        ]

    def __str__(self) -> str:
        return f"{self.member} in {self.group_id}"

    @property
    def member(self):
        return self.member_user or self.member_group or self.member_device or self.member_service_principal

    @property
    def member_kind(self) -> str:
        for field in self.MEMBER_FIELDS:
            if getattr(self, f"{field}_id") is not None:
                return {
                    "member_user": "user",
                    "member_group": "group",
                    "member_device": "device",
                    "member_service_principal": "servicePrincipal",
                }[field]
        raise ValueError("membership without a member")


class Ownership(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="ownerships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ownerships")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_date_time = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="ownership_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} owns {self.group_id}"


class ExpirationNotice(models.Model):
    """One "your group expires in N days" email, sent once per group, lifetime and N.

    Keyed by the expiration time it warned about: a renewal moves the date, and the next cycle's
    notices are new rows.
    """

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="expiration_notices")
    days_before = models.PositiveSmallIntegerField()
    expiration_date_time = models.DateTimeField()
    sent_date_time = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group", "days_before", "expiration_date_time"], name="expiration_notice_once"
            )
        ]


class RuleChangeHold(models.Model):
    """A rule change the failsafe stopped: it would remove more than the tenant's share of members.

    It keeps the exact list of who would leave; a second administrator confirms (the rule is then saved
    and the group recomputed) or cancels it. At most one pending hold per group.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a second administrator"
        CONFIRMED = "confirmed", "Confirmed"
        CANCELLED = "cancelled", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="rule_holds")
    membership_rule = models.TextField()
    previous_rule = models.TextField(blank=True)
    removals = models.JSONField(default=list)  # [{"id": ..., "name": ...}] in name order
    member_count = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_date_time = models.DateTimeField(default=timezone.now)
    decided_date_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_date_time"]
        constraints = [
            models.UniqueConstraint(
                fields=["group"], condition=Q(status="pending"), name="rule_hold_one_pending_per_group"
            )
        ]

    def __str__(self) -> str:
        return f"Held rule change of {self.group_id}"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class RuleVersion(models.Model):
    """A stamp of the tenant's set of active dynamic rules: a fresh random token whenever a dynamic group
    is created, deleted, or changes its rule, name, processing state, deletion or hold (database
    triggers, groups/rule_version.py, in the transaction of the change). Each process keeps the tenant's
    compiled rules (groups.dynamic.cache) and rebuilds them when the token it reads differs. Random, not
    a counter: a rolled-back change's token never comes back. No row yet reads as "no token"."""

    tenant = models.OneToOneField(
        "portal.Tenant",
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,  # the triggers may write a row while the tenant itself is being deleted
        related_name="+",
    )
    token = models.CharField(max_length=36)

    def __str__(self) -> str:
        return f"rules of {self.tenant_id}: {self.token}"


from groups.connections.models import (  # noqa: E402,F401
    ExternalAclEntry,
    ExternalConnection,
    ExternalGroup,
    ExternalGroupMember,
    ExternalItem,
)
from groups.licensing.models import (  # noqa: E402,F401
    AssignmentState,
    GroupLicense,
    LicenseAssignment,
    LicenseSeat,
    ServicePlan,
    SubscribedSku,
)
