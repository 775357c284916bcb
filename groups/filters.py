"""Filters of the admin list of groups (/groups/): every value lives in the URL's query string."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from groups.models import GroupKind, JoinPolicy, MembershipType, Visibility
from portal.models import Source

VIEWS = [("", "Groups"), ("deleted", "Deleted groups")]
# (query value, label, ordering expression): the sortable columns.
SORTS = [
    ("name", "Name", "display_name"),
    ("kind", "Kind", "kind"),
    ("members", "Members", "member_count"),
    ("owners", "Owners", "owner_count"),
    ("created", "Created", "created_date_time"),
    ("deleted", "Deleted", "deleted_date_time"),
]


class GroupFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search",
        label="Search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name, alias or description"}),
    )
    kind = django_filters.ChoiceFilter(choices=GroupKind.choices, empty_label="Any kind")
    membership_type = django_filters.ChoiceFilter(
        choices=MembershipType.choices, empty_label="Any membership type", label="Membership type"
    )
    source = django_filters.ChoiceFilter(choices=Source.choices, empty_label="Cloud and synced")
    join_policy = django_filters.ChoiceFilter(
        choices=JoinPolicy.choices, empty_label="Any join policy", label="Join policy"
    )
    visibility = django_filters.ChoiceFilter(choices=Visibility.choices, empty_label="Any visibility")
    classification = django_filters.ChoiceFilter(choices=[], empty_label="Any classification")
    no_owner = django_filters.BooleanFilter(
        method="without_owner", label="Has no owner", widget=forms.CheckboxInput
    )
    view = django_filters.ChoiceFilter(choices=VIEWS[1:], method="noop", empty_label="Groups", label="Show")
    o = django_filters.OrderingFilter(
        fields=[(expr, value) for value, _, expr in SORTS], label="Sort by", widget=forms.HiddenInput
    )

    def __init__(self, *args, classifications: list[str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.form.label_suffix = ""
        self.filters["classification"].extra["choices"] = [(c, c) for c in classifications or []]
        self.form.fields["classification"].choices = [("", "Any classification")] + [
            (c, c) for c in classifications or []
        ]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(display_name__icontains=value)
            | Q(mail_nickname__icontains=value)
            | Q(description__icontains=value)
        )

    def without_owner(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        return queryset.filter(owner_count=0) if value else queryset

    def noop(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # the view (alive or deleted groups) picks the base queryset

    @property
    def showing_deleted(self) -> bool:
        return self.is_bound and self.form.is_valid() and self.form.cleaned_data.get("view") == "deleted"

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = queryset.deleted() if self.showing_deleted else queryset.alive()
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("o"):
            return queryset.order_by("-deleted_date_time" if self.showing_deleted else "display_name", "id")
        # Ties (the same member count ...) in a stable order, so no row shows on two pages.
        return queryset.order_by(*queryset.query.order_by, "display_name", "id")
