"""Recursive-descent parser of Entra's dynamic membership rule language.

Grammar (precedence from the reference: comparisons bind tightest, then -not, -and, -or)::

    rule       := "Direct Reports for" STRING | or
    or         := and ( "-or" and )*
    and        := not ( "-and" not )*
    not        := "-not" not | primary
    primary    := "(" or ")" | property ( OP value | ("-any" | "-all") "(" or ")" )
    value      := STRING | WORD | "[" value ( "," value )* "]" | "system.now" ( ("-plus"|"-minus") DURATION )?

Operators are written with or without the hyphen (an en dash counts as one), in any letter case; the
words come from groups.rules.lexer. The parser raises only RuleSyntaxError, always with a position
and, where it helps, what was expected.
"""

from __future__ import annotations

import re
import uuid

from groups.rules import properties as P
from groups.rules import regex
from groups.rules.ast import (
    MAX_RULE_LENGTH,
    And,
    Comparison,
    DirectReports,
    Node,
    Not,
    Now,
    Or,
    Property,
    Quantified,
    Rule,
    RuleSyntaxError,
)
from groups.rules.dates import parse_moment
from groups.rules.lexer import NUMBER, Token, tokenize

COMPARISON_OPERATORS = {
    name.lower(): name
    for name in (
        "eq",
        "ne",
        "startsWith",
        "notStartsWith",
        "endsWith",
        "notEndsWith",
        "contains",
        "notContains",
        "match",
        "notMatch",
        "in",
        "notIn",
        "ge",
        "le",
    )
}
LOGICAL = {"and", "or", "not"}
QUANTIFIERS = {"any", "all"}
STRING_OPS = {"eq", "ne", "startsWith", "notStartsWith", "endsWith", "notEndsWith", "contains", "notContains"}
STRING_OPS |= {"match", "notMatch", "in", "notIn"}
NEGATED = {
    "ne": "eq",
    "notStartsWith": "startsWith",
    "notEndsWith": "endsWith",
    "notContains": "contains",
    "notMatch": "match",
    "notIn": "in",
}
OPS_BY_TYPE = {
    P.STRING: STRING_OPS,
    P.EXTENSION: STRING_OPS,
    P.COLLECTION: STRING_OPS,
    P.BOOL: {"eq", "ne"},
    P.DIRSYNC: {"eq", "ne"},
    P.DATE: {"eq", "ne", "ge", "le"},
    P.UUID: {"eq", "ne", "in", "notIn"},
}
MAX_DEPTH = 100
_DURATION = re.compile(
    r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$"
)
_PROPERTY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)$")


class Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.kind: str | None = None  # "user" or "device", fixed by the first property
        self.scope: str | None = None  # inside -any/-all: "_", "assignedplan" or "group"
        self.depth = 0

    # --- helpers ---------------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != "end":
            self.i += 1
        return tok

    def is_punct(self, char: str) -> bool:
        return self.tok.kind == "punct" and self.tok.text == char

    def expect_punct(self, char: str, expected: str) -> Token:
        if not self.is_punct(char):
            raise RuleSyntaxError(f"Unexpected {_what(self.tok)}", self.tok.pos, expected)
        return self.advance()

    def at_logical(self, name: str) -> bool:
        return self.tok.operator == name

    # --- grammar ---------------------------------------------------------------------------------
    def parse(self) -> Rule:
        if len(self.text) > MAX_RULE_LENGTH:
            raise RuleSyntaxError(f"A rule has at most {MAX_RULE_LENGTH} characters", MAX_RULE_LENGTH)
        if self.tok.kind == "end":
            raise RuleSyntaxError("The rule is empty", 0, 'a condition such as user.department -eq "Sales"')
        direct = self.direct_reports()
        if direct is not None:
            return Rule(direct, "user")
        body = self.or_()
        if self.tok.kind != "end":
            tok = self.tok
            if tok.operator in COMPARISON_OPERATORS:
                raise RuleSyntaxError(
                    f"Unexpected operator {tok.text}: a comparison needs a property on its left",
                    tok.pos,
                    "-and, -or or the end of the rule",
                )
            if tok.text.lower() == "direct":
                raise RuleSyntaxError(
                    "Direct Reports for can't be combined with anything else", tok.pos, "the end of the rule"
                )
            raise RuleSyntaxError(f"Unexpected {_what(tok)}", tok.pos, "-and, -or or the end of the rule")
        return Rule(body, self.kind or "user")

    def direct_reports(self) -> DirectReports | None:
        words = self.tokens[self.i : self.i + 3]
        if len(words) < 3 or [t.text.lower() for t in words] != ["direct", "reports", "for"]:
            if self.tok.kind == "word" and self.tok.text.lower() == "direct":
                raise RuleSyntaxError(
                    "Unexpected 'Direct'", self.tok.pos, 'Direct Reports for "<manager id>"'
                )
            return None
        start = self.tok.pos
        self.i += 3
        tok = self.advance()
        if tok.kind != "string":
            raise RuleSyntaxError(f"Unexpected {_what(tok)}", tok.pos, "the manager's object id in quotes")
        manager = _uuid(tok.text)
        if manager is None:
            raise RuleSyntaxError(
                f"{tok.text!r} is not an object id", tok.pos, "a manager's object id (a GUID)"
            )
        if self.tok.kind != "end":
            raise RuleSyntaxError(
                "Direct Reports for can't be combined with anything else", self.tok.pos, "the end of the rule"
            )
        self.kind = "user"
        return DirectReports(manager, start)

    def or_(self) -> Node:
        start = self.tok.pos
        operands = [self.and_()]
        while self.at_logical("or"):
            self.advance()
            operands.append(self.and_())
        if len(operands) == 1:
            return operands[0]
        return Or(tuple(_flatten(Or, operands)), start)

    def and_(self) -> Node:
        start = self.tok.pos
        operands = [self.not_()]
        while self.at_logical("and"):
            self.advance()
            operands.append(self.not_())
        if len(operands) == 1:
            return operands[0]
        return And(tuple(_flatten(And, operands)), start)

    def not_(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise RuleSyntaxError(f"The rule nests deeper than {MAX_DEPTH} levels", self.tok.pos)
        try:
            if self.at_logical("not"):
                tok = self.advance()
                return Not(self.not_(), tok.pos)
            return self.primary()
        finally:
            self.depth -= 1

    def primary(self) -> Node:
        tok = self.tok
        if self.is_punct("("):
            self.advance()
            inner = self.or_()
            self.expect_punct(")", "')' to close the '(' at position " + str(tok.pos + 1))
            return inner
        if tok.kind == "word" and not tok.dashed:
            return self.comparison()
        if tok.kind == "end":
            raise RuleSyntaxError("The rule ends too soon", tok.pos, "a condition or '('")
        if tok.operator in LOGICAL or tok.operator in COMPARISON_OPERATORS:
            raise RuleSyntaxError(
                f"Unexpected operator {tok.text}", tok.pos, "a property such as user.department"
            )
        raise RuleSyntaxError(f"Unexpected {_what(tok)}", tok.pos, "a property such as user.department")

    def property(self) -> tuple[Property, P.PropertyInfo]:
        tok = self.advance()
        text = tok.text
        if text == "_":
            if self.scope != "_":
                raise RuleSyntaxError(
                    "'_' names the current item, only inside -any/-all over a string collection",
                    tok.pos,
                    "a property such as user.department",
                )
            return Property("_", "_", tok.pos), P.ITEM
        m = _PROPERTY.match(text)
        if not m:
            raise RuleSyntaxError(f"Unexpected {_what(tok)}", tok.pos, "a property such as user.department")
        obj, name = m.group(1).lower(), m.group(2)
        if obj in ("user", "device"):
            if self.scope is not None:
                raise RuleSyntaxError(
                    f"Inside -any/-all use {'_' if self.scope == '_' else self.scope + '.*'}, not {text}",
                    tok.pos,
                    "a property of the item",
                )
            if self.kind is None:
                self.kind = obj
            elif self.kind != obj:
                raise RuleSyntaxError(
                    f"A rule selects users or devices, never both: {text} in a {self.kind} rule",
                    tok.pos,
                    f"a {self.kind}.* property",
                )
        elif obj in ("assignedplan", "group"):
            if self.scope != obj:
                raise RuleSyntaxError(
                    f"{text} can only be used inside "
                    + (
                        "user.assignedPlans -any/-all (...)"
                        if obj == "assignedplan"
                        else "memberOf -any/-all (...)"
                    ),
                    tok.pos,
                )
        else:
            raise RuleSyntaxError(f"Unknown property {text}", tok.pos, "a user.* or device.* property")
        info = P.lookup(obj, name)
        if info is None:
            raise RuleSyntaxError(f"Unknown property {text}", tok.pos, f"a property of {obj}")
        canonical = {"assignedplan": "assignedPlan"}.get(obj, obj)
        return Property(canonical, info.name, tok.pos), info

    def comparison(self) -> Node:
        prop, info = self.property()
        tok = self.tok
        op = tok.operator
        if tok.kind != "word" or op is None:
            raise RuleSyntaxError(
                f"Unexpected {_what(tok)} after {prop.text}", tok.pos, "an operator such as -eq"
            )
        if op in QUANTIFIERS:
            return self.quantified(prop, info)
        if op == "not":
            value_tok = self.tokens[self.i + 1]
            if value_tok.kind == "word" and value_tok.text.lower() == "null":
                raise RuleSyntaxError(
                    "-not can't compare with null", tok.pos, f"{prop.text} -ne null (or -eq null)"
                )
            raise RuleSyntaxError(
                "-not is not a comparison operator", tok.pos, "-ne, -notContains, -notIn, ..."
            )
        if op not in COMPARISON_OPERATORS:
            raise RuleSyntaxError(
                f"Unknown operator {tok.text}", tok.pos, "-eq, -ne, -startsWith, -contains, -match, -in, ..."
            )
        op = COMPARISON_OPERATORS[op]
        if info.type in P.OBJECT_COLLECTIONS:
            raise RuleSyntaxError(
                f"{prop.text} is a collection of objects", tok.pos, f"{prop.text} -any (...) or -all (...)"
            )
        if op not in OPS_BY_TYPE[info.type]:
            raise RuleSyntaxError(
                f"-{op} can't be used with {prop.text}",
                tok.pos,
                ", ".join(f"-{o}" for o in sorted(OPS_BY_TYPE[info.type], key=str.lower)),
            )
        self.advance()
        value = self.value(prop, info, op)
        return Comparison(prop, op, value, prop.pos)

    def quantified(self, prop: Property, info: P.PropertyInfo) -> Node:
        tok = self.advance()
        quantifier = tok.operator
        if info.type not in (P.COLLECTION, P.PLANS, P.MEMBEROF):
            raise RuleSyntaxError(f"-{quantifier} needs a collection; {prop.text} is a single value", tok.pos)
        if self.scope is not None:
            raise RuleSyntaxError(f"-{quantifier} can't be nested inside another -any/-all", tok.pos)
        self.expect_punct("(", f"'(' after -{quantifier}")
        self.scope = {P.COLLECTION: "_", P.PLANS: "assignedplan", P.MEMBEROF: "group"}[info.type]
        try:
            body = self.or_()
        finally:
            self.scope = None
        self.expect_punct(")", f"')' to close -{quantifier} (...)")
        return Quantified(prop, quantifier, body, prop.pos)

    # --- values ----------------------------------------------------------------------------------
    def value(self, prop: Property, info: P.PropertyInfo, op: str):
        tok = self.tok
        if op in ("in", "notIn"):
            if not self.is_punct("["):
                raise RuleSyntaxError(f"-{op} needs a list", tok.pos, '["value1", "value2"]')
            self.advance()
            items = []
            if not self.is_punct("]"):
                while True:
                    items.append(self.scalar(prop, info, op, in_list=True))
                    if self.is_punct(","):
                        self.advance()
                        continue
                    break
            self.expect_punct("]", "',' or ']'")
            return tuple(items)
        if self.is_punct("["):
            hint = {"eq": "-in", "ne": "-notIn"}.get(op)
            raise RuleSyntaxError(
                f"-{op} can't compare with a list" + (f": use {hint}" if hint else ""),
                tok.pos,
                "a single value",
            )
        return self.scalar(prop, info, op, in_list=False)

    def scalar(self, prop: Property, info: P.PropertyInfo, op: str, *, in_list: bool):
        tok = self.advance()
        if tok.kind == "punct" or tok.kind == "end":
            raise RuleSyntaxError(f"Unexpected {_what(tok)}", tok.pos, "a value")
        operator_word = tok.kind == "word" and tok.operator in LOGICAL | QUANTIFIERS | set(
            COMPARISON_OPERATORS
        )
        if operator_word and (tok.dashed or tok.operator in LOGICAL):
            raise RuleSyntaxError(f"Unexpected operator {tok.text}", tok.pos, "a value")
        if tok.kind == "word" and tok.text.lower() == "null":
            if in_list or op not in ("eq", "ne"):
                raise RuleSyntaxError(
                    f"null can only be used with -eq or -ne, not -{op}", tok.pos, "-eq null or -ne null"
                )
            return None
        kind = info.type
        if kind in (P.BOOL, P.DIRSYNC):
            if tok.text.lower() in ("true", "false"):
                return tok.text.lower() == "true"
            raise RuleSyntaxError(
                f"{prop.text} is true or false, not {tok.describe()}", tok.pos, "true or false"
            )
        if kind == P.DATE:
            return self.date_value(tok, prop)
        if kind == P.UUID:
            found = _uuid(tok.text)
            if found is None:
                raise RuleSyntaxError(f"{tok.describe()} is not an object id", tok.pos, "a GUID in quotes")
            return found
        # strings
        if tok.kind == "word":
            if NUMBER.match(tok.text):
                return str(int(tok.text))
            raise RuleSyntaxError(
                f"Unexpected {_what(tok)}: text values go in double quotes", tok.pos, f'"{tok.text}"'
            )
        if op in ("match", "notMatch"):
            try:
                regex.check(tok.text)
            except regex.RegexError as exc:
                raise RuleSyntaxError(
                    f"This pattern isn't in the supported regular expression subset: {exc.message}",
                    min(tok.pos + 1 + exc.offset, tok.end - 1),
                ) from None
        return tok.text

    def date_value(self, tok: Token, prop: Property):
        if tok.kind == "word" and tok.text.lower() == "system.now":
            nxt = self.tok
            if nxt.kind == "word" and nxt.operator in ("plus", "minus"):
                self.advance()
                dur = self.advance()
                text = dur.text.upper()
                if (
                    dur.kind not in ("word", "string")
                    or not _DURATION.match(text)
                    or text in ("P", "PT")
                    or text.endswith("T")
                ):
                    raise RuleSyntaxError(
                        f"Unexpected {dur.describe()}",
                        dur.pos,
                        "an ISO 8601 duration such as P1D, P2W or PT12H",
                    )
                return Now(1 if nxt.operator == "plus" else -1, text)
            return Now()
        moment = parse_moment(tok.text)
        if moment is None:
            raise RuleSyntaxError(
                f"{tok.describe()} is not a date-time",
                tok.pos,
                "a date-time such as 2020-06-10T18:13:20Z or system.now",
            )
        return moment


def _what(tok) -> str:
    """What "Unexpected …" names: "end of the rule" (not "the end of the rule"), else the token."""
    return "end of the rule" if tok.kind == "end" else tok.describe()


def _flatten(kind, operands):
    for operand in operands:
        if isinstance(operand, kind):
            yield from operand.operands
        else:
            yield operand


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text.strip("{}"))
    except (ValueError, AttributeError):
        return None


def parse(text: str) -> Rule:
    """Parse rule text into a Rule. Raises RuleSyntaxError (and nothing else) on any input."""
    if not isinstance(text, str):
        raise RuleSyntaxError("A rule is text", 0)
    try:
        return Parser(text).parse()
    except RuleSyntaxError:
        raise
    except (RecursionError, MemoryError):
        raise RuleSyntaxError("The rule is nested too deeply", 0) from None
