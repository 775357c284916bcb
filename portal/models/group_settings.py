"""Tenant-wide group settings (one row per tenant)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from portal.models.tenancy import Tenant


class OwnerAssigners(models.TextChoices):
    NONE = "none", "None"
    SELECTED = "selected", "Selected"
    ALL = "all", "All"


class ExpirationScope(models.TextChoices):
    NONE = "none", "None"
    SELECTED = "selected", "Selected"
    ALL = "all", "All"


class GuestUserRole(models.TextChoices):
    """Graph's ``authorizationPolicy.guestUserRoleId``: the role template guests get (the guest access level)."""

    SAME_AS_MEMBERS = "a0b1b346-4d3e-4e8b-98f8-753987be4970", "Guests have the same access as members"
    LIMITED = (
        "10dae51f-b6af-4016-8d66-8c2a99b929b3",
        "Guests have limited access to properties and memberships of directory objects",
    )
    RESTRICTED = (
        "2af84b1e-32c8-42b7-82bc-daa82404023b",
        "Guest access is restricted to properties and memberships of their own directory objects",
    )


class AllowInvitesFrom(models.TextChoices):
    """Graph's ``authorizationPolicy.allowInvitesFrom``: who may invite guests (Entra's default: everyone)."""

    NONE = "none", "No one in the organization can invite guests, including administrators"
    ADMINS_AND_GUEST_INVITERS = (
        "adminsAndGuestInviters",
        "Only users assigned to specific admin roles can invite guests",
    )
    ADMINS_GUEST_INVITERS_AND_ALL_MEMBERS = (
        "adminsGuestInvitersAndAllMembers",
        "Member users and users assigned to specific admin roles can invite guests",
    )
    EVERYONE = "everyone", "Anyone in the organization can invite guests, including guests"


class CollaborationRestriction(models.TextChoices):
    """Entra's collaboration restrictions: which email domains may be invited."""

    ANY = "any", "Allow invitations to be sent to any domain"
    DENY = "deny", "Deny invitations to the specified domains"
    ALLOW = "allow", "Allow invitations only to the specified domains"


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
    guest_usage_guidelines_url = models.URLField(blank=True)
    classification_list = models.CharField(
        max_length=1024, blank=True, help_text="Comma-separated classification values"
    )
    default_classification = models.CharField(max_length=64, blank=True)
    # Group.Unified's ClassificationDescriptions: "Value:Description" pairs, comma-separated.
    classification_descriptions = models.CharField(max_length=2048, blank=True)
    # Group.Unified's EnableMIPLabels: kept and reported; Groupdesk has no sensitivity labels to apply.
    enable_mip_labels = models.BooleanField("Sensitivity labels for Microsoft 365 groups", default=False)
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
    # The directory read policy (Graph's authorizationPolicy; portal.directory_policy applies it).
    allowed_to_read_other_users = models.BooleanField(
        "Members can read other users' basic profile", default=True
    )
    guest_user_role_id = models.CharField(
        "Guest user access", max_length=36, choices=GuestUserRole.choices, default=GuestUserRole.LIMITED
    )
    # The id of the tenant's Group.Unified settings object (Graph's /groupSettings): null while the
    # tenant runs on the template's defaults and no one has created it (through the API or this page).
    group_unified_setting_id = models.UUIDField(null=True, blank=True)
    allow_invites_from = models.CharField(
        "Guest invite settings",
        max_length=40,
        choices=AllowInvitesFrom.choices,
        default=AllowInvitesFrom.EVERYONE,
    )
    collaboration_restriction = models.CharField(
        "Collaboration restrictions",
        max_length=8,
        choices=CollaborationRestriction.choices,
        default=CollaborationRestriction.ANY,
    )
    collaboration_domains = models.TextField(
        "Domains", blank=True, help_text="The domains the restriction names, one per line or comma-separated."
    )
    guest_inactive_days = models.PositiveSmallIntegerField(
        "A guest is inactive after this many days without a sign-in", default=90
    )
    remove_guests_without_groups = models.BooleanField(
        "Remove a guest from the organization when they are removed from their last group", default=False
    )
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
            models.CheckConstraint(condition=Q(guest_inactive_days__gte=1), name="guest_inactive_days_min_1"),
        ]

    def __str__(self) -> str:
        return f"Group settings of {self.tenant}"

    @property
    def classifications(self) -> list[str]:
        return [c.strip() for c in self.classification_list.split(",") if c.strip()]

    @property
    def collaboration_domain_list(self) -> list[str]:
        raw = self.collaboration_domains.replace("\n", ",")
        return [d.strip().lower().lstrip("@") for d in raw.split(",") if d.strip()]

    @property
    def blocked_words(self) -> list[str]:
        raw = self.custom_blocked_words.replace("\n", ",")
        return [w.strip() for w in raw.split(",") if w.strip()]
