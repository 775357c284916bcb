"""Entra's dynamic membership rule language (shared/reference/dynamic-rules.md), in plain Python.

parse(text) → Rule (AST with positions; RuleSyntaxError is the only error) · print_rule(rule) → canonical
text · predicate(rule) → a Python test of one Subject · explain(rule, subject) → per-clause true/false ·
regex.check(pattern) → the portable regex subset.

Nothing here imports Django (tests/groups/test_rules_pure.py): running a rule against the database (the
Q compiler, SQLite functions) and building a Subject from a User or Device live in groups.dynamic.
"""

from __future__ import annotations

from groups.rules.ast import MAX_RULE_LENGTH, Rule, RuleSyntaxError
from groups.rules.evaluator import Subject, compiled_predicate, explain, predicate
from groups.rules.parser import parse
from groups.rules.printer import print_rule

__all__ = [
    "MAX_RULE_LENGTH",
    "Rule",
    "RuleSyntaxError",
    "Subject",
    "compiled_predicate",
    "explain",
    "parse",
    "predicate",
    "print_rule",
]
