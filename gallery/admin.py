"""Operators' admin: images, and users with their image counts and upload limits.

The user admin lives here rather than in accounts because what it adds
(image counts, the upload limit, deleting a user's objects) is the gallery's.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html

from accounts.models import Profile

from . import selectors, services
from .models import AnalysisStatus, Image, PendingDeletion


class AnalysisStatusFilter(admin.SimpleListFilter):
    """Each status once, by a name of its own (waiting and running both read
    "Analysing…" on the pages)."""

    title = "analysis"
    parameter_name = "analysis_status__exact"
    LABELS = {
        AnalysisStatus.PENDING: "Waiting",
        AnalysisStatus.RUNNING: "Analysing now",
        AnalysisStatus.DONE: "Analysed",
        AnalysisStatus.FAILED: "Failed",
        AnalysisStatus.SKIPPED: "Not analysed",
    }

    def lookups(self, request, model_admin):
        return [(status.value, label) for status, label in self.LABELS.items()]

    def queryset(self, request, queryset):
        if self.value() in AnalysisStatus.values:
            return queryset.filter(analysis_status=self.value())
        return queryset


class NamedValuesFilter(admin.AllValuesFieldListFilter):
    """Each value of a text field once, the empty one by a name ("none"):
    a filter link with no text says nothing to a screen reader."""

    def choices(self, changelist):
        for choice in super().choices(changelist):
            yield {**choice, "display": choice["display"] or "none"}


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    # The model has a ``preview`` field, so the column has a name of its own.
    # Few, narrow columns: the list fits a 1280 px screen beside its filters.
    list_display = (
        "thumbnail_preview",
        "original_filename",
        "owner",
        "created_at",
        "size",
        "dimensions",
        "analysis_status",
        "analyzed_by",
    )
    # The file name is the link; the thumbnail beside it is decoration.
    list_display_links = ("original_filename",)
    list_filter = (
        AnalysisStatusFilter,
        ("analyzer", NamedValuesFilter),
        ("analyzer_version", NamedValuesFilter),
        "content_type",
        "created_at",
    )
    search_fields = ("original_filename", "owner__username", "description")
    list_select_related = ("owner",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    actions = ("reanalyze",)
    readonly_fields = (
        "id",
        "large_preview",
        "owner",
        "file",
        "preview",
        "thumbnail",
        "thumbnail_small",
        "original_filename",
        "content_type",
        "size_bytes",
        "width",
        "height",
        "sha256",
        "created_at",
        "taken_at",
        "taken_at_offset",
        "camera_make",
        "camera_model",
        "lens",
        "focal_length",
        "f_number",
        "exposure_time",
        "iso",
        # Trashing and restoring go through the services (counts, limits).
        "trashed_at",
        *services.ANALYSIS_FIELDS,
    )
    # Where a photo was taken is shown to its owner only, operators included.
    exclude = ("tag_names", "accent_lab", "latitude", "longitude", "camera_details")

    def has_add_permission(self, request) -> bool:
        # Images arrive through the upload page, which validates and stores them.
        return False

    @admin.display(description="Preview")
    def thumbnail_preview(self, image: Image):
        return format_html(
            '<img src="{}" alt="" width="64" height="48" class="admin-thumb">',
            image.display_url,
        )

    @admin.display(description="Image")
    def large_preview(self, image: Image):
        return format_html(
            '<img src="{}" alt="{}" class="admin-preview">',
            image.display_url,
            image.alt_text,
        )

    @admin.display(description="Size", ordering="size_bytes")
    def size(self, image: Image) -> str:
        return filesizeformat(image.size_bytes)

    @admin.display(description="Dimensions")
    def dimensions(self, image: Image) -> str:
        return f"{image.width}×{image.height}"

    @admin.display(description="Analyzer", ordering="analyzer")
    def analyzed_by(self, image: Image) -> str:
        return f"{image.analyzer} {image.analyzer_version}".strip() or "–"

    def delete_model(self, request, obj: Image) -> None:
        services.image_delete(image=obj)

    def delete_queryset(self, request, queryset) -> None:
        services.image_delete_many(images=queryset)

    @admin.action(description="Re-analyse selected images")
    def reanalyze(self, request, queryset) -> None:
        for image in queryset:
            services.image_analysis_schedule(image=image)
        messages.success(request, f"Re-analysis started for {queryset.count()} images.")


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    verbose_name_plural = "Upload limit"


User = get_user_model()


@admin.register(PendingDeletion)
class PendingDeletionAdmin(admin.ModelAdmin):
    """Objects storage refused to delete: read-only, the app retries them."""

    list_display = ("name", "created_at", "attempts", "next_attempt_at", "last_error")
    ordering = ("next_attempt_at",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [ProfileInline]
    # Kept by Django itself; and plain lists for groups and permissions (the
    # two-box widget puts ARIA labels on elements that may not have them).
    readonly_fields = ("last_login", "date_joined")
    filter_horizontal = ()
    list_display = (
        "username",
        "email",
        "is_staff",
        "date_joined",
        "image_count",
        "upload_limit",
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("profile")
            .annotate(image_count=Count("images", distinct=True))
        )

    @admin.display(description="Images", ordering="image_count")
    def image_count(self, user) -> int:
        return user.image_count

    @admin.display(description="Upload limit")
    def upload_limit(self, user) -> str:
        profile = getattr(user, "profile", None)
        override = None if profile is None else profile.upload_limit
        limit = selectors.upload_limit(override=override)
        shown = "no limit" if limit is None else str(limit)
        return shown if override is not None else f"{shown} (default)"

    def delete_model(self, request, obj) -> None:
        services.user_delete(user=obj)

    def delete_queryset(self, request, queryset) -> None:
        for user in queryset:
            services.user_delete(user=user)
