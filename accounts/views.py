from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters

from gallery.services import user_delete

from .forms import DeleteAccountForm
from .selectors import account_overview


@login_required
def account(request):
    """The account page: email, password, two-factor, linked identities."""
    overview = account_overview(user=request.user)
    return render(request, "account/index.html", {"overview": overview})


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
