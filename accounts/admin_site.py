"""The admin, reached through the site's own login (throttled, two-factor)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.urls import reverse

from .security import used_second_factor


class AdminSite(admin.AdminSite):
    site_header = "Image Repo administration"
    # Every model is one click from the index; the list pages get the width.
    enable_nav_sidebar = False

    def has_permission(self, request) -> bool:
        if not super().has_permission(request):
            return False
        # With ACCOUNTS_STAFF_REQUIRE_2FA, a password alone never opens the admin.
        return not settings.ACCOUNTS_STAFF_REQUIRE_2FA or used_second_factor(request)

    def login(self, request, extra_context=None):
        """Sign-in happens on the site's login page, never on a form of its own."""
        user = request.user
        if not user.is_authenticated:
            # The login page checks that `next` stays on this site.
            next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
            return redirect_to_login(next_url, settings.LOGIN_URL)
        if user.is_active and user.is_staff and not self.has_permission(request):
            return render(request, "account/admin_needs_2fa.html", status=403)
        return super().login(request, extra_context)
