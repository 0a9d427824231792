"""The People pages: the owner's faces grouped into people, and their fixes."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services
from .forms import PersonMergeForm, PersonNameForm
from .models import Person


def _get_person_for_owner(request, person_id) -> Person:
    """The signed-in user's person; anyone else's answers 404 like a missing one."""
    person = selectors.person_get(owner=request.user, person_id=person_id)
    if person is None:
        raise Http404("No such person.")
    return person


@login_required
@require_GET
def people_list(request):
    return render(
        request,
        "people/list.html",
        {
            "people": selectors.people_list(owner=request.user),
            "grouping": selectors.face_grouping_enabled(owner_id=request.user.pk),
        },
    )


@login_required
@require_GET
def person_detail(request, person_id):
    person = _get_person_for_owner(request, person_id)
    page = selectors.image_page(
        selectors.person_images(person=person),
        request.GET.get("page"),
        per_page=settings.GALLERY_PAGE_SIZE,
    )
    others = [
        s for s in selectors.people_list(owner=request.user) if s.person != person
    ]
    return render(
        request,
        "people/detail.html",
        {
            "person": person,
            "faces": selectors.person_faces(person=person),
            "page": page,
            "others": others,
        },
    )


@login_required
@require_POST
def person_rename(request, person_id):
    person = _get_person_for_owner(request, person_id)
    form = PersonNameForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A name has at most 100 characters.")
        return redirect("people:detail", person.pk)
    services.person_rename(
        owner=request.user, person_id=person.pk, name=form.cleaned_data["name"]
    )
    messages.success(request, "Name saved.")
    return redirect("people:detail", person.pk)


@login_required
@require_POST
def person_merge(request, person_id):
    person = _get_person_for_owner(request, person_id)
    form = PersonMergeForm(request.POST)
    try:
        into = services.people_merge(
            owner=request.user,
            person_id=person.pk,
            into_id=form.cleaned_data["into"] if form.is_valid() else None,
        )
    except services.PersonError as error:
        messages.error(request, str(error))
        return redirect("people:detail", person.pk)
    messages.success(request, "Merged: these photos now show one person.")
    return redirect("people:detail", into.pk)


@login_required
@require_POST
def face_remove(request, face_id):
    try:
        person = services.face_remove(owner=request.user, face_id=face_id)
    except services.PersonError as error:
        raise Http404(str(error)) from error
    messages.success(request, "Face removed from this person.")
    if person is None:
        return redirect("people:index")
    return redirect("people:detail", person.pk)


@login_required
@require_GET
def face_image(request, face_id):
    data = selectors.face_thumbnail(owner=request.user, face_id=face_id)
    if data is None:
        raise Http404("No such face.")
    response = HttpResponse(data, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_POST
def face_grouping(request):
    enabled = request.POST.get("enabled") == "on"
    services.face_grouping_set(owner=request.user, enabled=enabled)
    if enabled:
        messages.success(
            request,
            "Face grouping is on: faces in photos you upload or analyse again "
            "are grouped into people.",
        )
    else:
        messages.success(
            request, "Face grouping is off; every face and person was deleted."
        )
    return redirect("people:index")
