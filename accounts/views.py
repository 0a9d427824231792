from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from gallery.services import user_delete

from .forms import DeleteAccountForm, PhotoSettingsForm
from .selectors import account_overview
from .services import profile_photo_settings_update


@login_required
def account(request):
    """The account page: email, password, two-factor, linked identities."""
    overview = account_overview(user=request.user)
    photo_form = PhotoSettingsForm(
        initial={"remove_location": overview.remove_location}
    )
    return render(
        request,
        "account/index.html",
        {"overview": overview, "photo_form": photo_form},
    )


@login_required
@require_POST
def account_photos(request):
    """The photo settings form of the account page."""
    form = PhotoSettingsForm(request.POST)
    if form.is_valid():
        profile_photo_settings_update(
            user=request.user, remove_location=form.cleaned_data["remove_location"]
        )
        messages.success(request, "Your photo settings were saved.")
    return redirect("account")


@login_required
@sensitive_post_parameters("password")
def account_delete(request):
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        user_delete(user=user)
        messages.success(request, "Your account and all your photos were deleted.")
        return redirect("home")
    return render(request, "account/delete.html", {"form": form})
