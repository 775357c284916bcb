"""Forms of the invitation pages: they validate input only; the services decide."""

from __future__ import annotations

from django import forms

from access_requests.invitations.services import MAX_GROUPS, MAX_MESSAGE


class InviteForm(forms.Form):
    email = forms.CharField(label="Email address", max_length=254)
    display_name = forms.CharField(label="Display name", max_length=256, required=False)
    groups = forms.CharField(
        label="Add to groups (one name, alias or id per line)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    message = forms.CharField(
        label="Personal message",
        required=False,
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    send_email = forms.BooleanField(label="Send an invitation email", required=False, initial=True)

    def group_names(self) -> list[str]:
        names = [n.strip() for n in self.cleaned_data["groups"].splitlines() if n.strip()]
        if len(names) > MAX_GROUPS:
            raise forms.ValidationError(f"Invite into at most {MAX_GROUPS} groups at once.")
        return names


class RedeemForm(forms.Form):
    password1 = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        max_length=128,
    )
    password2 = forms.CharField(
        label="Type it again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        max_length=128,
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return data
