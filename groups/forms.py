"""Forms of the admin group pages: create (adapts to the kind chosen) and the settings tab.

Forms only validate and resolve names to objects; the services decide and change.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse

from groups.authz import GroupSpec
from groups.models import CreatedIn, Group, GroupKind, JoinPolicy, MembershipType, Visibility
from groups.naming import MAX_MAIL_NICKNAME, policy_for, resolve_names
from groups.rules import RuleSyntaxError, parse
from groups.services import default_join_policy
from portal.authz import can, decide
from portal.models import User
from portal.selectors import directory_resolve, kinds_phrase

MAX_INITIAL_LINES = 500
# Which kinds hold which members (seed 000's table): Microsoft 365 groups hold users only.
MEMBER_TYPES = {
    GroupKind.SECURITY: "users, groups, devices and service principals",
    GroupKind.MAIL_ENABLED_SECURITY: "users, groups, devices and service principals",
    GroupKind.MICROSOFT_365: "users only",
    GroupKind.DISTRIBUTION: "users and groups",
}
_ALL_KINDS = ("user", "group", "device", "servicePrincipal")
MEMBER_KINDS = {  # the same table, as the directory's kinds of object (portal.selectors)
    GroupKind.SECURITY: _ALL_KINDS,
    GroupKind.MAIL_ENABLED_SECURITY: _ALL_KINDS,
    GroupKind.MICROSOFT_365: ("user",),
    GroupKind.DISTRIBUTION: ("user", "group"),
}
SELF_SERVICE_KINDS = (GroupKind.SECURITY, GroupKind.MICROSOFT_365)


def live_preview(field: forms.Field, *, include: str, rename: bool = False) -> None:
    """Ask for the naming policy's preview as the person types (debounced); the form works without it."""
    field.widget.attrs.update(
        {
            "hx-get": reverse("group_name_preview"),
            "hx-trigger": "input changed delay:300ms",
            "hx-target": "#name-preview",
            "hx-swap": "outerHTML",
            "hx-include": include,
            "aria-describedby": "name-preview",
            "autocomplete": "off",
        }
    )
    if rename:
        field.widget.attrs["hx-vals"] = '{"rename": "1"}'


def creatable_kinds(actor: User) -> list[tuple[str, str]]:
    """The kinds the actor may create (asked of portal.authz), in the catalog's order."""
    kinds = []
    for kind, label in GroupKind.choices:
        spec = GroupSpec(kind=kind)
        if can(actor, "create", spec) or can(actor, "createAsOwner", spec):
            kinds.append((kind, label))
    return kinds


def validate_membership_rule(text: str) -> str | None:
    """The rule engine's verdict on a rule (what is wrong and where), or None when it accepts it."""
    try:
        parse(text)
    except RuleSyntaxError as exc:
        return str(exc)
    return None


