"""A user or device → the rule language's Subject: what a rule may read about it (groups.rules.evaluator)."""

from __future__ import annotations

from typing import Any

from groups.models import Membership
from groups.rules.evaluator import Subject
from portal.models import AssignedPlan, Device, DeviceMultiValue, UserMultiValue


def subject_for(
    obj: Any, *, collections: bool = True, plans: bool = True, member_of: set | None = None
) -> Subject:
    """Everything a rule may read about ``obj``: its collections, plans and direct group memberships
    (the caller may skip what none of its rules read, and ``load`` it later; or pass the memberships it
    read already)."""
    subject = Subject(obj)
    subject.member_of = (
        member_of if member_of is not None else set(memberships(obj).values_list("group_id", flat=True))
    )
    load(subject, collections=collections, plans=plans)
    return subject


def memberships(obj: Any):
    """The direct memberships of a user or device, as a query."""
    return Membership.objects.filter(**{"member_device" if isinstance(obj, Device) else "member_user": obj})


def load(subject: Subject, *, collections: bool, plans: bool) -> None:
    """Read the subject's collections and plans (one query each)."""
    obj = subject.obj
    is_device = isinstance(obj, Device)
    if collections:
        values = (
            DeviceMultiValue.objects.filter(device=obj)
            if is_device
            else UserMultiValue.objects.filter(user=obj)
        ).values_list("attribute", "value")
        for attribute, value in values:
            subject.collections.setdefault(attribute, []).append(value)
    if plans and not is_device:
        subject.plans = list(AssignedPlan.objects.filter(user=obj))
