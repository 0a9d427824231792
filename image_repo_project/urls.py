from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from gallery import views as gallery_views

from . import views

urlpatterns = [
    path("", gallery_views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("images/", include("gallery.urls")),
    path("people/", include("gallery.people_urls")),
    path("media/<str:token>/", views.media_file, name="media_file"),
    path("admin/", admin.site.urls),
]

handler400 = "image_repo_project.errors.bad_request"
handler403 = "image_repo_project.errors.permission_denied"
handler404 = "image_repo_project.errors.page_not_found"
handler500 = "image_repo_project.errors.server_error"
