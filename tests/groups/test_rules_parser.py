"""The parser and printer: the reference's examples, its documented errors, round trips and fuzzing."""

from __future__ import annotations

import os
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groups.rules import MAX_RULE_LENGTH, RuleSyntaxError, parse, print_rule
from groups.rules.ast import And, Comparison, DirectReports, Not, Now, Or, Quantified
from groups.rules.regex import RegexError, check

FUZZ_EXAMPLES = int(os.environ.get("GD_FUZZ_EXAMPLES", "300"))
PLAN = "efb87545-963c-4e0d-99df-69c6916d9eb0"

REFERENCE_RULES = [
    'user.department -eq "Sales"',
    'user.country -eq "US" -and (user.department -eq "Marketing" -or user.department -eq "Sales")',
    'user.department -in ["Sales","Marketing"]',
    "user.employeeHireDate -ge system.now -plus p1d",
    "user.employeeHireDate -le 2020-06-10T18:13:20Z",
    "user.mail -ne null",
    'user.otherMails -endsWith "@contoso.com"',
    'user.proxyAddresses -any (_ -contains "contoso")',
    f'user.assignedPlans -any (assignedPlan.servicePlanId -eq "{PLAN}" -and assignedPlan.capabilityStatus -eq "Enabled")',
    f"user.memberof -any (group.objectId -in ['{PLAN}','{uuid.UUID(int=5)}'])",
    "user.objectId -ne null",
    'user.objectId -ne null -and (user.userType -eq "Member")',
    "device.objectId -ne null",
    f'Direct Reports for "{PLAN}"',
    'user.extension_15xx4d06e1cd4a1e9d6a3b3a0a0a0a0a_Department -eq "x"',
    'user.physicalDeliveryOfficeName -startsWith "B"',
    'device.deviceOSType -eq "iPad" -or device.deviceOwnership -eq "Company"',
    "device.isRooted -eq true",
    'user.displayName -match "^Da.*"',
    'user.displayName -notMatch ".*vid"',
]


@pytest.mark.parametrize("text", REFERENCE_RULES)
def test_it_parses_the_reference_examples_and_round_trips_them(text):
    rule = parse(text)
    assert parse(print_rule(rule)) == rule


def test_it_accepts_operators_without_hyphen_in_any_case_and_with_en_dash():
    expected = parse('user.department -startsWith "S" -and user.city -eq "X"')
    for text in (
        'user.department startswith "S" and user.city EQ "X"',
        'user.department –startsWith "S" –and user.city –eq "X"',
        'USER.DEPARTMENT -STARTSWITH "S" -AND user.City -Eq "X"',
    ):
        assert parse(text) == expected


def test_it_follows_the_documented_precedence():
    rule = parse(
        '-not user.a1 -eq "x" -or user.city -eq "y" -and user.state -eq "z"'.replace("a1", "department")
    )
    assert isinstance(rule.body, Or)
    assert isinstance(rule.body.operands[0], Not) and isinstance(rule.body.operands[1], And)


def test_it_reads_escapes_quotes_and_values():
    assert parse('user.department -eq "a`"b\\"c"').body.value == 'a"b"c'
    assert parse("user.department -eq 'O''Brien'").body.value == "O'Brien"
    assert parse('user.department -eq "null"').body.value == "null"
    assert parse("user.department -eq null").body.value is None
    assert parse('user.accountEnabled -eq "true"').body.value is True
    assert parse("user.extensionAttribute3 -eq 42").body.value == "42"
    assert parse("user.employeeHireDate -ge system.now -minus P2W").body.value == Now(-1, "P2W")


