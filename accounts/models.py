from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models


class Profile(models.Model):
    """Per-user settings an operator can change in the admin."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    upload_limit = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Images this user may keep. Empty: the site default "
        "(GALLERY_UPLOAD_LIMIT); 0: no limit.",
    )

    def __str__(self) -> str:
        return f"Profile of {self.user}"


def upload_limit_for(user) -> int | None:
    """How many images the user may keep; None means no limit."""
    override = (
        Profile.objects.filter(user=user).values_list("upload_limit", flat=True).first()
    )
    limit = settings.GALLERY_UPLOAD_LIMIT if override is None else override
    return limit or None
