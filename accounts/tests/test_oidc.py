"""Sign-in with a real OpenID Connect provider, in headless Chromium."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model

from gallery.tests.browser import screenshot

from .support import log_in_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_at_the_provider(page, name: str) -> None:
    """The provider's own pages: its login form, then its consent prompt."""
    page.wait_for_selector("input[name=login]")
    page.fill("input[name=login]", name)
    page.fill("input[name=password]", "anything")
    page.click("button[type=submit]")
    page.wait_for_selector("button[type=submit]")
    page.click("button[type=submit]")  # "Continue" on the consent prompt


def test_first_sign_in_creates_the_account_and_lands_in_the_gallery(
    live_server, oidc_provider, page_at
):
    page = page_at(1280)
    page.goto(f"{live_server.url}/accounts/login/")
    screenshot(page, "desktop-login-with-provider")
    page.get_by_role("button", name="Sign in with Test Provider").click()
    sign_in_at_the_provider(page, "frida")
    page.wait_for_url(f"{live_server.url}/images/")
    assert "No photos yet" in page.content()

    user = get_user_model().objects.get(username="frida")
    identity = SocialAccount.objects.get(user=user)
    assert (identity.provider, identity.uid) == ("oidc", "frida")
    assert not user.has_usable_password()

    # A second sign-in reuses the same account.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Sign in with Test Provider").click()
    sign_in_at_the_provider(page, "frida")
    page.wait_for_url(f"{live_server.url}/images/")
    assert get_user_model().objects.filter(username__startswith="frida").count() == 1


def test_an_existing_account_links_its_provider_identity(
    live_server, oidc_provider, page_at, alice
):
    page = page_at(1280)
    log_in_in_browser(page, live_server.url, "alice", "correct horse 1")

    page.goto(f"{live_server.url}/accounts/")
    page.get_by_role("link", name="Link or unlink a provider identity").click()
    page.get_by_role("button", name="Link your Test Provider identity").click()
    sign_in_at_the_provider(page, "alice-at-work")
    page.wait_for_url(f"{live_server.url}/accounts/3rdparty/")
    screenshot(page, "desktop-linked-identity")
    assert SocialAccount.objects.get(uid="alice-at-work").user == alice

    # From now on the provider signs alice in, with no password.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Sign in with Test Provider").click()
    sign_in_at_the_provider(page, "alice-at-work")
    page.wait_for_url(f"{live_server.url}/images/")
    page.goto(f"{live_server.url}/accounts/")
    assert "Signed in as <strong>alice</strong>" in page.content()
