from django.urls import path

from groups.views import create, listing, members, rule, settings

urlpatterns = [
    path("", listing.group_list, name="group_list"),
    path("new/", create.group_new, name="group_new"),
    path("new/preview/", create.group_name_preview, name="group_name_preview"),
    path("<uuid:group_id>/members/", members.group_members, name="group_members"),
    path("<uuid:group_id>/members/add/", members.group_member_add, name="group_member_add"),
    path("<uuid:group_id>/members/remove/", members.group_member_remove, name="group_member_remove"),
    path("<uuid:group_id>/members/import/", members.group_members_import, name="group_members_import"),
    path(
        "<uuid:group_id>/members/remove-import/",
        members.group_members_remove_import,
        name="group_members_remove_import",
    ),
    path("<uuid:group_id>/members/export.csv", members.group_members_export, name="group_members_export"),
    path("<uuid:group_id>/owners/", members.group_owners, name="group_owners"),
    path("<uuid:group_id>/owners/add/", members.group_owner_add, name="group_owner_add"),
    path("<uuid:group_id>/owners/remove/", members.group_owner_remove, name="group_owner_remove"),
    path("<uuid:group_id>/settings/", settings.group_edit, name="group_edit"),
    path("<uuid:group_id>/rule/", rule.group_rule, name="group_rule"),
    path("<uuid:group_id>/rule/validate/", rule.group_rule_validate, name="group_rule_validate"),
    path("<uuid:group_id>/rule/build/", rule.group_rule_build, name="group_rule_build"),
    path("<uuid:group_id>/rule/status/", rule.group_rule_status, name="group_rule_status"),
    path("<uuid:group_id>/rule/processing/", rule.group_rule_processing, name="group_rule_processing"),
    path("<uuid:group_id>/rule/holds/<uuid:hold_id>/", rule.group_rule_hold, name="group_rule_hold"),
    path("<uuid:group_id>/delete/", settings.group_delete, name="group_delete"),
    path("<uuid:group_id>/restore/", settings.group_restore_view, name="group_restore"),
    path("<uuid:group_id>/purge/", settings.group_purge, name="group_purge"),
    path("<uuid:group_id>/renew/", settings.group_renew_view, name="group_renew"),
]
