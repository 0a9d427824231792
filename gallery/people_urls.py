from __future__ import annotations

from django.urls import path

from . import people_views as views

app_name = "people"
urlpatterns = [
    path("", views.people_list, name="index"),
    path("grouping/", views.face_grouping, name="grouping"),
    path("<uuid:person_id>/", views.person_detail, name="detail"),
    path("<uuid:person_id>/rename/", views.person_rename, name="rename"),
    path("<uuid:person_id>/merge/", views.person_merge, name="merge"),
    path("faces/<uuid:face_id>.jpg", views.face_image, name="face_image"),
    path("faces/<uuid:face_id>/remove/", views.face_remove, name="face_remove"),
]