def _lines(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for line in text.replace(",", "\n").replace(";", "\n").splitlines():
        if line.strip():
            seen.setdefault(line.strip(), None)
    return list(seen)


class GroupCreateForm(forms.Form):
    required_css_class = "required"  # label_tag marks required fields (site.css adds the mark)
    kind = forms.ChoiceField(label="Group type")
    display_name = forms.CharField(label="Group name", max_length=256)
    mail_nickname = forms.CharField(
        label="Alias",
        max_length=MAX_MAIL_NICKNAME,
        required=False,
        help_text="Letters, digits, dots, hyphens and underscores. Left empty, one is made from the name.",
    )
    description = forms.CharField(
        label="Description", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    visibility = forms.ChoiceField(label="Visibility", choices=Visibility.choices)
    has_team = forms.BooleanField(label="Create a team for this group", required=False)
    membership_type = forms.ChoiceField(
        label="Membership type", choices=MembershipType.choices, required=False
    )
    membership_rule = forms.CharField(
        label="Dynamic membership rule",
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        required=False,
        help_text='For example: user.department -eq "Marketing"',
    )
    join_policy = forms.ChoiceField(label="Who can join", choices=JoinPolicy.choices)
    classification = forms.ChoiceField(label="Classification", required=False)
    is_assignable_to_role = forms.BooleanField(
        label="Microsoft Entra roles can be assigned to the group",
        required=False,
        help_text="Set at creation only; it can never be changed later.",
    )
    owners = forms.CharField(
        label="Owners",
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        required=False,
        help_text="One per line: a name, userPrincipalName, mail or object id.",
    )
    members = forms.CharField(
        label="Members",
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        required=False,
    )

    def __init__(self, *args: Any, actor: User, created_in: str, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.created_in = created_in
        self.tenant = actor.tenant
        self.settings = actor.tenant.group_settings
        kinds = creatable_kinds(actor)
        self.fields["kind"].choices = kinds
        source = self.data if self.is_bound else self.initial
        chosen = source.get("kind")
        self.kind = chosen if chosen in dict(kinds) else (kinds[0][0] if kinds else GroupKind.SECURITY)
        self.fields["kind"].initial = self.kind
        self.policy, self.exempt = policy_for(actor)
        self.dynamic = source.get("membership_type") == MembershipType.DYNAMIC
        self._adapt_to_kind()
        live_preview(self.fields["display_name"], include="#id_mail_nickname")
        live_preview(self.fields["mail_nickname"], include="#id_display_name")

    # --- the fields each kind shows -------------------------------------------------------------
    def _adapt_to_kind(self) -> None:
        self._adapt_addressing()
        self._adapt_membership()
        self._adapt_policies()

    def _adapt_addressing(self) -> None:
        """The alias is an email address, and Microsoft 365 groups have a privacy and a team."""
        kind, fields = self.kind, self.fields
        if kind in (GroupKind.MICROSOFT_365, GroupKind.MAIL_ENABLED_SECURITY, GroupKind.DISTRIBUTION):
            fields["mail_nickname"].label = "Email alias"
            fields["mail_nickname"].help_text = (
                f"The group's address: alias@{self.tenant.default_domain}. "
                "Letters, digits, dots, hyphens and underscores."
            )
        if kind == GroupKind.MICROSOFT_365:
            fields["visibility"].label = "Privacy"
            fields["visibility"].choices = [(Visibility.PUBLIC, "Public"), (Visibility.PRIVATE, "Private")]
        else:
            del fields["has_team"]

    def _adapt_membership(self) -> None:
        """A membership type where the actor may make a dynamic group; then a rule box or a members box."""
        kind, fields = self.kind, self.fields
        dynamic_ok = kind in SELF_SERVICE_KINDS and (
            can(self.actor, "create", GroupSpec(kind=kind, membership_type=MembershipType.DYNAMIC))
            or can(self.actor, "createAsOwner", GroupSpec(kind=kind, membership_type=MembershipType.DYNAMIC))
        )
        if not dynamic_ok:
            self.dynamic = False
            del fields["membership_type"]
        else:
            # Choosing the membership type swaps the rule box in or the members box out (htmx).
            fields["membership_type"].widget.attrs.update(
                {
                    "hx-get": reverse(
                        "my_group_new" if self.created_in == CreatedIn.MY_GROUPS else "group_new"
                    ),
                    "hx-trigger": "change",
                    "hx-target": "#kind-fields",
                    "hx-swap": "outerHTML",
                    "hx-include": "#kind-fields, #id_kind",
                }
            )
        if self.dynamic:
            del fields["members"]
            return
        del fields["membership_rule"]
        fields["members"].help_text = (
            f"{GroupKind(kind).label} groups hold {MEMBER_TYPES[GroupKind(kind)]}. One per line: "
            + (
                "a name, userPrincipalName, mail or object id."
                if kind == GroupKind.MICROSOFT_365
                else "a user's name or userPrincipalName, a group's name or alias, a device's or an app's "
                "name, or an object id."
            )
        )

    def _adapt_policies(self) -> None:
        """Join policy (self-service kinds only), classification (when the tenant has a list), and
        role-assignable (for those who may create such a group)."""
        kind, fields = self.kind, self.fields
        if kind in SELF_SERVICE_KINDS and not self.dynamic:  # a dynamic group's rule decides who joins
            choices = list(JoinPolicy.choices)
            if not self.tenant.is_premium:
                choices = [c for c in choices if c[0] != JoinPolicy.OWNER_APPROVAL]
            fields["join_policy"].choices = choices
            fields["join_policy"].initial = default_join_policy(kind=kind, created_in=self.created_in)
        else:
            del fields["join_policy"]  # no self-service for mail-enabled security, distribution, dynamic
        if self.settings.classifications:
            fields["classification"].choices = [("", "None")] + [
                (c, c) for c in self.settings.classifications
            ]
            fields["classification"].initial = self.settings.default_classification
        else:
            del fields["classification"]
        role_ok = kind in SELF_SERVICE_KINDS and can(
            self.actor, "create", GroupSpec(kind=kind, is_assignable_to_role=True)
        )
        if not role_ok:
            del fields["is_assignable_to_role"]

    @property
    def chosen_kind(self) -> str:
        """The kind the form is built for. (In a template ``form.kind`` is the bound field, not this.)"""
        return self.kind

    @property
    def kind_label(self) -> str:
        return GroupKind(self.kind).label

    @property
    def is_m365(self) -> bool:
        return self.kind == GroupKind.MICROSOFT_365

    def names(self, data: dict | None = None):
        data = data if data is not None else self.cleaned_data
        return resolve_names(
            policy=self.policy,
            user=self.actor,
            display_name=data.get("display_name") or "",
            mail_nickname=data.get("mail_nickname") or "",
            exempt=self.exempt,
        )

    # --- validation -------------------------------------------------------------------------------
    def clean_mail_nickname(self) -> str:
        alias = self.cleaned_data.get("mail_nickname", "").strip()
        if not alias and self.kind != GroupKind.SECURITY:
            raise forms.ValidationError("Enter an email alias.")
        return alias

    def clean_owners(self) -> list[User]:
        entries = _lines(self.cleaned_data.get("owners", ""))
        if len(entries) > 100:
            raise forms.ValidationError("A group can have at most 100 owners.")
        return self._resolve(entries, ("user",))

    def clean_members(self) -> list[Any]:
        entries = _lines(self.cleaned_data.get("members", ""))
        if len(entries) > MAX_INITIAL_LINES:
            raise forms.ValidationError(
                f"Add at most {MAX_INITIAL_LINES} members here; add more from the group's members tab."
            )
        return self._resolve(entries, MEMBER_KINDS[GroupKind(self.kind)])

    def _resolve(self, entries: list[str], kinds: tuple[str, ...]) -> list[Any]:
        """Each line names one object exactly, as the members tab's add box resolves it: a display name,
        userPrincipalName, mail, group alias or object id (any case)."""
        named = directory_resolve(self.tenant, entries, kinds) if entries else {}
        found, problems = [], []
        for entry in entries:
            hits = named[entry]
            if len(hits) == 1:
                found.append(hits[0].obj)
            elif hits:
                which = "; ".join(f"{h.name} ({h.detail})" for h in hits)
                problems.append(
                    f"“{entry}” names {len(hits)} objects ({which}): use a userPrincipalName or id"
                )
            else:
                problems.append(f"“{entry}” isn't a {kinds_phrase(kinds)} of your organization")
        if problems:
            raise forms.ValidationError("Can't add: " + "; ".join(problems) + ".")
        return found

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        membership_type = data.get("membership_type") or MembershipType.ASSIGNED
        data["membership_type"] = membership_type
        spec = GroupSpec(
            kind=self.kind,
            membership_type=membership_type,
            is_assignable_to_role=bool(data.get("is_assignable_to_role")),
        )
        decision = decide(self.actor, "createAsOwner", spec)
        if not decision:
            decision = decide(self.actor, "create", spec)
        if not decision:
            raise forms.ValidationError(decision.reason)
        if membership_type == MembershipType.DYNAMIC:
            rule = (data.get("membership_rule") or "").strip()
            if not rule:
                self.add_error("membership_rule", "A dynamic group needs a membership rule.")
            elif problem := validate_membership_rule(rule):
                self.add_error("membership_rule", problem)
            if data.get("members"):
                self.add_error("members", "A dynamic group's members come from its rule: leave this empty.")
            if data.get("is_assignable_to_role"):
                self.add_error(
                    "is_assignable_to_role", "Role-assignable groups can't have dynamic membership."
                )
        else:
            data["membership_rule"] = ""
        if "display_name" in data:
            names = self.names(data)
            for field, messages in names.errors.items():
                for message in messages:
                    if field in self.fields and field not in self.errors:
                        self.add_error(field, message)
            if (
                names.ok
                and not names.alias_derived
                and Group.objects.for_tenant(self.tenant)
                .filter(mail_nickname__iexact=names.mail_nickname)
                .exists()
            ):
                self.add_error(
                    "mail_nickname", f"The alias “{names.mail_nickname}” is already used by another group."
                )
        return data

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        arguments = {
            "display_name": data["display_name"],
            "mail_nickname": data.get("mail_nickname", ""),
            "kind": self.kind,
            "membership_type": data["membership_type"],
            "membership_rule": data.get("membership_rule", ""),
            "description": data.get("description", ""),
            "visibility": data["visibility"],
            "join_policy": data.get("join_policy") or JoinPolicy.CLOSED,
            "is_assignable_to_role": bool(data.get("is_assignable_to_role")),
            "classification": data.get("classification", "") or "",
            "has_team": bool(data.get("has_team")),
            "created_in": self.created_in,
            "owners": data.get("owners", []),
            "members": data.get("members", []),
        }
        return arguments


class GroupSettingsForm(forms.Form):
    required_css_class = "required"
    """The settings tab: the properties an owner or administrator edits after creation."""

    display_name = forms.CharField(label="Group name", max_length=256)
    description = forms.CharField(
        label="Description", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    classification = forms.ChoiceField(label="Classification", required=False)
    join_policy = forms.ChoiceField(label="Who can join", choices=JoinPolicy.choices)
    visibility = forms.ChoiceField(label="Visibility", choices=Visibility.choices)
    expiration_selected = forms.BooleanField(
        label="Include this group in the expiration policy",
        required=False,
        help_text="Your organization's expiration policy applies to selected Microsoft 365 groups.",
    )

    def __init__(self, *args: Any, actor: User, group: Group, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "display_name": group.display_name,
                "description": group.description,
                "classification": group.classification,
                "join_policy": group.join_policy,
                "visibility": group.visibility,
                "expiration_selected": group.expiration_selected,
            },
        )
        self.policy, self.exempt = policy_for(actor)
        self.typed_name = group.display_name if self.exempt else self.policy.strip(group.display_name, actor)
        kwargs["initial"]["display_name"] = self.typed_name
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.actor, self.group = actor, group
        settings = actor.tenant.group_settings
        fields = self.fields
        self.read_only = not can(actor, "basic/update", group)
        if settings.classifications and can(actor, "classification/update", group):
            fields["classification"].choices = [("", "None")] + [(c, c) for c in settings.classifications]
            if group.classification and group.classification not in settings.classifications:
                # A value the tenant has since dropped from its list stays until someone changes it.
                fields["classification"].choices.append((group.classification, group.classification))
        else:
            del fields["classification"]
        if group.self_service_available and group.kind in SELF_SERVICE_KINDS:
            choices = list(JoinPolicy.choices)
            if not actor.tenant.is_premium and group.join_policy != JoinPolicy.OWNER_APPROVAL:
                choices = [c for c in choices if c[0] != JoinPolicy.OWNER_APPROVAL]
            fields["join_policy"].choices = choices
        else:
            del fields["join_policy"]
        if group.visibility == Visibility.HIDDEN_MEMBERSHIP:
            # Graph: hidden membership is chosen at creation and never changed.
            del fields["visibility"]
        else:
            fields["visibility"].choices = [(Visibility.PUBLIC, "Public"), (Visibility.PRIVATE, "Private")]
            if group.kind == GroupKind.MICROSOFT_365:
                fields["visibility"].label = "Privacy"
        if not (
            settings.expiration_scope == "selected"
            and group.kind == GroupKind.MICROSOFT_365
            and not group.is_synced
            and can(actor, "allProperties/update", group)
        ):
            del fields["expiration_selected"]
        if self.read_only:
            for field in fields.values():
                field.disabled = True
        else:
            live_preview(fields["display_name"], include="#id_display_name", rename=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "display_name" in data and data["display_name"].strip() != self.typed_name:
            names = resolve_names(
                policy=self.policy,
                user=self.actor,
                display_name=data["display_name"],
                mail_nickname=self.group.mail_nickname,
                exempt=self.exempt,
                rename=True,
            )
            for message in names.errors.get("display_name", []):
                self.add_error("display_name", message)
        return data

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        changed = {name: data[name] for name in self.fields if name in data}
        if "display_name" in changed:
            # What the person typed: group_update puts the naming policy's prefix and suffix around it.
            changed["display_name"] = changed["display_name"].strip()
            if changed["display_name"] == self.typed_name:
                del changed["display_name"]
        return changed


def created_in_for(path_name: str) -> str:
    return CreatedIn.MY_GROUPS if path_name == "my_group_new" else CreatedIn.ADMIN
