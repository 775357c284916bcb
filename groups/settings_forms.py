"""The forms of /settings/groups/: one section of the tenant-wide group settings each."""

from __future__ import annotations

import re

from django import forms
from django.db.models import Q
from django.urls import reverse_lazy

from groups.models import Group
from groups.naming import unknown_tokens_error
from groups.services.settings import settings_snapshot
from portal import roles
from portal.models import (
    AllowInvitesFrom,
    CollaborationRestriction,
    ExpirationScope,
    GuestUserRole,
    OwnerAssigners,
)

# --- tenant-wide group settings (/settings/groups/) --------------------------------------------

DOMAIN_RE = re.compile(r"^(?=.{1,253}$)[a-z0-9-]+(\.[a-z0-9-]+)+$")


class YesNoField(forms.TypedChoiceField):
    """Entra's Yes/No toggles, as two radio buttons."""

    widget = forms.RadioSelect

    def __init__(self, **kwargs) -> None:
        super().__init__(
            choices=[(True, "Yes"), (False, "No")],
            coerce=lambda value: value in (True, "True"),
            empty_value=None,
            **kwargs,
        )


class GroupByNameField(forms.CharField):
    """A group of the tenant named by its display name or alias (a select would list every group)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 256)
        super().__init__(**kwargs)
        self.tenant = None

    def prepare_value(self, value):
        return getattr(value, "display_name", value)

    def clean(self, value):
        text = super().clean(value).strip()
        if not text:
            return None
        matches = list(
            Group.objects.for_tenant(self.tenant)
            .alive()
            .filter(Q(display_name__iexact=text) | Q(mail_nickname__iexact=text))[:2]
        )
        if not matches:
            raise forms.ValidationError(f"No group named “{text}” in your organization.")
        if len(matches) > 1:
            raise forms.ValidationError(f"Several groups are named “{text}”: use the group's alias.")
        return matches[0]


class SettingsSectionForm(forms.Form):
    """One section of the settings page; saved on its own (one htmx request per section)."""

    key = ""
    title = ""
    # field name → its effect in one sentence; for Yes/No and choices, one sentence per value.
    effects: dict[str, str | dict] = {}
    # A tenant permission needed beyond updating group settings (the view sets ``editable``).
    extra_right = ""
    editable = False

    def __init__(self, *args, tenant, settings, **kwargs) -> None:
        initial = {name: getattr(settings, name) for name in self.base_fields}
        super().__init__(*args, initial=initial, **kwargs)
        self.settings = settings
        self.snapshot = settings_snapshot(settings, self.base_fields)
        for field in self.fields.values():
            if isinstance(field, GroupByNameField):
                field.tenant = tenant

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields}

    def effect(self, name: str) -> str:
        effect = self.effects.get(name, "")
        if isinstance(effect, dict):
            value = getattr(self.settings, name)
            return effect.get(value, "")
        return effect

    def rows(self):
        for bound in self:
            yield bound, self.effect(bound.name), isinstance(bound.field, YesNoField | forms.ChoiceField)


class SelfServiceSettingsForm(SettingsSectionForm):
    key, title = "self-service", "Self-service group management"
    owners_can_manage_requests = YesNoField(label="Owners can manage group membership requests in My Groups")
    restrict_my_groups = YesNoField(label="Restrict user ability to access groups features in My Groups")
    effects = {
        "owners_can_manage_requests": {
            True: "Owners approve or deny requests to join their groups in My Groups.",
            False: "Users can't ask to join groups that need approval, and owners see no requests to decide.",
        },
        "restrict_my_groups": {
            True: "Only administrators open My Groups; the API is not affected.",
            False: "Every user opens My Groups to see, join and manage their groups.",
        },
    }


class CreationSettingsForm(SettingsSectionForm):
    key, title = "creation", "Group creation"
    users_can_create_security_groups = YesNoField(
        label="Users can create security groups in portals, API or PowerShell"
    )
    users_can_create_m365_groups = YesNoField(
        label="Users can create Microsoft 365 groups in portals, API or PowerShell"
    )
    group_creation_allowed_group = GroupByNameField(
        label="Only members of this group may create Microsoft 365 groups (optional)"
    )
    effects = {
        "users_can_create_security_groups": {
            True: "Every member user can create security groups and becomes their first owner.",
            False: "Users can't create security groups or change the ones they own, but still manage "
            "their members and approve requests.",
        },
        "users_can_create_m365_groups": {
            True: "Member users can create Microsoft 365 groups (limited to the group below, if one is set).",
            False: "Users can't create Microsoft 365 groups or change the ones they own, but still manage "
            "their members and approve requests.",
        },
        "group_creation_allowed_group": "When set, only its members (and administrators) create Microsoft 365 "
        "groups; empty means every member user.",
    }


class OwnershipSettingsForm(SettingsSectionForm):
    key, title = "ownership", "Owners and guests"
    owners_who_can_assign_owners = forms.ChoiceField(
        label="Owners who can assign members as group owners",
        choices=OwnerAssigners.choices,
        widget=forms.RadioSelect,
    )
    owner_assigners_group = GroupByNameField(label="Group of the owners who may (with “Selected”)")
    allow_guests_to_be_group_owner = YesNoField(label="Guests can be group owners")
    allow_to_add_guests = YesNoField(label="Members can add guests")
    allow_guests_to_access_groups = YesNoField(label="Guests can access group content")
    effects = {
        "owners_who_can_assign_owners": {
            OwnerAssigners.ALL: "Every group owner can make members owners.",
            OwnerAssigners.SELECTED: "Only owners who are members of the group below can make members owners.",
            OwnerAssigners.NONE: "Only administrators can add owners to groups.",
        },
        "owner_assigners_group": "Used with “Selected”: its members may make members of their groups owners.",
        "allow_guests_to_be_group_owner": {
            True: "Guests can be made owners of groups.",
            False: "Guests can't be made group owners.",
        },
        "allow_to_add_guests": {
            True: "Owners can add guests to Microsoft 365 groups.",
            False: "Only administrators add guests to groups.",
        },
        "allow_guests_to_access_groups": {
            True: "Guests see the groups they may read and use the content of groups they belong to.",
            False: "Guests can't browse or join groups; only their memberships remain.",
        },
    }


class GuidanceSettingsForm(SettingsSectionForm):
    key, title = "guidance", "Usage guidelines and classification"
    usage_guidelines_url = forms.URLField(label="Usage guidelines URL", required=False, assume_scheme="https")
    guest_usage_guidelines_url = forms.URLField(
        label="Guest usage guidelines URL", required=False, assume_scheme="https"
    )
    classification_list = forms.CharField(
        label="Classification list", required=False, max_length=1024, help_text="Comma-separated."
    )
    default_classification = forms.CharField(label="Default classification", required=False, max_length=64)
    classification_descriptions = forms.CharField(
        label="Classification descriptions",
        required=False,
        max_length=2048,
        help_text="Comma-separated Value:Description pairs.",
    )
    enable_mip_labels = YesNoField(label="Sensitivity labels for Microsoft 365 groups", required=False)
    effects = {
        "usage_guidelines_url": "A link to this page is shown on the create form and on every group page.",
        "guest_usage_guidelines_url": "Kept for Graph clients (GuestUsageGuidelinesUrl); no page shows it yet.",
        "classification_list": "The values owners and administrators choose from to classify a group.",
        "default_classification": "Given to new groups whose creator picks no classification.",
        "classification_descriptions": "Kept for Graph clients (ClassificationDescriptions).",
        "enable_mip_labels": {
            True: "Kept for Graph clients (EnableMIPLabels); Groupdesk has no sensitivity labels to apply.",
            False: "Groups carry no sensitivity labels.",
        },
    }

    def clean(self):
        data = super().clean()
        values = [c.strip() for c in (data.get("classification_list") or "").split(",") if c.strip()]
        if any(len(v) > 64 for v in values):
            self.add_error("classification_list", "Each classification is at most 64 characters.")
        default = data.get("default_classification") or ""
        if default and default not in values:
            self.add_error("default_classification", "Choose one of the classifications in the list.")
        data["classification_list"] = ", ".join(dict.fromkeys(values))
        if data.get("enable_mip_labels") is None:  # not sent: unchanged
            data["enable_mip_labels"] = self.settings.enable_mip_labels
        return data


class NamingSettingsForm(SettingsSectionForm):
    key, title = "naming", "Naming policy"
    prefix_suffix_naming_requirement = forms.CharField(
        label="Group naming policy",
        required=False,
        max_length=256,
        help_text="Fixed text and attributes around [GroupName], e.g. GRP_[Department]_[GroupName].",
        widget=forms.TextInput(
            attrs={
                "hx-get": reverse_lazy("settings_naming_preview"),
                "hx-trigger": "input changed delay:300ms",
                "hx-include": "[name=sample]",
                "hx-target": "#naming-preview",
                "hx-swap": "outerHTML",
            }
        ),
    )
    custom_blocked_words = forms.CharField(
        label="Custom blocked words",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line or comma-separated, up to 5,000.",
    )
    effects = {
        "prefix_suffix_naming_requirement": "Applied to the name and alias of groups that non-administrators "
        "create or rename; administrators are exempt.",
        "custom_blocked_words": "Names containing one of these words (whole word, any case) are refused "
        "for non-administrators.",
    }

    def clean_prefix_suffix_naming_requirement(self) -> str:
        value = self.cleaned_data["prefix_suffix_naming_requirement"].strip()
        if value and "[GroupName]" not in value:
            raise forms.ValidationError("The policy must contain [GroupName] where the typed name goes.")
        if problem := unknown_tokens_error(value):
            raise forms.ValidationError(problem)
        return value

    def clean_custom_blocked_words(self) -> str:
        raw = self.cleaned_data["custom_blocked_words"].replace("\n", ",")
        words = list(dict.fromkeys(w.strip() for w in raw.split(",") if w.strip()))
        if len(words) > 5000:
            raise forms.ValidationError(f"At most 5,000 blocked words ({len(words):,} given).")
        return "\n".join(words)


class ExpirationSettingsForm(SettingsSectionForm):
    key, title = "expiration", "Expiration"
    group_lifetime_days = forms.IntegerField(
        label="Group lifetime (in days)", required=False, min_value=30, max_value=36500
    )
    expiration_scope = forms.ChoiceField(
        label="Enable expiration for these Microsoft 365 groups",
        choices=ExpirationScope.choices,
        widget=forms.RadioSelect,
    )
    effects = {
        "group_lifetime_days": "Groups in scope expire this many days after creation or renewal unless renewed; "
        "owners are emailed 30, 15 and 1 days before.",
        "expiration_scope": {
            ExpirationScope.NONE: "No group expires.",
            ExpirationScope.SELECTED: "Only the Microsoft 365 groups selected for expiration expire.",
            ExpirationScope.ALL: "Every Microsoft 365 group expires when its lifetime ends.",
        },
    }

    def clean(self):
        data = super().clean()
        if data.get("expiration_scope") not in (None, ExpirationScope.NONE) and not data.get(
            "group_lifetime_days"
        ):
            self.add_error("group_lifetime_days", "Set a lifetime of at least 30 days to turn expiration on.")
        return data


class RequestsSettingsForm(SettingsSectionForm):
    key, title = "requests", "Requests and dynamic groups"
    request_expiry_days = forms.IntegerField(
        label="Pending requests expire after (days)", min_value=1, max_value=365
    )
    dynamic_failsafe_percent = forms.IntegerField(
        label="Dynamic membership failsafe (percent)", min_value=0, max_value=100
    )
    effects = {
        "request_expiry_days": "A request nobody decides within this many days expires and its requester is told.",
        "dynamic_failsafe_percent": "A rule change that would remove more than this share of a dynamic group's "
        "members is paused for review instead of applied.",
    }


class DirectoryAccessSettingsForm(SettingsSectionForm):
    """The directory read policy (portal.directory_policy): Global and Privileged Role Administrators."""

    key, title = "directory", "Directory access: users and guests"
    extra_right = roles.AUTHORIZATION_POLICY_UPDATE
    allowed_to_read_other_users = YesNoField(label="Members can read other users' basic profile")
    guest_user_role_id = forms.ChoiceField(
        label="Guest user access", choices=GuestUserRole.choices, widget=forms.RadioSelect
    )
    allow_invites_from = forms.ChoiceField(
        label="Guest invite restrictions",
        choices=AllowInvitesFrom.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    effects = {
        "allowed_to_read_other_users": {
            True: "Members list users and read their name, mail, job title, department and office; "
            "other attributes need a role.",
            False: "Users without a role read only their own profile (owners can't look people up to add).",
        },
        "guest_user_role_id": {
            GuestUserRole.SAME_AS_MEMBERS: "Guests read the directory as members do.",
            GuestUserRole.LIMITED: "Guests can't list users; they read the name, mail and user type of "
            "people they name, and non-hidden group memberships.",
            GuestUserRole.RESTRICTED: "Guests read only their own profile and the groups they belong to, "
            "without their members.",
        },
        "allow_invites_from": "Who may invite guests (Graph's allowInvitesFrom).",
    }

    def clean_allow_invites_from(self) -> str:
        # Not sent (a form of an older page): unchanged.
        return self.cleaned_data["allow_invites_from"] or self.settings.allow_invites_from


class ExternalCollaborationSettingsForm(SettingsSectionForm):
    """Entra's external collaboration settings (portal.guest_policy; who may invite is the directory
    section's allowInvitesFrom) and the guest lifecycle."""

    key, title = "guests", "External collaboration: inviting guests"
    extra_right = roles.AUTHORIZATION_POLICY_UPDATE
    collaboration_restriction = forms.ChoiceField(
        label="Collaboration restrictions", choices=CollaborationRestriction.choices, widget=forms.RadioSelect
    )
    collaboration_domains = forms.CharField(
        label="Domains (one per line)",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    guest_inactive_days = forms.IntegerField(
        label="Guests are inactive after this many days without signing in", min_value=1, max_value=3650
    )
    remove_guests_without_groups = YesNoField(
        label="Remove a guest from the organization when they leave their last group"
    )
    effects = {
        "collaboration_restriction": {
            CollaborationRestriction.ANY: "Any domain but your organization's own.",
            CollaborationRestriction.DENY: "Every domain but those listed (and their subdomains).",
            CollaborationRestriction.ALLOW: "Only the domains listed (and their subdomains).",
        },
        "guest_inactive_days": "Users › Guests lists guests who haven't signed in for this long, to disable "
        "or remove them.",
        "remove_guests_without_groups": {
            True: "A guest removed from their last group is deleted (restorable for 30 days).",
            False: "Guests stay in the organization when they leave their last group.",
        },
    }

    def clean_collaboration_domains(self) -> str:
        text = self.cleaned_data["collaboration_domains"]
        domains = [d.strip().lower().lstrip("@") for d in text.replace(",", "\n").splitlines() if d.strip()]
        bad = [d for d in domains if not DOMAIN_RE.match(d)]
        if bad:
            raise forms.ValidationError(f"Not a domain: {', '.join(bad[:5])}.")
        return "\n".join(dict.fromkeys(domains))


SETTINGS_SECTIONS: tuple[type[SettingsSectionForm], ...] = (
    SelfServiceSettingsForm,
    CreationSettingsForm,
    OwnershipSettingsForm,
    GuidanceSettingsForm,
    NamingSettingsForm,
    ExpirationSettingsForm,
    RequestsSettingsForm,
    DirectoryAccessSettingsForm,
    ExternalCollaborationSettingsForm,
)
