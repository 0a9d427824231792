"""django-allauth hooks: the site's client address and sign-up policy."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter

from .security import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request) -> str:
        return client_ip(request) or "unknown"

    def pre_authenticate(self, request, **credentials) -> None:
        """Password attempts are throttled by django-axes alone.

        allauth's own "login_failed" limit is keyed by username only, so it
        would lock an account's owner out from every address; it still guards
        the two-factor code step, which counts per user.
        """


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """A provider identity signs in its linked account or creates a new one.

    It never joins an existing account on a matching email address alone:
    linking is done by the signed-in owner from their account page.
    """
