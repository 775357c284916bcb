"""Hypothesis strategies for rules (as syntax trees, printed to text) and for users to test them on.

Text values use a small alphabet so that rules and users often meet: ASCII letters of both cases, the
Latin letters é/É and ü/Ü (whose case folding Python, SQLite's GD_LOWER and PostgreSQL agree on), and
the characters that need escaping somewhere: LIKE's % and _, backslash, both quotes, backtick.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from groups.rules import regex
from groups.rules.ast import And, Comparison, Not, Now, Or, Property, Quantified

ALPHABET = "aAbBéÉüÜ .%_\\\"'`"
SMALL = st.text(alphabet=ALPHABET, min_size=0, max_size=4)
WORDS = st.sampled_from(["a", "A", "ab", "Ab", "é", "É", "aé", "b", "", "%", "_", "a_b", "a%"])
TEXT = st.one_of(SMALL, WORDS)

STRING_PROPS = [
    "department",
    "city",
    "mail",
    "displayName",
    "extensionAttribute1",
    "userType",
    "extension_app1_color",
]
STRING_OPS = ["eq", "ne", "startsWith", "notStartsWith", "endsWith", "notEndsWith", "contains", "notContains"]
MOMENTS = [datetime(2020, 6, 10, 18, 13, 20, tzinfo=UTC), datetime(2021, 1, 1, tzinfo=UTC)]
SERVICES = ["exchange", "SharePoint", "teams"]
PLAN_IDS = [uuid.UUID(int=1), uuid.UUID(int=2)]

# Regular expressions from the portable subset, built from pieces that often match the alphabet.
_ATOMS = st.sampled_from(["a", "b", "é", ".", "[a-b]", "[^a]", "(a|b)", "(ab)", "\\.", "Ü"])
_QUANT = st.sampled_from(["", "", "*", "+", "?", "{1,2}"])


def _valid(pattern: str) -> bool:
    try:
        regex.check(pattern)
    except regex.RegexError:
        return False
    return True


@st.composite
def _patterns(draw) -> str:
    parts = [draw(_ATOMS) + draw(_QUANT) for _ in range(draw(st.integers(1, 3)))]
    body = "".join(parts)
    if draw(st.booleans()):
        body = "^" + body
    if draw(st.booleans()):
        body += "$"
    return body


patterns = _patterns().filter(_valid)


def _prop(obj: str, name: str) -> Property:
    return Property(obj, name)


@st.composite
def string_comparison(draw, obj: str = "user", names=STRING_PROPS) -> Comparison:
    prop = _prop("_", "_") if obj == "_" else _prop(obj, draw(st.sampled_from(names)))
    kind = draw(
        st.sampled_from(["op", "op", "in", "match", "null"] if obj != "_" else ["op", "op", "in", "match"])
    )
    if kind == "op":
        return Comparison(prop, draw(st.sampled_from(STRING_OPS)), draw(TEXT))
    if kind == "in":
        return Comparison(
            prop, draw(st.sampled_from(["in", "notIn"])), tuple(draw(st.lists(TEXT, max_size=3)))
        )
    if kind == "match":
        return Comparison(prop, draw(st.sampled_from(["match", "notMatch"])), draw(patterns))
    return Comparison(prop, draw(st.sampled_from(["eq", "ne"])), None)


@st.composite
def other_comparison(draw, group_ids: list[uuid.UUID]) -> object:
    choice = draw(
        st.sampled_from(
            ["bool", "dirsync", "date", "now", "objectId", "collection", "any", "plans", "memberOf"]
        )
    )
    if choice == "bool":
        return Comparison(
            _prop("user", "accountEnabled"), draw(st.sampled_from(["eq", "ne"])), draw(st.booleans())
        )
    if choice == "dirsync":
        return Comparison(
            _prop("user", "dirSyncEnabled"), draw(st.sampled_from(["eq", "ne"])), draw(st.booleans())
        )
    if choice == "date":
        value = draw(st.one_of(st.sampled_from(MOMENTS), st.none()))
        op = draw(st.sampled_from(["eq", "ne"] if value is None else ["eq", "ne", "ge", "le"]))
        return Comparison(_prop("user", "employeeHireDate"), op, value)
    if choice == "now":
        value = Now(draw(st.sampled_from([0, 1, -1])), "")
        if value.sign:
            value = Now(value.sign, draw(st.sampled_from(["P1D", "P2Y", "PT12H", "P1M"])))
        return Comparison(_prop("user", "employeeHireDate"), draw(st.sampled_from(["ge", "le"])), value)
    if choice == "objectId":
        return Comparison(_prop("user", "objectId"), draw(st.sampled_from(["eq", "ne"])), None)
    if choice == "collection":
        inner = draw(string_comparison(obj="_"))
        prop = _prop("user", draw(st.sampled_from(["otherMails", "proxyAddresses"])))
        if draw(st.booleans()):
            return Comparison(prop, draw(st.sampled_from(["eq", "ne"])), None)
        return Comparison(prop, inner.op, inner.value)
    if choice == "any":
        prop = _prop("user", draw(st.sampled_from(["otherMails", "proxyAddresses"])))
        body = draw(combine(string_comparison(obj="_"), depth=1))
        return Quantified(prop, draw(st.sampled_from(["any", "all"])), body)
    if choice == "plans":
        leaf = st.one_of(
            st.builds(
                Comparison,
                st.just(_prop("assignedPlan", "service")),
                st.sampled_from(["eq", "ne", "startsWith", "contains"]),
                st.sampled_from(SERVICES + ["SHAREPOINT", "ex"]),
            ),
            st.builds(
                Comparison,
                st.just(_prop("assignedPlan", "capabilityStatus")),
                st.sampled_from(["eq", "ne"]),
                st.sampled_from(["Enabled", "enabled", "Suspended"]),
            ),
            st.builds(
                Comparison,
                st.just(_prop("assignedPlan", "servicePlanId")),
                st.sampled_from(["eq", "ne"]),
                st.sampled_from(PLAN_IDS),
            ),
        )
        body = draw(combine(leaf, depth=1))
        return Quantified(_prop("user", "assignedPlans"), draw(st.sampled_from(["any", "all"])), body)
    ids = draw(st.lists(st.sampled_from(group_ids), min_size=1, max_size=2, unique=True))
    body = Comparison(_prop("group", "objectId"), draw(st.sampled_from(["in", "notIn"])), tuple(ids))
    return Quantified(_prop("user", "memberOf"), draw(st.sampled_from(["any", "all"])), body)


def _flat(kind, nodes):
    """The parser folds a -and (b -and c) into one -and: so do the generated trees."""
    for node in nodes:
        if isinstance(node, kind):
            yield from node.operands
        else:
            yield node


def combine(leaf, depth: int = 3):
    def extend(children):
        return st.one_of(
            st.builds(lambda a: Not(a), children),
            st.builds(lambda xs: And(tuple(_flat(And, xs))), st.lists(children, min_size=2, max_size=3)),
            st.builds(lambda xs: Or(tuple(_flat(Or, xs))), st.lists(children, min_size=2, max_size=3)),
        )

    return st.recursive(leaf, extend, max_leaves=2**depth)


def rules(group_ids: list[uuid.UUID]):
    return combine(st.one_of(string_comparison(), other_comparison(group_ids)))


@st.composite
def user_rows(draw) -> dict:
    """Attributes for one user (``None`` is no value)."""
    maybe = st.one_of(st.none(), TEXT)
    return {
        "department": draw(maybe),
        "city": draw(maybe),
        "mail": draw(maybe),
        "display_name": draw(TEXT),
        "extension_attribute_1": draw(maybe),
        "user_type": draw(st.sampled_from(["Member", "Guest"])),
        "account_enabled": draw(st.booleans()),
        "source": draw(st.sampled_from(["cloud", "synced"])),
        "employee_hire_date": draw(
            st.one_of(
                st.none(),
                st.sampled_from(MOMENTS),
                st.sampled_from(
                    [datetime.now(UTC) - timedelta(days=400), datetime.now(UTC) + timedelta(days=3)]
                ),
            )
        ),
        "extensions": draw(st.one_of(st.just({}), st.builds(lambda v: {"extension_app1_color": v}, TEXT))),
        "otherMails": draw(st.lists(TEXT, max_size=2, unique_by=str.lower)),
        "proxyAddresses": draw(st.lists(TEXT, max_size=2, unique_by=str.lower)),
        "plans": draw(
            st.lists(
                st.tuples(
                    st.sampled_from(PLAN_IDS),
                    st.sampled_from(SERVICES),
                    st.sampled_from(["Enabled", "Suspended"]),
                ),
                max_size=2,
            )
        ),
        "groups": draw(st.lists(st.integers(0, 2), max_size=2, unique=True)),
    }
