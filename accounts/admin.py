from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count

from gallery.services import user_delete

from .models import Profile

User = get_user_model()


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    verbose_name_plural = "Upload limit"


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [ProfileInline]
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

    @admin.display(description="Upload limit override")
    def upload_limit(self, user):
        profile = getattr(user, "profile", None)
        if profile is None or profile.upload_limit is None:
            return "default"
        return profile.upload_limit or "no limit"

    def delete_model(self, request, obj):
        user_delete(user=obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            user_delete(user=user)
