from __future__ import annotations

from django.urls import path

from groups.connections import views

CONNECTION = "<uuid:connection_pk>/"
GROUP = f"{CONNECTION}groups/<uuid:external_group_pk>/"
ITEM = f"{CONNECTION}items/<uuid:item_pk>/"

urlpatterns = [
    path("", views.connection_list, name="connection_list"),
    path(CONNECTION, views.connection_detail, name="connection_detail"),
    path(f"{CONNECTION}delete/", views.connection_delete, name="connection_delete"),
    path(GROUP, views.external_group_detail, name="external_group_detail"),
    path(f"{GROUP}remove/", views.external_group_member_remove, name="external_group_member_remove"),
    path(f"{GROUP}delete/", views.external_group_delete, name="external_group_delete"),
    path(ITEM, views.item_detail, name="external_item_detail"),
    path(f"{ITEM}delete/", views.item_delete, name="external_item_delete"),
]
