"""The rule language's tokens: punctuation, quoted strings and words (properties, operators, values).

A word is anything up to a space, a quote or punctuation; whether it is an operator ("-eq", "EQ",
"–and") is decided by the parser from where it stands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from groups.rules.ast import RuleSyntaxError

DASHES = ("-", "\u2013")  # a hyphen, or the en dash that Word puts in pasted rules
PUNCTUATION = "()[],"
NUMBER = re.compile(r"^-?\d+$")


@dataclass(frozen=True)
class Token:
    kind: str  # "punct", "string", "word", "end"
    text: str  # punctuation char, string value, or the raw word
    pos: int
    end: int

    @property
    def operator(self) -> str | None:
        """The lowercased operator name when this word can be an operator ("-eq", "EQ", "–and")."""
        if self.kind != "word":
            return None
        word = self.text[1:] if self.text[:1] in DASHES else self.text
        return word.lower() if word and word.isalpha() else None

    @property
    def dashed(self) -> bool:
        return self.kind == "word" and self.text[:1] in DASHES and not NUMBER.match(self.text)

    def describe(self) -> str:
        if self.kind == "end":
            return "the end of the rule"
        if self.kind == "string":
            return f"the text {self.text!r}"
        return f"'{self.text}'"


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in PUNCTUATION:
            tokens.append(Token("punct", c, i, i + 1))
            i += 1
            continue
        if c in "\"'":
            value, end = _read_string(text, i)
            tokens.append(Token("string", value, i, end))
            i = end
            continue
        start = i
        while i < n and not text[i].isspace() and text[i] not in PUNCTUATION and text[i] not in "\"'":
            i += 1
        tokens.append(Token("word", text[start:i], start, i))
    tokens.append(Token("end", "", n, n))
    return tokens


def _read_string(text: str, start: int) -> tuple[str, int]:
    """A quoted string. In "double" quotes, `" and \\" are a quote; in either kind, '' is one '."""
    quote = text[start]
    out: list[str] = []
    i, n = start + 1, len(text)
    while i < n:
        c = text[i]
        if quote == '"' and c in "`\\" and i + 1 < n and text[i + 1] == '"':
            out.append('"')
            i += 2
            continue
        if c == "'" and i + 1 < n and text[i + 1] == "'":
            out.append("'")
            i += 2
            continue
        if c == quote:
            return "".join(out), i + 1
        out.append(c)
        i += 1
    raise RuleSyntaxError("This text is never closed", start, f"a closing {quote}")
