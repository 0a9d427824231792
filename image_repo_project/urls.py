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
