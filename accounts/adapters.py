"""django-allauth hooks: the site's client address, sign-up policy and the
message that greets a new account."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter

from .security import client_ip

SIGNED_IN = "account/messages/logged_in.txt"
SIGNED_UP = "account/messages/signed_up.txt"


class AccountAdapter(DefaultAccountAdapter):
    def post_login(self, request, user, **kwargs):
        # A sign-up ends in a sign-in: its message says an account was made.
        request.signed_up = kwargs.get("signup", False)
        return super().post_login(request, user, **kwargs)

    def add_message(self, request, level, message_template=None, *args, **kwargs):
        if message_template == SIGNED_IN and getattr(request, "signed_up", False):
            message_template = SIGNED_UP
        super().add_message(request, level, message_template, *args, **kwargs)

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
