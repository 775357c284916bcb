from __future__ import annotations

from django import forms

from access_requests.models import JoinRequest
from access_requests.services import MAX_JUSTIFICATION, MAX_REASON


class JoinRequestForm(forms.Form):
    justification = forms.CharField(
        label="Why do you need to join?",
        max_length=MAX_JUSTIFICATION,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Owners see this when they decide.",
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("deny", "Deny")])
    reason = forms.CharField(
        label="Reason (optional)",
        max_length=MAX_REASON,
        required=False,
        widget=forms.Textarea(attrs={"rows": 1}),
    )

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == "approve"


class BulkDecisionForm(DecisionForm):
    """Several requests decided the same way; ``queryset`` scopes what may be named (the tenant's)."""

    requests = forms.ModelMultipleChoiceField(
        queryset=JoinRequest.objects.none(),
        error_messages={
            "required": "Select at least one request.",
            "invalid_choice": "A selected request doesn't exist any more. Reload the page.",
            "invalid_pk_value": "A selected request doesn't exist. Reload the page.",
        },
    )

    def __init__(self, *args, queryset, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["requests"].queryset = queryset


class LeaveForm(forms.Form):
    reason = forms.CharField(max_length=MAX_REASON, required=False)
