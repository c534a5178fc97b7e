from django.contrib import admin
from django.db import models

from network.admin import UnscopedAdminMixin
from training.models import CalendarFeed, Feedback, Registration, Seminar, SeminarMaterial


class SeminarMaterialInline(admin.TabularInline):
    model = SeminarMaterial
    extra = 0
    fields = ["title", "original_name", "size", "uploaded_at"]
    readonly_fields = ["original_name", "size", "uploaded_at"]


@admin.register(Seminar)
class SeminarAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "topic",
        "format",
        "language",
        "start_at",
        "status",
        "capacity",
        "confirmed_count",
        "offered_count",
    ]
    list_filter = ["status", "topic", "format", "language"]
    search_fields = ["title", "city", "venue"]
    date_hierarchy = "start_at"
    # Seats move only through the registration services, under the seminar's lock.
    readonly_fields = [
        "status",
        "confirmed_count",
        "offered_count",
        "arrival_counter",
        "published_at",
        "cancelled_at",
        "created_by",
    ]
    inlines = [SeminarMaterialInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Registration)
class RegistrationAdmin(UnscopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "seminar",
        "user",
        "organization",
        "status",
        "arrival",
        "created_at",
        "attended_at",
    ]
    list_filter = ["status", "seminar", ("attended_at", admin.EmptyFieldListFilter)]
    list_select_related = ["seminar", "user", "organization"]
    search_fields = ["user__email", "user__full_name", "organization__name", "seminar__title"]
    raw_id_fields = ["seminar", "user", "organization", "checked_in_by"]
    # Every state change goes through a service (locks, counters, mail): read-only here.
    readonly_fields = [
        field.name for field in Registration._meta.fields if field.name not in ("id",)
    ]

    def has_add_permission(self, request):
        return False


@admin.register(Feedback)
class FeedbackAdmin(UnscopedAdminMixin, admin.ModelAdmin):
    list_display = ["seminar", "rating", "organization", "created_at"]
    list_filter = ["rating", "seminar"]
    list_select_related = ["seminar", "organization"]
    readonly_fields = ["registration", "seminar", "organization", "rating", "comment", "created_at"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at"]
    raw_id_fields = ["user"]
    exclude = ["token"]
