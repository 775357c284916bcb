"""portal.guest_policy on plain values: who may invite under each setting, which addresses, guest names."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from portal.directory import UPN_RE
from portal.guest_policy import EMAIL_RE, address_refusal, guest_user_principal_name, invite_refusal

TENANT = SimpleNamespace(default_domain="Contoso.test")


def _settings(restriction="any", domains=""):
    return SimpleNamespace(
        collaboration_restriction=restriction,
        collaboration_domain_list=[d for d in domains.split(",") if d],
    )


def test_it_names_guests_as_entra_does():
    assert guest_user_principal_name("Ada@Fabrikam.COM", TENANT) == "ada_fabrikam.com#EXT#@contoso.test"
    assert (
        guest_user_principal_name("o'brien+x@fab.example", TENANT)
        == "o'brien+x_fab.example#EXT#@contoso.test"
    )
    assert guest_user_principal_name("a!b{c}@fab.example", TENANT) == "a_b_c__fab.example#EXT#@contoso.test"


@given(st.emails())
def test_every_invitable_address_gets_a_valid_sign_in_name(address):
    if EMAIL_RE.match(address):
        assert UPN_RE.match(guest_user_principal_name(address, TENANT))


def test_nobody_invites_under_none_and_roles_invite_otherwise():
    member, guest, app = (
        SimpleNamespace(is_guest=False, user_type="Member"),
        SimpleNamespace(is_guest=True, user_type="Guest"),
        SimpleNamespace(is_guest=False),
    )
    assert invite_refusal(member, "none", holds_inviter_role=True)
    assert not invite_refusal(member, "adminsAndGuestInviters", holds_inviter_role=True)
    assert invite_refusal(member, "adminsAndGuestInviters", holds_inviter_role=False)
    assert not invite_refusal(member, "adminsGuestInvitersAndAllMembers", holds_inviter_role=False)
    assert invite_refusal(guest, "adminsGuestInvitersAndAllMembers", holds_inviter_role=False)
    assert not invite_refusal(guest, "everyone", holds_inviter_role=False)
    assert invite_refusal(app, "everyone", holds_inviter_role=False)


def test_domain_lists_match_subdomains_but_not_lookalikes():
    deny = _settings("deny", "fabrikam.com")
    assert address_refusal("a@eu.fabrikam.com", settings=deny, verified_domains=[])
    assert not address_refusal("a@notfabrikam.com", settings=deny, verified_domains=[])
    allow = _settings("allow", "fabrikam.com")
    assert not address_refusal("a@eu.fabrikam.com", settings=allow, verified_domains=[])
    assert address_refusal("a@fabrikam.com.evil.example", settings=allow, verified_domains=[])
    assert address_refusal("a@contoso.test", settings=_settings(), verified_domains=["Contoso.test"])
