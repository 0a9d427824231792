from __future__ import annotations

from django.contrib.auth.forms import UserCreationForm


class SignupForm(UserCreationForm):
    """Django's own sign-up form: username rules and password validators."""

    class Meta(UserCreationForm.Meta):  # type: ignore[name-defined]
        fields = ("username",)
