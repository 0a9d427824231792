from __future__ import annotations

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    """Django's admin with the site's admin class (login and two-factor rules)."""

    default_site = "accounts.admin_site.AdminSite"
