"""External connections and what they hold (seed 001; Graph's ``externalConnectors`` resources).

An ACL entry keeps the external group it names as text (``value``), not as a foreign key: seed 001 lets
an ACL name an external group before it exists, and it starts to count the moment the group is created.
Members of an external group are rows of the tenant's directory (users, groups) or external groups of the
same connection; the services check the connection and tenant before writing.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.models import TenantOwned


class ConnectionState(models.TextChoices):
    DRAFT = "draft", "Draft"
    READY = "ready", "Ready"
    OBSOLETE = "obsolete", "Obsolete"
    LIMIT_EXCEEDED = "limitExceeded", "Limit exceeded"


class ExternalConnection(TenantOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    connection_id = models.CharField(max_length=32)  # Graph's developer-provided id
    name = models.CharField(max_length=128)
    description = models.TextField(blank=True)
    state = models.CharField(max_length=16, choices=ConnectionState.choices, default=ConnectionState.READY)
    created_date_time = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "connection_id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "connection_id"], name="external_connection_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:  # what the audit log names it by
        return f"{self.name} ({self.connection_id})"


class ExternalGroup(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    connection = models.ForeignKey(
        ExternalConnection, on_delete=models.CASCADE, related_name="external_groups"
    )
    group_id = models.CharField(max_length=128)  # Graph's id, unique in the connection
    display_name = models.CharField(max_length=256, blank=True)
    description = models.TextField(blank=True)
    created_date_time = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["group_id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "group_id"], name="external_group_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.group_id

    @property
    def tenant_id(self):
        return self.connection.tenant_id


class ExternalGroupMember(models.Model):
    """One member of an external group: a directory user, a directory group or another external group."""

    group = models.ForeignKey(ExternalGroup, on_delete=models.CASCADE, related_name="members")
    member_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    member_group = models.ForeignKey(
        "groups.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    member_external = models.ForeignKey(
        ExternalGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="member_of"
    )
    created_date_time = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(member_user__isnull=False, member_group__isnull=True, member_external__isnull=True)
                    | Q(member_user__isnull=True, member_group__isnull=False, member_external__isnull=True)
                    | Q(member_user__isnull=True, member_group__isnull=True, member_external__isnull=False)
                ),
                name="external_member_one_kind",
            ),
            models.UniqueConstraint(
                fields=["group", "member_user"],
                condition=Q(member_user__isnull=False),
                name="external_member_user",
            ),
            models.UniqueConstraint(
                fields=["group", "member_group"],
                condition=Q(member_group__isnull=False),
                name="external_member_group",
            ),
            models.UniqueConstraint(
                fields=["group", "member_external"],
                condition=Q(member_external__isnull=False),
                name="external_member_external",
            ),
        ]
        indexes = [
            models.Index(fields=["member_user"], name="external_member_by_user"),
            models.Index(fields=["member_group"], name="external_member_by_group"),
            models.Index(fields=["member_external"], name="external_member_by_external"),
        ]

    def __str__(self) -> str:
        return f"{self.member_kind} {self.member_key} in {self.group_id}"

    @property
    def member_kind(self) -> str:
        if self.member_user_id is not None:
            return "user"
        return "group" if self.member_group_id is not None else "externalGroup"

    @property
    def member_key(self) -> str:
        """Graph's id of the member: an object id, or the external group's own id."""
        if self.member_external_id is not None:
            return self.member_external.group_id
        return str(self.member_user_id or self.member_group_id)


class ContentType(models.TextChoices):
    TEXT = "text", "Text"
    HTML = "html", "HTML"


class ExternalItem(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    connection = models.ForeignKey(ExternalConnection, on_delete=models.CASCADE, related_name="items")
    item_id = models.CharField(max_length=128)
    properties = models.JSONField(default=dict, blank=True)
    content_type = models.CharField(max_length=8, choices=ContentType.choices, default=ContentType.TEXT)
    content_value = models.TextField(blank=True)
    # The lower-cased words search matches: title, property values and the content's text.
    search_text = models.TextField(blank=True)
    created_date_time = models.DateTimeField(default=timezone.now)
    last_modified_date_time = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["item_id"]
        constraints = [models.UniqueConstraint(fields=["connection", "item_id"], name="external_item_unique")]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        title = self.properties.get("title") if isinstance(self.properties, dict) else None
        return str(title) if title not in (None, "") else self.item_id

    @property
    def display_name(self) -> str:
        return self.title


class AccessType(models.TextChoices):
    GRANT = "grant", "Grant"
    DENY = "deny", "Deny"


class AclType(models.TextChoices):
    USER = "user", "User"
    GROUP = "group", "Group"
    EVERYONE = "everyone", "Everyone"
    EVERYONE_EXCEPT_GUESTS = "everyoneExceptGuests", "Everyone except guests"
    EXTERNAL_GROUP = "externalGroup", "External group"


class ExternalAclEntry(models.Model):
    """One entry of an item's ACL, in the order sent. ``value``: an object id (lower-case, for user and
    group), an external group's id, or nothing for everyone / everyoneExceptGuests."""

    item = models.ForeignKey(ExternalItem, on_delete=models.CASCADE, related_name="acl_entries")
    position = models.PositiveSmallIntegerField(default=0)
    access_type = models.CharField(max_length=8, choices=AccessType.choices)
    type = models.CharField(max_length=24, choices=AclType.choices)
    value = models.CharField(max_length=128, blank=True)
    identity_source = models.CharField(max_length=24, blank=True)

    class Meta:
        ordering = ["item", "position"]
        indexes = [models.Index(fields=["type", "value"], name="external_acl_by_principal")]

    def __str__(self) -> str:
        return f"{self.access_type} {self.type} {self.value}"
