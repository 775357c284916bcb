from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from groups.naming import (
    MAX_BLOCKED_WORDS,
    NamingPolicy,
    find_blocked_words,
    parse_blocked_words,
    policy_for,
    resolve_names,
    to_alias,
)
from portal.models import TenantGroupSettings
from tests.factories import UserFactory


class Person:
    department = "Marketing"
    company_name = "Contoso"
    office_location = "Building 9"
    state = "WA"
    country = "United States"
    job_title = "Marketing Assistant"


POLICY = NamingPolicy("GRP_[Department]_[GroupName]_[CountryOrRegion]", ("payroll", "ceo office"))


def test_it_fills_every_attribute_token_from_the_creator():
    policy = NamingPolicy("[Company]-[Office]-[StateOrProvince]-[Title]-[GroupName]")
    assert policy.apply("Readers", Person()) == "Contoso-Building 9-WA-Marketing Assistant-Readers"


def test_it_puts_the_prefix_and_suffix_around_name_and_alias():
    names = resolve_names(
        policy=POLICY, user=Person(), display_name="Book Lovers", mail_nickname="books", exempt=False
    )
    assert names.ok and names.policy_applied
    assert names.display_name == "GRP_Marketing_Book Lovers_United States"
    assert names.mail_nickname == "GRP_Marketing_books_United-States"


def test_it_leaves_names_alone_for_administrators():
    names = resolve_names(
        policy=POLICY, user=Person(), display_name="Payroll", mail_nickname="payroll", exempt=True
    )
    assert names.ok and (names.display_name, names.mail_nickname) == ("Payroll", "payroll")


def test_it_treats_a_requirement_without_groupname_as_a_prefix_and_empty_attributes_as_empty():
    class Nobody:
        department = None

    assert NamingPolicy("Dept-[Department]-").apply("X", Nobody()) == "Dept--X"
    assert NamingPolicy("[Unknown]_[GroupName]").apply("X", Person()) == "[Unknown]_X"


def test_it_blocks_whole_words_case_insensitively_but_not_substrings():
    assert find_blocked_words("The PAYROLL team", ("payroll",)) == ["payroll"]
    assert find_blocked_words("Payrolls team", ("payroll",)) == []
    assert find_blocked_words("Class of 2026", ("lass",)) == []
    assert find_blocked_words("ceo  office x", ("CEO office",)) == []
    assert find_blocked_words("Visit the CEO Office", ("CEO office",)) == ["CEO office"]
    assert find_blocked_words("c++ fans", ("c++",)) == ["c++"]


def test_it_reports_blocked_words_in_the_typed_name_and_alias_only():
    names = resolve_names(
        policy=NamingPolicy("payroll_[GroupName]", ("payroll",)),
        user=Person(),
        display_name="Team",
        mail_nickname="team",
        exempt=False,
    )
    assert names.ok  # the prefix itself may hold a blocked word: the administrator chose it
    bad = resolve_names(policy=POLICY, user=Person(), display_name="Payroll", mail_nickname="x", exempt=False)
    assert "“payroll”" in bad.errors["display_name"][0]


def test_it_checks_5000_blocked_words_quickly():
    words = tuple(f"word{i}" for i in range(MAX_BLOCKED_WORDS - 1)) + ("secret plan",)
    assert find_blocked_words("a Word4999 and word42", words) == ["word42"]
    assert find_blocked_words("our Secret Plan", words) == ["secret plan"]


def test_it_refuses_more_than_5000_blocked_words():
    assert len(parse_blocked_words("a,b\nc")) == 3
    with pytest.raises(ValueError, match="5,000"):
        parse_blocked_words(",".join(f"w{i}" for i in range(MAX_BLOCKED_WORDS + 1)))


def test_it_limits_the_final_name_to_256_and_the_alias_to_64_ascii_characters():
    long = resolve_names(
        policy=POLICY, user=Person(), display_name="x" * 240, mail_nickname="ok", exempt=False
    )
    assert "256" in long.errors["display_name"][0]
    alias = resolve_names(
        policy=POLICY, user=Person(), display_name="x", mail_nickname="a" * 50, exempt=False
    )
    assert "64" in alias.errors["mail_nickname"][0]
    accented = resolve_names(
        policy=NamingPolicy(), user=Person(), display_name="x", mail_nickname="café", exempt=True
    )
    assert "unaccented" in accented.errors["mail_nickname"][0]


def test_it_derives_an_alias_that_fits_when_none_is_typed():
    names = resolve_names(
        policy=POLICY, user=Person(), display_name="Équipe " + "y" * 80, mail_nickname="", exempt=False
    )
    assert names.ok and names.alias_derived
    assert names.mail_nickname.startswith("GRP_Marketing_Equipe-yyy")
    assert names.mail_nickname.endswith("_United-States") and len(names.mail_nickname) == 64


def test_it_strips_the_users_own_affixes_to_show_the_typed_name():
    assert POLICY.strip("GRP_Marketing_Books_United States", Person()) == "Books"
    assert POLICY.strip("Someone else's name", Person()) == "Someone else's name"


@given(st.text(max_size=80))
def test_it_always_makes_aliases_of_allowed_characters(text):
    alias = to_alias(text)
    assert all(c.isascii() and (c.isalnum() or c in "._-") for c in alias)


@pytest.mark.django_db
def test_it_exempts_administrators_and_not_users(tenant, member, admin_user, groups_admin):
    TenantGroupSettings.objects.filter(tenant=tenant).update(
        prefix_suffix_naming_requirement="GRP_[GroupName]"
    )
    reader = UserFactory(tenant=tenant, role="directoryReaders")
    for user in (member, admin_user, groups_admin, reader):
        user.refresh_from_db()
    assert policy_for(member)[1] is False and policy_for(reader)[1] is False
    assert policy_for(admin_user)[1] is True and policy_for(groups_admin)[1] is True
    assert policy_for(member)[0].requirement == "GRP_[GroupName]"


def test_it_previews_a_pattern_for_the_settings_page():
    from groups.naming import apply_naming_policy

    assert apply_naming_policy(pattern="GRP_[Department]_[GroupName]", name="Falcon", user=Person()) == (
        "GRP_Marketing_Falcon"
    )
