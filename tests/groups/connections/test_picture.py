"""The nesting picture's layout (plain data): columns by depth, every group once, cycles end, people
summed per group, a line for each containment."""

from __future__ import annotations

from groups.connections.picture import BOX_WIDTH, COLUMN_GAP, MARGIN, Member, layout


def _column(picture, key) -> int:
    box = next(b for b in picture.boxes if b.key == key)
    return (box.x - MARGIN) // (BOX_WIDTH + COLUMN_GAP)


def test_it_puts_groups_in_columns_by_depth_and_sums_people():
    groups = {"esc": "Escalations", "sup": "Support"}
    members = [
        Member("esc", "externalGroup", "sup", "Support"),
        Member("sup", "group", "g1", "Tier 1"),
        Member("sup", "user", "u1", "Alice"),
        Member("sup", "user", "u2", "Bob"),
    ]
    picture = layout(groups, members)
    assert _column(picture, ("externalGroup", "esc")) == 0
    assert _column(picture, ("externalGroup", "sup")) == 1
    assert _column(picture, ("group", "g1")) == 2
    people = next(b for b in picture.boxes if b.key == ("people", "sup"))
    assert people.label == "2 people"
    assert len(picture.lines) == 3 and picture.width > 2 * BOX_WIDTH


def test_a_cycle_without_a_way_in_is_drawn_once_and_ends():
    groups = {"a": "A", "b": "B"}
    picture = layout(groups, [Member("a", "externalGroup", "b", "B"), Member("b", "externalGroup", "a", "A")])
    assert sorted(b.key for b in picture.boxes) == [("externalGroup", "a"), ("externalGroup", "b")]
    assert len(picture.lines) == 2


def test_long_names_are_shortened_with_the_full_name_kept():
    picture = layout({"x": "A very long external group name indeed"}, [])
    box = picture.boxes[0]
    assert (
        box.short_label.endswith("…") and len(box.short_label) <= 22 and box.label.startswith("A very long")
    )
