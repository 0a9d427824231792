"""Writes for the account pages."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from .models import Profile


def profile_photo_settings_update(
    *, user: AbstractBaseUser, remove_location: bool
) -> Profile:
    """Save the owner's photo settings (the profile is made on first use)."""
    profile, _ = Profile.objects.get_or_create(user_id=user.pk)
    profile.remove_location = remove_location
    profile.full_clean()
    profile.save(update_fields=["remove_location"])
    return profile
