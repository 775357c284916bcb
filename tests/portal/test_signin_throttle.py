"""Sign-in throttling (issue 10, item 5): per (userPrincipalName, address) pair, 10 failures in a row, then
a refusal with the time to wait; audited once per refusal window."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.db.models import F
from django.urls import reverse

from portal.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LIMIT = 10


@pytest.fixture(autouse=True)
def _fresh_throttle(db):
    reset()
    yield
    reset()


@pytest.fixture
def member(member, settings):
    """The member with a fast password hash: these tests check many passwords."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    member.set_password(PASSWORD)
    member.save(update_fields=["password"])
    return member


def _try(client, upn: str, password: str, ip: str = "203.0.113.7", **extra):
    return client.post(reverse("login"), {"username": upn, "password": password}, REMOTE_ADDR=ip, **extra)


def _fail(client, upn: str, times: int, ip: str = "203.0.113.7", **extra) -> list[int]:
    return [_try(client, upn, "wrong-password", ip, **extra).status_code for _ in range(times)]


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_it_refuses_the_right_password_after_ten_failures_and_says_how_long_to_wait(client, member):
    assert _fail(client, member.user_principal_name, LIMIT - 1) == [200] * (LIMIT - 1)
    tenth = _try(client, member.user_principal_name, "wrong-password")
    assert tenth.status_code == 429 and "try again in 1 minute" in tenth.content.decode()

    response = _try(client, member.user_principal_name, PASSWORD)

    assert response.status_code == 429 and not _signed_in(client)
    body = response.content.decode()
    assert "Too many failed sign-ins for this account from your network address" in body
    assert "try again in" in body and 0 < int(response["Retry-After"]) <= 60
    assert 'name="username"' in body  # the sign-in form is still there


def test_it_counts_every_spelling_of_the_name_as_one_account(client, member):
    upn = member.user_principal_name
    _fail(client, upn.upper(), LIMIT // 2)
    _fail(client, f"  {upn.capitalize()} ", LIMIT // 2)
    assert _try(client, upn, PASSWORD).status_code == 429 and not _signed_in(client)


def test_it_still_lets_the_user_in_from_another_address(client, member):
    assert _fail(client, member.user_principal_name, LIMIT)[-1] == 429

    response = _try(client, member.user_principal_name, PASSWORD, ip="198.51.100.20")

    assert response.status_code == 302 and _signed_in(client)


def test_it_lets_the_pair_in_again_after_the_cool_off(client, member):
    _fail(client, member.user_principal_name, LIMIT)
    assert _try(client, member.user_principal_name, PASSWORD).status_code == 429
    # Sixty-one seconds later: the counted failures are that much older.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(seconds=61))

    response = _try(client, member.user_principal_name, PASSWORD)

    assert response.status_code == 302 and _signed_in(client)


def test_it_honours_a_shorter_cool_off_setting(client, member, settings):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=5)
    _fail(client, member.user_principal_name, LIMIT)
    refused = _try(client, member.user_principal_name, PASSWORD)
    assert refused.status_code == 429 and int(refused["Retry-After"]) <= 5
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(seconds=6))
    assert _try(client, member.user_principal_name, PASSWORD).status_code == 302


def test_it_starts_counting_again_after_a_successful_sign_in(client, member):
    upn = member.user_principal_name
    assert _fail(client, upn, LIMIT - 1) == [200] * (LIMIT - 1)
    assert _try(client, upn, PASSWORD).status_code == 302
    client.post(reverse("logout"))
    assert _fail(client, upn, LIMIT - 1) == [200] * (LIMIT - 1)
    assert _try(client, upn, "wrong-password").status_code == 429


def test_it_audits_a_burst_of_sixty_failures_with_a_bounded_number_of_rows(client, tenant, member):
    statuses = _fail(client, member.user_principal_name, 60)

    assert statuses == [200] * (LIMIT - 1) + [429] * (60 - LIMIT + 1)
    events = list(AuditEvent.objects.for_tenant(tenant).filter(activity="Sign-in").order_by("id"))
    assert [e.reason for e in events[:LIMIT]] == ["Wrong password."] * LIMIT
    assert len(events) == LIMIT + 1
    throttled = events[-1]
    assert throttled.result == "failure" and throttled.reason.startswith("Throttled:")
    assert throttled.after["ipAddress"] == "203.0.113.7" and throttled.after["throttledUntil"]
    assert throttled.actor_name == member.user_principal_name


def test_it_audits_each_refusal_window_once(client, tenant, member):
    _fail(client, member.user_principal_name, LIMIT + 5)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(seconds=61))
    _fail(client, member.user_principal_name, LIMIT + 5)

    events = AuditEvent.objects.for_tenant(tenant).filter(activity="Sign-in")
    assert events.filter(reason__startswith="Throttled:").count() == 2
    assert events.count() == 2 * (LIMIT + 1)


def test_it_counts_the_client_behind_a_trusted_proxy_not_the_proxy(client, member, settings):
    settings.GROUPDESK_TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.1"
    _fail(client, member.user_principal_name, LIMIT, ip=proxy, HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.66")
    assert (
        _try(
            client, member.user_principal_name, PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="192.0.2.66"
        ).status_code
        == 429
    )

    response = _try(client, member.user_principal_name, PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="192.0.2.10")

    assert response.status_code == 302 and _signed_in(client)
