from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    """Django's sign-in form (fields ``username`` and ``password``), labelled as Entra labels it."""

    username = forms.CharField(
        label="User principal name",
        max_length=256,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "username", "placeholder": "someone@example.com"}
        ),
    )
