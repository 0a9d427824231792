from __future__ import annotations

import uuid

from django import forms
from django.conf import settings

from .validators import ACCEPT_ATTRIBUTE

TOO_MANY_FILES = (
    "Send at most %(limit)s files at a time; nothing was stored. "
    "Choose fewer and upload the rest afterwards."
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that accepts several files (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": ACCEPT_ATTRIBUTE})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list:
        # Only "was anything sent"; each file is judged on its own by the
        # upload service, so one bad file does not refuse the others.
        items = data if isinstance(data, list | tuple) else [data]
        files = [item for item in items if item]
        if not files and self.required:
            raise forms.ValidationError(
                self.error_messages["required"], code="required"
            )
        if len(files) > settings.GALLERY_MAX_FILES_PER_REQUEST:
            raise forms.ValidationError(
                TOO_MANY_FILES,
                code="too_many_files",
                params={"limit": settings.GALLERY_MAX_FILES_PER_REQUEST},
            )
        return files


class UploadForm(forms.Form):
    images = MultipleFileField(
        label="Photos",
        help_text="JPEG, HEIC, AVIF, PNG, GIF, WebP, BMP or TIFF. Choose one or many.",
        error_messages={"required": "Choose at least one image to upload."},
    )


class SingleUploadForm(forms.Form):
    """One file per request: the upload page's queue (see views.image_upload_file)."""

    image = forms.FileField(
        allow_empty_file=True,  # the upload service says "The file is empty."
        error_messages={"required": "Choose a file to upload."},
    )


class UUIDListField(forms.Field):
    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[uuid.UUID]:
        try:
            return [uuid.UUID(str(item)) for item in value or []]
        except ValueError:
            raise forms.ValidationError(
                "The selection is not valid.", code="invalid"
            ) from None


class SelectionForm(forms.Form):
    """The photos a bulk action applies to: ticked ids, or every result of
    the gallery's filters (sent along as q, tag, color, month)."""

    ids = UUIDListField(required=False)
    all_results = forms.BooleanField(required=False)

    def clean(self):
        cleaned = super().clean() or {}
        nothing = not cleaned.get("ids") and not cleaned.get("all_results")
        if nothing and "ids" not in self.errors:
            self.add_error("ids", "Select at least one image.")
        return cleaned


class PersonNameForm(forms.Form):
    name = forms.CharField(max_length=100, required=False, strip=True)


class PersonMergeForm(forms.Form):
    into = forms.UUIDField(error_messages={"required": "Choose a person."})
