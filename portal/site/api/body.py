"""Reading a JSON request body safely: a depth limit before parsing, and where a NUL hides in it.

Python's JSON parser recurses once per nesting level, so a body nested 1,000 deep raised RecursionError
(a 500). Graph bodies nest two or three levels; anything deeper than ``MAX_JSON_DEPTH`` is refused before
the parser sees it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from portal.site.api.errors import bad_request

MAX_JSON_DEPTH = 32
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
# A \u0000 escape inside a JSON string: preceded by an even number of backslashes (an escaped
# backslash followed by "u0000" is six ordinary characters).
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def nesting_depth(text: str, stop_past: int | None = None) -> int:
    """The deepest nesting of arrays and objects in ``text``, outside strings (no recursion); with
    ``stop_past``, the first depth past it (a body 50,000 deep is refused after 33 brackets, not 100,000)."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if stop_past is not None and deepest > stop_past:
                break
        else:
            depth = max(depth - 1, 0)
    return deepest


def too_deep(text: str) -> bool:
    """Whether ``text`` nests deeper than ``MAX_JSON_DEPTH``. A body with no more brackets than that
    can't (most bodies, however long their strings): no scan at all."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return False
    return nesting_depth(text, stop_past=MAX_JSON_DEPTH) > MAX_JSON_DEPTH


def load_json(raw: bytes) -> Any:
    """The parsed body, or a Graph 400 saying what is wrong with it (never RecursionError)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad_request(f"Unable to read JSON request payload: {exc}.") from None
    if too_deep(text):
        raise bad_request(
            f"Unable to read JSON request payload: it nests deeper than {MAX_JSON_DEPTH} levels."
        )
    try:
        return json.loads(text)
    except ValueError as exc:
        raise bad_request(f"Unable to read JSON request payload: {exc}.") from None


def may_hold_nul(raw: bytes) -> bool:
    """Whether a JSON body may decode to a string with a NUL (a raw NUL byte or a \\u0000 escape)."""
    if b"\x00" in raw:
        return True
    # The escape's six bytes must be there (a fast substring search) before the regex looks at what
    # precedes them: on a 100,000-character body the regex alone tried every position.
    return b"\\u0000" in raw and _NUL_ESCAPE.search(raw) is not None


def nul_path(value: Any) -> str | None:
    """Where the first NUL is in a parsed JSON value: ``department``, ``members@odata.bind[0]``..."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return path or "the body"
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{path}.{key}" if path else key
                if "\x00" in key:
                    return name.replace("\x00", "\\u0000")
                stack.append((name, child))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", child) for i, child in enumerate(item))
    return None
