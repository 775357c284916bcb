"""The nesting of a connection's external groups as a picture: boxes in columns by depth, lines from each
group to what it contains. Plain layout arithmetic on plain data (no Django); the template draws it as
SVG on the server, so it reads without JavaScript, and a text list beside it says the same.

Columns: the external groups no other external group contains come first (depth 0); each group's members
are one column further. A group inside a cycle with no way in from outside goes in the first column; every
group is placed once (at the shallowest depth found), so cycles end. Directory groups and people are
leaves; people are summed per group ("3 people") to keep the picture readable.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

BOX_WIDTH = 168
BOX_HEIGHT = 40
COLUMN_GAP = 56
ROW_GAP = 14
MARGIN = 8
LABEL_LENGTH = 22


@dataclass(frozen=True)
class Member:
    group: str  # the external group's id
    kind: str  # "externalGroup", "group" (directory) or "user"
    key: str  # the external group's id, or a directory object id
    label: str


@dataclass
class Box:
    key: tuple[str, str]
    label: str
    kind: str
    x: int = 0
    y: int = 0
    width: int = BOX_WIDTH
    height: int = BOX_HEIGHT

    @property
    def short_label(self) -> str:
        return self.label if len(self.label) <= LABEL_LENGTH else self.label[: LABEL_LENGTH - 1] + "…"

    @property
    def text_x(self) -> int:
        return self.x + 10

    @property
    def text_y(self) -> int:
        return self.y + 25


@dataclass(frozen=True)
class Line:
    x1: int
    y1: int
    x2: int
    y2: int


@dataclass
class Picture:
    boxes: list[Box] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    width: int = 0
    height: int = 0


def _depths(groups: dict[str, str], members: list[Member]) -> dict[str, int]:
    children: dict[str, list[str]] = {}
    contained = set()
    for m in members:
        if m.kind == "externalGroup" and m.key in groups:
            children.setdefault(m.group, []).append(m.key)
            contained.add(m.key)
    depth: dict[str, int] = {}
    roots = [g for g in groups if g not in contained]
    for start in [*roots, *groups]:  # then what only cycles reach, as roots of their own
        if start in depth:
            continue
        depth[start] = 0
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for child in children.get(node, ()):
                if child not in depth:
                    depth[child] = depth[node] + 1
                    queue.append(child)
    return depth


def layout(groups: dict[str, str], members: list[Member]) -> Picture:
    """``groups``: external group id → name; ``members``: every membership of the connection."""
    depth = _depths(groups, members)
    columns: dict[int, list[Box]] = {}
    boxes: dict[tuple[str, str], Box] = {}
    for gid in sorted(groups, key=lambda g: (depth[g], groups[g].lower())):
        box = Box(("externalGroup", gid), groups[gid], "externalGroup")
        boxes[box.key] = box
        columns.setdefault(depth[gid], []).append(box)
    people: dict[str, int] = {}
    for m in members:
        if m.kind == "user":
            people[m.group] = people.get(m.group, 0) + 1
        elif m.kind == "group" and ("group", m.key) not in boxes:
            box = Box(("group", m.key), m.label, "group")
            boxes[box.key] = box
            columns.setdefault(depth.get(m.group, 0) + 1, []).append(box)
    for gid, count in people.items():
        box = Box(("people", gid), f"{count} {'person' if count == 1 else 'people'}", "people")
        boxes[box.key] = box
        columns.setdefault(depth.get(gid, 0) + 1, []).append(box)
    picture = Picture()
    for column, column_boxes in sorted(columns.items()):
        for row, box in enumerate(column_boxes):
            box.x = MARGIN + column * (BOX_WIDTH + COLUMN_GAP)
            box.y = MARGIN + row * (BOX_HEIGHT + ROW_GAP)
            picture.boxes.append(box)
    for m in members:
        parent = boxes.get(("externalGroup", m.group))
        child = boxes.get(("people", m.group) if m.kind == "user" else (m.kind, m.key))
        if parent is None or child is None:
            continue
        line = Line(parent.x + parent.width, parent.y + BOX_HEIGHT // 2, child.x, child.y + BOX_HEIGHT // 2)
        if line not in picture.lines:
            picture.lines.append(line)
    picture.width = max((b.x + b.width for b in picture.boxes), default=0) + MARGIN
    picture.height = max((b.y + b.height for b in picture.boxes), default=0) + MARGIN
    return picture
