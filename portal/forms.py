from __future__ import annotations

import copy

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from portal.models import User


class LoginForm(AuthenticationForm):
    """Django's sign-in form (fields ``username`` and ``password``), labelled as Entra labels it."""

    username = forms.CharField(
        label="User principal name",
        max_length=256,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "username", "placeholder": "someone@example.com"}
        ),
    )


# --- users (/users/<id>/edit/) -------------------------------------------------------------------


class UserEditForm(forms.ModelForm):
    """Validates an administrator's edit of a user; ``changes()`` feeds portal.services.user_update."""

    manager_upn = forms.CharField(label="Manager (userPrincipalName)", required=False, max_length=256)

    class Meta:
        model = User
        fields = [
            "display_name",
            "given_name",
            "surname",
            "mail",
            "user_type",
            "account_enabled",
            "job_title",
            "department",
            "company_name",
            "employee_id",
            "employee_type",
            "office_location",
            "street_address",
            "city",
            "state",
            "postal_code",
            "country",
            "usage_location",
            "mobile_phone",
            "business_phone",
        ]
        labels = {
            "display_name": "Display name",
            "given_name": "First name",
            "surname": "Last name",
            "mail": "Email",
            "user_type": "User type",
            "account_enabled": "Account enabled (can sign in)",
            "job_title": "Job title",
            "company_name": "Company name",
            "employee_id": "Employee ID",
            "employee_type": "Employee type",
            "office_location": "Office location",
            "street_address": "Street address",
            "state": "State or province",
            "postal_code": "Postal code",
            "country": "Country or region",
            "usage_location": "Usage location (two letters)",
            "mobile_phone": "Mobile phone",
            "business_phone": "Business phone",
        }

    def __init__(self, *args, instance, **kwargs) -> None:
        # Validation sets attributes on the instance: work on a copy so nothing changes before the service.
        super().__init__(*args, instance=copy.copy(instance), **kwargs)
        self.original = instance
        self.fields["manager_upn"].initial = (
            instance.manager.user_principal_name if instance.manager_id else ""
        )

    def clean_display_name(self) -> str:
        value = (self.cleaned_data.get("display_name") or "").strip()
        if not value:
            raise forms.ValidationError("A user needs a display name.")
        return value

    def clean_usage_location(self):
        value = (self.cleaned_data.get("usage_location") or "").strip().upper()
        if value and not (len(value) == 2 and value.isalpha()):
            raise forms.ValidationError("Use a two-letter country code, e.g. US.")
        return value or None

    def clean_manager_upn(self):
        upn = (self.cleaned_data.get("manager_upn") or "").strip().lower()
        if not upn:
            return None
        manager = (
            User.objects.for_tenant(self.original.tenant).filter(user_principal_name__iexact=upn).first()
        )
        if manager is None:
            raise forms.ValidationError(f"No user {upn} in your organization.")
        if manager.pk == self.original.pk:
            raise forms.ValidationError("A user can't be their own manager.")
        return manager

    def changes(self) -> dict:
        changes = {}
        for name in self.Meta.fields:
            value = self.cleaned_data.get(name)
            if isinstance(value, str):
                value = value.strip() or None
                if name == "display_name":
                    value = value or ""
            if getattr(self.original, name) != value:
                changes[name] = value
        if self.cleaned_data.get("manager_upn") != self.original.manager:
            changes["manager"] = self.cleaned_data.get("manager_upn")
        return changes
