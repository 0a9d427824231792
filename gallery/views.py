"""The gallery's pages: parse the request, call one service or selector, render."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services
from .colorspace import COLOR_NAMES
from .forms import SelectionForm, SingleUploadForm, UploadForm
from .models import Image

logger = logging.getLogger(__name__)

NOT_REACHED = (
    "Not stored: this upload took too long to get to it. Nothing of it was "
    "saved; send it again."
)
UNEXPECTED = (
    "Something went wrong on our side while storing this file; nothing of it "
    "was saved. Please try again."
)


def _get_image_for_owner(request, image_id) -> Image:
    """The signed-in user's image; anyone else's answers 404 like a missing one."""
    image = selectors.image_get(owner=request.user, image_id=image_id)
    if image is None:
        raise Http404("No such image.")
    return image


def _uploads_left(user) -> int | None:
    return selectors.upload_allowance(owner=user).left


def home(request):
    if request.user.is_authenticated:
        return redirect("gallery:list")
    return render(request, "home.html")


# Images above the fold load at once; the rest as they scroll into view.
EAGER_IMAGES = 8


@login_required
@require_GET
def image_list(request):
    filters = selectors.image_filters(request.GET)
    images = selectors.image_list(owner=request.user, filters=filters)
    # The kept total, and the version the months and tag chips are cached by.
    library = selectors.library_get(owner=request.user)
    page = selectors.image_page(
        images,
        request.GET.get("page"),
        per_page=settings.GALLERY_PAGE_SIZE,
        # Unfiltered, the owner's kept total; a search counts its matches.
        count=None if filters.active or filters.month else library.count,
    )
    for error in filters.errors:
        messages.error(request, error)
    return render(
        request,
        "gallery/list.html",
        {
            "page": page,
            "days": selectors.timeline_days(
                page.object_list,
                by_date=filters.by_date,
                sort=filters.sort,
                eager=EAGER_IMAGES if page.number == 1 else 0,
            ),
            "months": selectors.month_index(
                selectors.timeline_months(owner=request.user, library=library)
                if filters.sort == selectors.TIMELINE_SORT and not filters.active
                else [],
                selected=filters.month,
            ),
            "filters": filters,
            "sorts": selectors.SORT_LABELS,
            "colors": COLOR_NAMES,
            "tag_chips": [
                (tag, count, _query_with(request.GET, tag=tag))
                for tag, count in selectors.tag_counts(
                    owner=request.user, library=library
                )
            ],
            "query_string": _query_without(request.GET, "page"),
            "clear_urls": {
                name: _query_without(request.GET, name, "page")
                for name in ("q", "tag", "color", "month")
            },
            "uploads_left": selectors.upload_allowance(
                owner=request.user, library=library
            ).left,
            "trash_days": settings.GALLERY_TRASH_DAYS,
        },
    )


def _query_without(params, *names: str) -> str:
    query = params.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _query_with(params, **values: str) -> str:
    """The query string with ``values`` set and the page number dropped."""
    query = params.copy()
    query.pop("page", None)
    for name, value in values.items():
        query[name] = value
    return query.urlencode()


@login_required
def image_upload(request):
    results = []
    status = 200
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            files = form.cleaned_data["images"]
            results = _upload_all(request.user, files)
        if not any(result.image for result in results):
            status = 400
    else:
        form = UploadForm()
    context = {
        "form": form,
        "results": results,
        "uploads_left": _uploads_left(request.user),
        "max_upload_mb": settings.GALLERY_MAX_UPLOAD_MB,
        "max_files": settings.GALLERY_MAX_FILES_PER_REQUEST,
    }
    return render(request, "gallery/upload.html", context, status=status)


@dataclass(frozen=True)
class UploadResult:
    """What became of one uploaded file, for the page and for the JSON answer."""

    name: str
    status: str  # stored, duplicate or refused
    code: str  # "stored", or the refusal's code (validation or service)
    image: Image | None = None
    error: str = ""
    existing: Image | None = None
    # Worth sending again as it is (the store did not answer).
    retryable: bool = False

    @property
    def existing_url(self) -> str:
        """Where the copy already in the library is: its page, or the trash."""
        if self.existing is None:
            return ""
        if self.existing.trashed_at is not None:
            return reverse("gallery:trash")
        return reverse("gallery:detail", args=[self.existing.pk])


def _upload_all(user, files) -> list[UploadResult]:
    """Each file's fate; files left when the request's time is spent are not read.

    Each file's own work is bounded (decode budget, storage timeouts), so a
    request ends within GALLERY_UPLOAD_REQUEST_SECONDS plus one file's worth.
    """
    deadline = time.monotonic() + settings.GALLERY_UPLOAD_REQUEST_SECONDS
    results = []
    for file in files:
        if time.monotonic() > deadline:
            name = services.clean_filename(file.name)
            results.append(_refused(name, NOT_REACHED, "not_reached", retryable=True))
        else:
            results.append(_upload_one(user, file))
    return results


def _upload_one(user, file) -> UploadResult:
    """One file's fate: stored, or refused with a message and a code."""
    name = services.clean_filename(file.name)
    try:
        image = services.image_upload(owner=user, file=file)
    except ValidationError as error:
        return _refused(name, " ".join(error.messages), error.code or "invalid")
    except services.DuplicateImage as duplicate:
        return UploadResult(
            name,
            "duplicate",
            duplicate.code,
            error=str(duplicate),
            existing=duplicate.existing,
        )
    except services.StorageUnavailable as unavailable:
        return _refused(name, str(unavailable), unavailable.code, retryable=True)
    except services.UploadRefused as refused:
        return _refused(name, str(refused), refused.code)
    except DatabaseError:
        raise  # the database is down: the whole request answers 503
    except Exception:
        # A fault of ours, not of the file: the others in the request still go on.
        logger.exception("Upload of %r failed", name)
        return _refused(name, UNEXPECTED, "unexpected", retryable=True)
    return UploadResult(name, "stored", "stored", image=image)