@pytest.mark.parametrize(
    "text, message, position",
    [
        ('user.department -eq ["Sales"]', "use -in", 21),
        ("user.mail -not null", "-not can't compare with null", 11),
        ('user.department -eq "x" -and device.displayName -eq "y"', "never both", 30),
        ('user.shoeSize -eq "9"', "Unknown property user.shoeSize", 1),
        ('user.department -like "x"', "Unknown operator -like", 17),
        ('user.department -eq "x', "never closed", 21),
        ("user.department -eq Sales", "text values go in double quotes", 21),
        ('(user.department -eq "x"', "expected ')'", 25),
        ('user.department -eq "x" -and', "ends too soon", 29),
        ('user.department -in "x"', "needs a list", 21),
        ('user.displayName -match "(a+)+"', "repeated group", 30),
        ('user.displayName -match "a\\d"', "isn't in the portable subset", 27),
        ("user.mail -startsWith null", "null can only be used with -eq or -ne", 23),
        ('user.department -ge "x"', "-ge can't be used with user.department", 17),
        ('user.proxyAddresses -contains "x" -and _ -eq "y"', "current item", 40),
        ('user.assignedPlans -eq "x"', "collection of objects", 20),
        (f'Direct Reports for "{PLAN}" -and user.city -eq "x"', "can't be combined", 59),
        ("", "empty", 1),
    ],
)
def test_it_reports_the_documented_errors_with_their_position(text, message, position):
    with pytest.raises(RuleSyntaxError) as info:
        parse(text)
    assert message in str(info.value)
    assert info.value.position + 1 == position
    assert f"position {position}" in str(info.value)


def test_it_refuses_rules_longer_than_3072_characters():
    clause = ' -or user.department -eq "x"'
    text = 'user.department -eq "x"' + clause * 200
    assert len(text) > MAX_RULE_LENGTH
    with pytest.raises(RuleSyntaxError, match="3072"):
        parse(text)
    parse(text[: text.rfind(" -or", 0, MAX_RULE_LENGTH)])


def test_it_builds_the_tree_of_collections_and_direct_reports():
    rule = parse('user.proxyAddresses -all (_ -startsWith "smtp:")')
    assert isinstance(rule.body, Quantified) and rule.body.quantifier == "all"
    assert isinstance(rule.body.body, Comparison) and rule.body.body.prop.obj == "_"
    assert isinstance(parse(f'Direct Reports for "{PLAN}"').body, DirectReports)
    assert parse("device.accountEnabled -eq true").kind == "device"


@pytest.mark.parametrize("pattern", ["^Da.*", ".*vid", "a|b", "[a-z]{2,3}$", "(ab)?c", "\\.com$", "[^x-]"])
def test_it_accepts_the_portable_regex_subset(pattern):
    check(pattern)


@pytest.mark.parametrize(
    "pattern",
    ["(a*)*", "(a|aa)+", "a**", "a+?", "(?=a)", "(a)\\1", "\\d", "[[:alpha:]]", "a{1000}", "()", "a|", "*a"],
)
def test_it_refuses_everything_else(pattern):
    with pytest.raises(RegexError):
        check(pattern)


TOKENS = [
    "user.department",
    "user.otherMails",
    "device.displayName",
    "_",
    "assignedPlan.service",
    "group.objectId",
    "user.assignedPlans",
    "user.memberOf",
    "user.employeeHireDate",
    "-eq",
    "-ne",
    "eq",
    "–and",
    "-or",
    "-not",
    "-in",
    "-notIn",
    "-match",
    "-any",
    "-all",
    "-contains",
    "-ge",
    "-plus",
    "system.now",
    "P1D",
    "(",
    ")",
    "[",
    "]",
    ",",
    '"x"',
    "'y'",
    '"^a.*"',
    '"(a+)+"',
    "null",
    "true",
    "42",
    "2020-06-10T18:13:20Z",
    "Direct",
    "Reports",
    "for",
    f'"{PLAN}"',
    '"',
    "`",
    "\\",
    "–",
]


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(st.text(max_size=200))
def test_it_never_raises_anything_but_its_own_error_on_random_text(text):
    _parse_or_syntax_error(text)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=25))
def test_it_never_raises_anything_but_its_own_error_on_grammar_shaped_text(tokens):
    _parse_or_syntax_error(" ".join(tokens))


def _parse_or_syntax_error(text: str) -> None:
    try:
        rule = parse(text)
    except RuleSyntaxError as exc:
        assert 0 <= exc.position <= max(len(text), MAX_RULE_LENGTH)
        return
    assert parse(print_rule(rule)) == rule


@pytest.mark.slow
@settings(max_examples=20000, deadline=None)
@given(st.one_of(st.text(max_size=400), st.lists(st.sampled_from(TOKENS), max_size=60).map(" ".join)))
def test_it_survives_a_long_fuzzing_run(text):
    _parse_or_syntax_error(text)


def test_it_survives_deep_nesting():
    with pytest.raises(RuleSyntaxError):
        parse("(" * 3000)
    with pytest.raises(RuleSyntaxError):
        parse("-not " * 600 + 'user.city -eq "x"')
