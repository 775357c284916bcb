"""Filters of the My Groups lists (django-filter), applied to the querysets of access_requests.selectors."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from access_requests.models import JoinRequest, RequestStatus
from groups.models import Group, GroupKind, MembershipType


class MyGroupsFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="search", max_length=256)
    kind = django_filters.ChoiceFilter(label="Kind", choices=GroupKind.choices, empty_label="Any kind")
    membership_type = django_filters.ChoiceFilter(
        label="Membership type", choices=MembershipType.choices, empty_label="Any membership type"
    )

    class Meta:
        model = Group
        fields = ["q", "kind", "membership_type"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(display_name__icontains=value)
            | Q(mail_nickname__icontains=value)
            | Q(description__icontains=value)
        )


class MyRequestsFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label="Status", choices=RequestStatus.choices, empty_label="Any status"
    )

    class Meta:
        model = JoinRequest
        fields = ["status"]
