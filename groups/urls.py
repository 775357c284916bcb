from django.urls import path

from groups import views

urlpatterns = [
    path("", views.group_list, name="group_list"),
    path("new/", views.group_new, name="group_new"),
    path("<uuid:group_id>/", views.group_detail, name="group_detail"),
]
