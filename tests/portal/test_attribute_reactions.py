"""The services that change users and devices tell the registered reactions WHICH Graph properties
changed, so dynamic membership evaluates only the rules that read them (None: unknown or new)."""

from __future__ import annotations

import pytest

from portal.devices import devices_import
from portal.services import users as user_services
from portal.services import users_import
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def seen(monkeypatch):
    calls: list = []
    monkeypatch.setattr(
        user_services, "_attribute_reactions", [lambda **kw: calls.append((kw["objects"], kw["changed"]))]
    )
    return calls


def test_it_names_the_properties_a_user_edit_changed(tenant, admin_user, seen):
    person = factories.UserFactory(tenant=tenant, department="Sales", city="Paris")
    boss = factories.UserFactory(tenant=tenant)
    user_services.user_update(
        actor=admin_user,
        user=person,
        changes={"department": "HR", "city": "Paris", "office_location": "B2", "manager": boss},
    )
    assert seen == [([person], {"department", "officeLocation", "manager"})]


def test_it_names_what_an_import_changed_and_says_unknown_for_a_new_user(tenant, seen):
    factories.UserFactory(tenant=tenant, user_principal_name="bo@x.test", department="Sales")
    users_import(tenant=tenant, text="userPrincipalName,department,jobTitle\nbo@x.test,HR,Lead\n")
    assert seen[-1][1] == {"department", "jobTitle"}
    users_import(tenant=tenant, text="userPrincipalName,displayName,department\nnew@x.test,New,HR\n")
    assert seen[-1][1] is None


def test_it_names_what_a_device_import_changed(tenant, seen):
    devices_import(tenant=tenant, text="displayName,deviceOSType\nPHONE-1,iOS\n")
    assert seen[-1][1] is None  # a new device
    devices_import(tenant=tenant, text="displayName,deviceOSType,systemLabels\nPHONE-1,Android,Kiosk\n")
    assert seen[-1][1] == {"displayName", "operatingSystem", "systemLabels"}
