from __future__ import annotations

from django.urls import include, path

from . import views

# The site's own pages first; django-allauth serves sign-up, login, logout,
# password change and reset, email, two-factor (2fa/) and OpenID Connect.
urlpatterns = [
    path("", views.account, name="account"),
    path("delete/", views.account_delete, name="account_delete"),
    path("photos/", views.account_photos, name="account_photos"),
    path("", include("allauth.urls")),
]
