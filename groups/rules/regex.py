"""The portable regular-expression subset of ``-match`` (ours): one meaning in Python and PostgreSQL.

Allowed: literal characters, escaped punctuation (``\\.``), ``.``, bracket classes with ranges and
``^`` negation, ``^``, ``$``, ``|``, groups ``( )``, and the quantifiers ``* + ? {m} {m,} {m,n}``
(n <= 255, PostgreSQL's limit). Refused: backreferences, lookarounds, ``(?...)`` groups, class escapes
such as ``\\d``, lazy or possessive quantifiers, and the shapes that make a backtracking engine blow
up: a repeated (``*``, ``+``, ``{m,n}``) group that contains a quantifier or an alternation, and more
than ``MAX_REPEATS`` repetitions in one pattern. ``?`` may follow any group (it can't nest loops).

The Python form (used by the evaluator and by SQLite) is searched with IGNORECASE and DOTALL, and its
``$`` becomes ``\\Z``, so that ``.`` and ``$`` mean what they mean in PostgreSQL's ``~*``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

MAX_REPEATS = 4
MAX_BOUND = 255
MAX_PATTERN_LENGTH = 512
_PUNCT = set(".[](){}*+?|^$\\-/ ,:;!@#%&=<>'\"`~_")
_META = set(".[](){}*+?|^$\\")


class RegexError(ValueError):
    def __init__(self, message: str, offset: int) -> None:
        self.message = message
        self.offset = offset
        super().__init__(message)


@dataclass
class _Node:
    has_quantifier: bool = False
    has_alternation: bool = False
    empty: bool = True


class _Checker:
    def __init__(self, pattern: str) -> None:
        self.p = pattern
        self.i = 0
        self.repeats = 0
        self.python: list[str] = []

    def error(self, message: str, offset: int | None = None) -> RegexError:
        return RegexError(message, self.i if offset is None else offset)

    def peek(self) -> str:
        return self.p[self.i] if self.i < len(self.p) else ""

    def run(self) -> str:
        self.alternation(top=True)
        if self.i < len(self.p):
            raise self.error("unbalanced ')'")
        return "".join(self.python)

    def alternation(self, top: bool = False) -> _Node:
        result = _Node()
        branch = self.sequence()
        if branch.empty and self.peek() == "|":
            raise self.error("an alternative is empty")
        result.has_quantifier = branch.has_quantifier
        result.empty = branch.empty
        while self.peek() == "|":
            self.python.append("|")
            self.i += 1
            result.has_alternation = True
            branch = self.sequence()
            if branch.empty:
                raise self.error("an alternative is empty")
            result.has_quantifier |= branch.has_quantifier
            result.empty = False
        return result

    def sequence(self) -> _Node:
        node = _Node()
        while self.i < len(self.p) and self.peek() not in "|)":
            atom, quantifiable = self.atom()
            node.empty = False
            node.has_quantifier |= atom.has_quantifier
            node.has_alternation |= atom.has_alternation
            if self.peek() in ("*", "+", "?", "{"):
                start = self.i
                if not quantifiable:
                    raise self.error("nothing to repeat before this quantifier")
                kind = self.quantifier()
                if self.peek() in ("*", "+", "?", "{"):
                    raise self.error(
                        "a quantifier can't follow another quantifier (no lazy or nested repeats)"
                    )
                if kind == "repeat":
                    self.repeats += 1
                    if self.repeats > MAX_REPEATS:
                        raise self.error(
                            f"at most {MAX_REPEATS} repetitions (*, +, {{m,n}}) in one pattern", start
                        )
                    if atom.has_quantifier or atom.has_alternation:
                        raise self.error(
                            "a repeated group can't contain a quantifier or '|' (it could take forever to match)",
                            start,
                        )
                node.has_quantifier = True
        return node

    def quantifier(self) -> str:
        c = self.peek()
        if c in "*+":
            self.python.append(c)
            self.i += 1
            return "repeat"
        if c == "?":
            self.python.append(c)
            self.i += 1
            return "optional"
        m = re.compile(r"\{(\d{1,3})(,(\d{0,3}))?\}").match(self.p, self.i)
        if not m:
            raise self.error(
                "'{' starts a repeat count like {2} or {1,3}; escape it as \\{ for the character"
            )
        low = int(m.group(1))
        high = low if m.group(2) is None else (int(m.group(3)) if m.group(3) else None)
        if low > MAX_BOUND or (high is not None and (high > MAX_BOUND or high < low)):
            raise self.error(f"repeat counts go from 0 to {MAX_BOUND}, smallest first")
        self.python.append(m.group(0))
        self.i = m.end()
        return "optional" if high is not None and high <= 1 else "repeat"

    def atom(self) -> tuple[_Node, bool]:
        c = self.peek()
        if c == "(":
            start = self.i
            self.i += 1
            if self.peek() == "?":
                raise self.error("(?...) groups (lookarounds, flags, named groups) aren't supported")
            self.python.append("(")
            inner = self.alternation()
            if self.peek() != ")":
                raise self.error("'(' is never closed", start)
            if inner.empty:
                raise self.error("an empty group", start)
            self.python.append(")")
            self.i += 1
            return inner, True
        if c == "[":
            self.bracket()
            return _Node(empty=False), True
        if c == "\\":
            nxt = self.p[self.i + 1 : self.i + 2]
            if not nxt:
                raise self.error("the pattern ends with a lone backslash")
            if nxt not in _PUNCT:
                raise self.error(
                    f"\\{nxt} isn't in the portable subset: escape only punctuation (write [0-9] for \\d)"
                )
            self.python.append(re.escape(nxt))
            self.i += 2
            return _Node(empty=False), True
        if c in ("^", "$"):
            self.python.append("^" if c == "^" else r"\Z")
            self.i += 1
            return _Node(empty=False), False
        if c == ".":
            self.python.append(".")
            self.i += 1
            return _Node(empty=False), True
        if c in "*+?{":
            raise self.error("nothing to repeat before this quantifier")
        if c in "]}":
            raise self.error(f"a lone '{c}': escape it as \\{c}")
        self.python.append(re.escape(c))
        self.i += 1
        return _Node(empty=False), True

    def bracket(self) -> None:
        start = self.i
        self.i += 1
        out = ["["]
        if self.peek() == "^":
            out.append("^")
            self.i += 1
        items = 0
        prev_char: str | None = None
        while True:
            c = self.peek()
            if c == "":
                raise self.error("'[' is never closed", start)
            if c == "]" and items:
                self.i += 1
                break
            if c == "[":
                raise self.error("'[' inside a class: escape it as \\[ (POSIX classes aren't supported)")
            if c == "\\":
                nxt = self.p[self.i + 1 : self.i + 2]
                if not nxt or nxt not in _PUNCT:
                    raise self.error("inside [...] escape only punctuation")
                char = nxt
                self.i += 2
            elif c == "-" and prev_char is not None and self.p[self.i + 1 : self.i + 2] not in ("]", ""):
                self.i += 1
                hi = self.peek()
                if hi == "\\":
                    hi = self.p[self.i + 1 : self.i + 2]
                    if not hi or hi not in _PUNCT:
                        raise self.error("inside [...] escape only punctuation")
                    self.i += 2
                elif hi == "[":
                    raise self.error("'[' inside a class: escape it as \\[")
                else:
                    self.i += 1
                if ord(hi) < ord(prev_char):
                    raise self.error(f"the range {prev_char}-{hi} is backwards")
                out.append("-" + re.escape(hi))
                prev_char = None
                items += 1
                continue
            else:
                char = c
                self.i += 1
            out.append(re.escape(char))
            prev_char = char
            items += 1
        out.append("]")
        self.python.append("".join(out))


@lru_cache(maxsize=4096)
def check(pattern: str) -> str:
    """Validate ``pattern`` against the subset; return its Python form. Raises RegexError."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise RegexError(f"a pattern has at most {MAX_PATTERN_LENGTH} characters", MAX_PATTERN_LENGTH)
    if pattern == "":
        raise RegexError("the pattern is empty", 0)
    return _Checker(pattern).run()


@lru_cache(maxsize=4096)
def compiled(pattern: str) -> re.Pattern:
    return re.compile(check(pattern), re.IGNORECASE | re.DOTALL)


def search(pattern: str, value: str | None) -> bool:
    """The one definition of -match for Python and SQLite (registered as GD_REGEXP)."""
    if value is None:
        return False
    return compiled(pattern).search(value) is not None
