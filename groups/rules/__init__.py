"""Entra's dynamic membership rule language (shared/reference/dynamic-rules.md).

parse(text) → Rule (AST with positions; RuleSyntaxError is the only error) · print_rule(rule) → canonical
text · to_q(rule) → a Django Q over User/Device · predicate(rule) → a Python test of one Subject ·
explain(rule, subject) → per-clause true/false · regex.check(pattern) → the portable regex subset.
"""

from __future__ import annotations

from groups.rules.ast import MAX_RULE_LENGTH, Rule, RuleSyntaxError
from groups.rules.compiler import queryset_for, to_q
from groups.rules.evaluator import Subject, compiled_predicate, explain, predicate, subject_for
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
    "queryset_for",
    "subject_for",
    "to_q",
]
