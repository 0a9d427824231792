from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models


class Profile(models.Model):
    """Per-user settings an operator can change in the admin."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    # Read through gallery.selectors.upload_allowance, the cap's one home.
    upload_limit = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Images this user may keep. Empty: the site default "
        "(GALLERY_UPLOAD_LIMIT); 0: no limit.",
    )
    # Read through gallery.selectors.removes_location by the upload service.
    remove_location = models.BooleanField(
        default=False,
        help_text="Blank the GPS position in originals as they are uploaded.",
    )

    # Find faces in this user's photos and group them into people. Turning it
    # off deletes every face and person (gallery.services.people).
    face_grouping = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"Profile of {self.user}"
