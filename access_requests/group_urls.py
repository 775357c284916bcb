"""The group page's tabs that belong to requests, under /groups/ beside ``groups.urls``: the overview
(with its join box) and the requests tab."""

from django.urls import path

from access_requests.views.approvals import group_requests
from access_requests.views.overview import group_detail

urlpatterns = [
    path("<uuid:group_id>/", group_detail, name="group_detail"),
    path("<uuid:group_id>/requests/", group_requests, name="group_requests"),
]
