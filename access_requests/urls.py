from django.urls import path

from access_requests import views
from groups.views import create

urlpatterns = [
    path("groups/", views.my_groups, name="my_groups"),
    path("groups/new/", create.my_group_new, name="my_group_new"),
    path("groups/discover/", views.discover, name="discover"),
    path("groups/<uuid:group_id>/join/", views.group_join, name="group_join"),
    path("groups/<uuid:group_id>/request/", views.group_request, name="group_request"),
    path("groups/<uuid:group_id>/leave/", views.group_leave, name="group_leave"),
    path("requests/", views.my_requests, name="my_requests"),
    path("requests/<uuid:request_id>/cancel/", views.request_cancel, name="request_cancel"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/badge/", views.approvals_badge, name="approvals_badge"),
    path("approvals/bulk/", views.approvals_bulk, name="approvals_bulk"),
    path("approvals/<uuid:request_id>/decide/", views.approval_decide, name="approval_decide"),
]
