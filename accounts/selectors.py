"""Reads for the account pages."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.mfa.utils import is_mfa_enabled
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import AbstractBaseUser

from .models import Profile


@dataclass(frozen=True)
class AccountOverview:
    two_factor: bool
    identities: list[SocialAccount]
    has_password: bool
    remove_location: bool


def account_overview(*, user: AbstractBaseUser) -> AccountOverview:
    """What the account page shows: second factor, linked identities, password."""
    return AccountOverview(
        two_factor=is_mfa_enabled(user),
        identities=list(SocialAccount.objects.filter(user=user)),
        has_password=user.has_usable_password(),
        remove_location=bool(
            Profile.objects.filter(user_id=user.pk)
            .values_list("remove_location", flat=True)
            .first()
        ),
    )
