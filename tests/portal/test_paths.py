"""``{% path %}``: the same text as ``{% url %}``, reversed once per name."""

from __future__ import annotations

import uuid

from django.template import Context, Template
from django.urls import clear_script_prefix, reverse, set_script_prefix

from portal.templatetags.paths import path


def test_it_gives_what_reversing_gives_for_uuids_and_integers():
    group_id = uuid.uuid4()
    assert path("group_detail", group_id) == reverse("group_detail", args=[group_id])
    assert path("group_license_remove", 7) == reverse("group_license_remove", args=[7])
    assert path("group_license_remove", 1234) == "/licenses/1234/remove/"
    assert path("license_list") == reverse("license_list")


def test_it_follows_the_script_prefix():
    group_id = uuid.uuid4()
    set_script_prefix("/groupdesk/")
    try:
        assert path("group_detail", group_id) == f"/groupdesk/groups/{group_id}/"
    finally:
        clear_script_prefix()
    assert path("group_detail", group_id) == f"/groups/{group_id}/"


def test_other_arguments_are_reversed_as_the_url_tag_does():
    group_id = uuid.uuid4()
    assert path("group_detail", str(group_id)) == f"/groups/{group_id}/"


def test_the_template_tag():
    group_id = uuid.uuid4()
    rendered = Template("{% load paths %}<a href=\"{% path 'group_detail' id %}\">").render(
        Context({"id": group_id})
    )
    assert rendered == f'<a href="/groups/{group_id}/">'


def test_the_tag_stores_the_path_with_as():
    group_id = uuid.uuid4()
    template = Template(
        "{% load paths %}{% path 'group_detail' id as link %}<a href=\"{{ link }}\">{{ link }}</a>"
    )
    assert (
        template.render(Context({"id": group_id})) == f'<a href="/groups/{group_id}/">/groups/{group_id}/</a>'
    )


def test_the_tag_follows_the_script_prefix_of_each_render():
    group_id = uuid.uuid4()
    template = Template("{% load paths %}{% path 'group_detail' id %}")
    set_script_prefix("/groupdesk/")
    try:
        assert template.render(Context({"id": group_id})) == f"/groupdesk/groups/{group_id}/"
    finally:
        clear_script_prefix()
    assert template.render(Context({"id": group_id})) == f"/groups/{group_id}/"
