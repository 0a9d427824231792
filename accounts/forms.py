from __future__ import annotations

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.contrib.auth.models import User


class SignupForm(AllauthSignupForm):
    """allauth's sign-up form with Django's username rules shown as hints."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = User._meta.get_field("username")
        self.fields["username"].help_text = username.help_text
        self.fields["email"].label = "Email (optional)"
        self.fields[
            "email"
        ].help_text = "Only used to reset a forgotten password; you can add it later."


class PhotoSettingsForm(forms.Form):
    remove_location = forms.BooleanField(
        required=False,
        label="Remove location from originals on upload",
        help_text="The GPS position is blanked in each photo's file as it is "
        "stored; everything else in the file stays as it was. Photos already "
        "in your library keep theirs.",
    )


class DeleteAccountForm(forms.Form):
    """Deleting an account asks for the account's password again."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                "That is not your password.", code="password_incorrect"
            )
        return password
