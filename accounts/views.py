from __future__ import annotations

from allauth.mfa.utils import is_mfa_enabled
from allauth.socialaccount.models import SocialAccount
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters

from gallery.services import user_delete

from .forms import DeleteAccountForm


@login_required
def account(request):
    """The account page: email, password, two-factor, linked identities."""
    user = request.user
    context = {
        "two_factor": is_mfa_enabled(user),
        "identities": SocialAccount.objects.filter(user=user),
        "has_password": user.has_usable_password(),
    }
    return render(request, "account/index.html", context)


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
