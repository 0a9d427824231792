from __future__ import annotations

from django.urls import path

from . import views

app_name = "gallery"
urlpatterns = [
    path("", views.image_list, name="list"),
    path("upload/", views.image_upload, name="upload"),
    path("upload/file/", views.image_upload_file, name="upload_file"),
    path("delete/", views.image_delete_many, name="delete_many"),
    path("reanalyze/", views.image_reanalyze_many, name="reanalyze_many"),
    path("download/", views.image_download_many, name="download_many"),
    path("delete-all/", views.image_delete_all, name="delete_all"),
    path("trash/", views.trash, name="trash"),
    path("trash/restore/", views.trash_restore, name="trash_restore"),
    path("trash/delete/", views.trash_delete, name="trash_delete"),
    path("trash/empty/", views.trash_empty, name="trash_empty"),
    path("<uuid:image_id>/", views.image_detail, name="detail"),
    path("<uuid:image_id>/delete/", views.image_delete, name="delete"),
    path("<uuid:image_id>/reanalyze/", views.image_reanalyze, name="reanalyze"),
    path("<uuid:image_id>/similar/", views.image_similar, name="similar"),
]
