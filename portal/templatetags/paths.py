"""``{% path "group_detail" group.id %}``: ``{% url %}`` for the rows of a list.

``{% url %}`` reverses on every call (the resolver tries each pattern of the name, fills it in and checks
the result against the pattern's regex): a list of 150 rows with two links each spent more time on it than
on its queries. ``path`` reverses a name once per process, with stand-in ids, and fills each row's ids into
that. It takes ids only (UUIDs and integers): their text needs no quoting, so filling them in gives what
reversing them would. Anything else is reversed as ``{% url %}`` does. ``{% path ... as name %}`` stores
the path instead of writing it."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from uuid import UUID

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()

_ID_TYPES = (UUID, int)


def _stand_in(kind: type, position: int) -> UUID | int:
    if kind is UUID:
        return UUID(int=0x5EA7_0000 + position)
    return 918_273_645_000 + position


@lru_cache(maxsize=512)
def _shape(name: str, kinds: tuple[type, ...], prefix: str, urlconf: Any) -> str:
    """The reversed path of ``name`` as a format string with one field per argument."""
    stand_ins = [_stand_in(kind, i) for i, kind in enumerate(kinds)]
    shape = reverse(name, args=stand_ins, urlconf=urlconf).replace("{", "{{").replace("}", "}}")
    for i, stand_in in enumerate(stand_ins):
        shape = shape.replace(str(stand_in), f"{{{i}}}")
    return shape


def _fill(name: str, ids: tuple, prefix: str, urlconf: Any) -> str:
    kinds = tuple(type(value) for value in ids)
    if not all(kind in _ID_TYPES for kind in kinds):
        return reverse(name, args=ids, urlconf=urlconf)
    return _shape(name, kinds, prefix, urlconf).format(*ids)


def path(name: str, *ids) -> str:
    return _fill(name, ids, get_script_prefix(), get_urlconf())


_WHERE = object()  # the render context's key for (script prefix, URLconf): one lookup per render


class PathNode(template.Node):
    def __init__(self, name: template.base.FilterExpression, ids: list, target: str | None) -> None:
        self.name, self.ids, self.target = name, ids, target

    def render(self, context: template.Context) -> str:
        where = context.render_context.get(_WHERE)
        if where is None:
            where = context.render_context[_WHERE] = (get_script_prefix(), get_urlconf())
        found = _fill(self.name.resolve(context), tuple(i.resolve(context) for i in self.ids), *where)
        if self.target:
            context[self.target] = found
            return ""
        return conditional_escape(found) if context.autoescape else found


@register.tag("path")
def do_path(parser: template.base.Parser, token: template.base.Token) -> PathNode:
    bits = token.split_contents()
    target = None
    if len(bits) >= 4 and bits[-2] == "as":
        target, bits = bits[-1], bits[:-2]
    if len(bits) < 2:
        raise template.TemplateSyntaxError("{% path %} takes a URL name and its ids.")
    return PathNode(parser.compile_filter(bits[1]), [parser.compile_filter(bit) for bit in bits[2:]], target)
