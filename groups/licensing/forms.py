from __future__ import annotations

from django import forms

from groups.licensing.models import SubscribedSku


class SubscribedSkuForm(forms.Form):
    sku_part_number = forms.RegexField(
        label="Product code",
        max_length=64,
        regex=r"^[A-Za-z0-9_]+$",
        error_messages={"invalid": "Use letters, digits and underscores, like ENTERPRISEPACK."},
    )
    display_name = forms.CharField(label="Product name", max_length=128)
    prepaid_units = forms.IntegerField(label="Units", min_value=0, max_value=10_000_000)


class GroupLicenseForm(forms.Form):
    """The licence; the group is named by the search box beside it (see groups.views.picker), never by
    a list of every group."""

    sku = forms.ModelChoiceField(queryset=SubscribedSku.objects.none(), label="License")

    def __init__(self, *args, tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sku"].queryset = SubscribedSku.objects.for_tenant(tenant)
