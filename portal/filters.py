"""django-filter sets for the portal's lists; applied in portal.selectors, never in views."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q

from portal.models import AuditEvent, Source, User, UserType

_YES_NO = [("true", "Yes"), ("false", "No")]


class AuditEventFilter(django_filters.FilterSet):
    # Any part of the activity's name, any case: matched against the tenant's few distinct activities,
    # then looked up exactly (``activity IN (...)``), which the (tenant, activity) index answers.
    activity = django_filters.CharFilter(label="Activity", method="filter_activity")
    actor = django_filters.CharFilter(label="Actor", method="filter_actor")
    target = django_filters.CharFilter(label="Target", method="filter_target")
    result = django_filters.ChoiceFilter(label="Result", choices=AuditEvent.Result.choices, empty_label="Any")
    date_from = django_filters.DateFilter(
        label="From",
        field_name="activity_date_time",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        label="To",
        field_name="activity_date_time",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditEvent
        fields: list[str] = []

    def __init__(self, *args, activities: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.activities = activities or []

    def filter_activity(self, queryset, name, value):
        text = value.strip().casefold()
        return queryset.filter(activity__in=[a for a in self.activities if text in a.casefold()])

    def filter_actor(self, queryset, name, value):
        return queryset.filter(Q(actor_name__icontains=value) | Q(actor_id=value))

    def filter_target(self, queryset, name, value):
        return queryset.filter(Q(target_name__icontains=value) | Q(target_id=value))


class UserFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="filter_text")
    department = django_filters.CharFilter(label="Department", lookup_expr="iexact")
    country = django_filters.CharFilter(label="Country or region", lookup_expr="iexact")
    user_type = django_filters.ChoiceFilter(label="User type", choices=UserType.choices, empty_label="Any")
    source = django_filters.ChoiceFilter(label="Source", choices=Source.choices, empty_label="Any")
    account_enabled = django_filters.ChoiceFilter(
        label="Account enabled", choices=_YES_NO, empty_label="Any", method="filter_enabled"
    )
    deleted = django_filters.ChoiceFilter(
        label="Deleted", choices=_YES_NO, empty_label="No", method="filter_deleted"
    )

    class Meta:
        model = User
        fields: list[str] = []

    def filter_text(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(display_name__icontains=value)
            | Q(user_principal_name__icontains=value)
            | Q(mail__icontains=value)
            | Q(job_title__icontains=value)
        )

    def filter_enabled(self, queryset, name, value):
        return queryset.filter(account_enabled=value == "true")

    def filter_deleted(self, queryset, name, value):
        return queryset.filter(deleted_date_time__isnull=value != "true")

    @property
    def qs(self):
        queryset = super().qs
        # Deleted users stay out of the list unless asked for, as in Entra's "Deleted users".
        if not (self.form.is_valid() and self.form.cleaned_data.get("deleted") in ("true", "false")):
            queryset = queryset.filter(deleted_date_time__isnull=True)
        return queryset
