"""Audit events are written on every membership change: the table keeps only the indexes its reads use,
and its append-only guard survives the migration that dropped the others."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from portal.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db


def test_it_indexes_audit_events_by_tenant_and_time_only_together():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "portal_auditevent")
    indexed = [c["columns"] for c in constraints.values() if c["index"] and not c["primary_key"]]
    assert ["tenant_id", "activity_date_time"] in indexed
    assert ["tenant_id"] not in indexed and ["activity_date_time"] not in indexed


def test_it_indexes_the_activity_only_with_the_tenant():
    """Reads of the activity are by tenant; an index of it alone (and its LIKE twin) cost every INSERT."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "portal_auditevent")
    indexed = [c["columns"] for c in constraints.values() if c["index"] and not c["primary_key"]]
    assert ["tenant_id", "activity"] in indexed
    assert ["activity"] not in indexed


def test_it_still_refuses_to_change_an_audit_event(tenant):
    event = AuditEvent.objects.create(tenant=tenant, activity="Add user")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(activity="Nothing happened")
    factories.GroupFactory(tenant=tenant)  # the connection still works