def _refused(name: str, error: str, code: str, retryable=False) -> UploadResult:
    return UploadResult(name, "refused", code, error=error, retryable=retryable)


# The JSON answer's HTTP status for each outcome.
UPLOAD_STATUS_CODES = {"stored": 201, "duplicate": 409, "refused": 422}


@login_required
@require_POST
def image_upload_file(request):
    """One file per request, for the upload page's queue: the same service as
    the form, answered in JSON (status, code, message, image id, thumbnail URL)."""
    form = SingleUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        message = " ".join(str(error) for error in form.errors.get("image", []))
        return JsonResponse(
            {
                "status": "refused",
                "code": "no_file",
                "message": message or "Choose a file to upload.",
            },
            status=400,
        )
    result = _upload_one(request.user, form.cleaned_data["image"])
    shown = result.image or result.existing
    answer = {
        "name": result.name,
        "status": result.status,
        "code": result.code,
        "message": result.error or "Stored.",
        "retryable": result.retryable,
        "image_id": str(shown.pk) if shown else None,
        "url": (
            reverse("gallery:detail", args=[result.image.pk])
            if result.image
            else result.existing_url or None
        ),
        "thumbnail_url": shown.display_url if shown else None,
        "uploads_left": _uploads_left(request.user),
    }
    code = 503 if result.retryable else UPLOAD_STATUS_CODES[result.status]
    return JsonResponse(answer, status=code)


@login_required
@require_GET
def image_detail(request, image_id):
    image = _get_image_for_owner(request, image_id)
    relatives = selectors.image_relatives(image=image)
    return render(
        request,
        "gallery/detail.html",
        {
            "image": image,
            "download_url": selectors.image_download_url(image=image),
            "near_duplicates": relatives.near_duplicates,
            "similar": relatives.similar,
            "camera": selectors.image_camera_details(image=image, viewer=request.user),
            "people_in_photo": selectors.image_people(image=image),
            "trash_days": settings.GALLERY_TRASH_DAYS,
        },
    )


@login_required
@require_GET
def image_similar(request, image_id):
    image = _get_image_for_owner(request, image_id)
    matches = selectors.similar_images(
        image=image, limit=24, min_similarity=selectors.ALIKE
    )
    cards = selectors.image_cards((match for match, _ in matches), eager=EAGER_IMAGES)
    return render(
        request,
        "gallery/similar.html",
        {
            "image": image,
            "matches": matches,
            "cards": cards,
            "scores": [score for _, score in matches],
            "has_embedding": selectors.image_has_embedding(image=image),
        },
    )


