from django.urls import path

from access_requests import views

urlpatterns = [
    path("groups/", views.my_groups, name="my_groups"),
    path("groups/discover/", views.discover, name="discover"),
    path("requests/", views.my_requests, name="my_requests"),
    path("approvals/", views.approvals, name="approvals"),
]
