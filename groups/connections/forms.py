"""Forms of the connection pages: they only read the fields; the services validate (Graph's rules)."""

from __future__ import annotations

from django import forms


class ConnectionForm(forms.Form):
    connection_id = forms.CharField(
        label="Connection id", max_length=64, help_text="3 to 32 letters and digits, e.g. contosohr."
    )
    name = forms.CharField(label="Name", max_length=200)
    description = forms.CharField(label="Description", required=False, max_length=4000)


class ExternalGroupForm(forms.Form):
    group_id = forms.CharField(
        label="External group id",
        max_length=200,
        help_text="Up to 128 of A-Z a-z 0-9 - _ (unique in the connection).",
    )
    display_name = forms.CharField(label="Display name", required=False, max_length=256)
    description = forms.CharField(label="Description", required=False, max_length=4000)


class MemberForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind",
        choices=[("user", "Person"), ("group", "Directory group"), ("externalGroup", "External group")],
    )
    value = forms.CharField(
        label="Who",
        max_length=256,
        help_text="A userPrincipalName, a group's name, an external group's id, or an object id.",
    )


class CheckUserForm(forms.Form):
    user = forms.CharField(label="Person", max_length=256, help_text="A userPrincipalName or an object id.")