@login_required
@require_POST
def image_delete(request, image_id):
    image = _get_image_for_owner(request, image_id)
    services.images_trash(owner=request.user, ids=[image.pk])
    if services.trash_enabled():
        messages.success(request, f"Moved {image.original_filename} to the trash.")
    else:
        messages.success(request, f"Deleted {image.original_filename}.")
    return redirect("gallery:list")


def _selection(request):
    """The signed-in user's images a bulk action applies to, or None after
    telling them what is wrong with the selection."""
    form = SelectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for error in form.errors["ids"]))
        return None
    return selectors.image_selection(
        owner=request.user,
        ids=form.cleaned_data["ids"],
        all_results=form.cleaned_data["all_results"],
        filters=selectors.image_filters(request.POST),
    )


def _images(count: int) -> str:
    return f"{count} image{'s' if count != 1 else ''}"


@login_required
@require_POST
def image_delete_many(request):
    images = _selection(request)
    if images is None:
        return redirect("gallery:list")
    ids = list(images.values_list("pk", flat=True))
    count = services.images_trash(owner=request.user, ids=ids)
    messages.success(request, _deleted(count))
    return redirect("gallery:list")


def _selected_ids(request) -> list | None:
    """The ids a bulk form ticked; None (with the reason shown) when invalid."""
    form = SelectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for error in form.errors["ids"]))
        return None
    return form.cleaned_data["ids"]


def _deleted(count: int) -> str:
    if services.trash_enabled():
        return f"Moved {_images(count)} to the trash."
    return f"Deleted {_images(count)}."


@login_required
@require_POST
def image_reanalyze_many(request):
    images = _selection(request)
    if images is None:
        return redirect("gallery:list")
    try:
        count = services.image_reanalyze_many(images=images)
    except services.TooManyToAnalyseNow as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"Analysing {_images(count)} again.")
    return redirect("gallery:list")


@login_required
@require_POST
def image_download_many(request):
    images = _selection(request)
    if images is None:
        return redirect("gallery:list")
    count = images.count()
    if count > selectors.MAX_ARCHIVE_IMAGES:
        messages.error(
            request,
            f"A download holds up to {selectors.MAX_ARCHIVE_IMAGES} photos; "
            f"{count} are selected.",
        )
        return redirect("gallery:list")
    response = StreamingHttpResponse(
        selectors.image_archive(images=images), content_type="application/zip"
    )
    response["Content-Disposition"] = 'attachment; filename="photos.zip"'
    return response


@login_required
def image_delete_all(request):
    count = selectors.image_count(owner=request.user)
    if request.method == "POST":
        deleted = services.images_trash_all(owner=request.user)
        if services.trash_enabled():
            messages.success(request, _deleted(deleted))
        else:
            messages.success(request, f"Deleted all {deleted} of your images.")
        return redirect("gallery:list")
    return render(
        request,
        "gallery/delete_all.html",
        {"count": count, "trash_days": settings.GALLERY_TRASH_DAYS},
    )


@login_required
@require_GET
def trash(request):
    page = selectors.image_page(
        selectors.trash_list(owner=request.user),
        request.GET.get("page"),
        per_page=settings.GALLERY_PAGE_SIZE,
    )
    return render(
        request,
        "gallery/trash.html",
        {"page": page, "trash_days": settings.GALLERY_TRASH_DAYS},
    )


@login_required
@require_POST
def trash_restore(request):
    ids = _selected_ids(request)
    if ids is None:
        return redirect("gallery:trash")
    try:
        count = services.images_restore(owner=request.user, ids=ids)
    except services.RestoreOverLimit as refused:
        messages.error(request, str(refused))
        return redirect("gallery:trash")
    messages.success(request, f"Restored {_images(count)}.")
    return redirect("gallery:list")


@login_required
@require_POST
def trash_delete(request):
    ids = _selected_ids(request)
    if ids is None:
        return redirect("gallery:trash")
    count = services.trash_delete(owner=request.user, ids=ids)
    messages.success(request, f"Deleted {_images(count)} for good.")
    return redirect("gallery:trash")


@login_required
@require_POST
def trash_empty(request):
    count = services.trash_empty(owner=request.user)
    messages.success(request, f"Deleted {_images(count)} for good.")
    return redirect("gallery:trash")


@login_required
@require_POST
def image_reanalyze(request, image_id):
    image = _get_image_for_owner(request, image_id)
    services.image_analysis_schedule(image=image)
    return redirect("gallery:detail", image_id=image.id)
