"""django-allauth hooks: the site's client address and sign-up policy."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter

from .security import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request) -> str:
        return client_ip(request) or "unknown"


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """A provider identity signs in its linked account or creates a new one.

    It never joins an existing account on a matching email address alone:
    linking is done by the signed-in owner from their account page.
    """
