import json

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from network.models import AuditEvent, Invitation, Membership, Notification, Organization, User

# The operators' fallback console (network.admin_site): search, filters and a read-only audit
# trail.


class UnscopedAdminMixin:
    """Operators' admin sees every tenant, deliberately."""

    def get_queryset(self, request):
        # The operators' console lists every organisation's rows (read-only or staff-only).
        with scopes_disabled():
            return super().get_queryset(request).all()


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "language", "is_active", "is_staff", "date_joined"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["full_name", "language", "time_zone"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]

    def get_readonly_fields(self, request, obj=None):
        # Only a superuser hands out staff or superuser status: the network's administrators
        # may change people's records but not raise anyone above themselves.
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_staff", "is_superuser", "groups"]
        return readonly


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country", "status", "created_at"]
    list_filter = ["kind", "status", "country", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["name", "slug", "memberships__user__email"]
    date_hierarchy = "created_at"
    inlines = [MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(UnscopedAdminMixin, admin.ModelAdmin):
    list_display = ["email", "organization", "role", "status", "expires_at"]
    list_filter = ["status", "role"]
    search_fields = ["email", "organization__name"]
    exclude = ["token_hash"]


@admin.register(AuditEvent)
class AuditEventAdmin(UnscopedAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "action", "actor", "organization", "target_type", "target_repr"]
    list_filter = [
        "action",
        "organization__kind",
        "target_type",
        ("created_at", admin.DateFieldListFilter),
    ]
    list_select_related = ["actor", "organization", "target_type"]
    search_fields = [
        "action",
        "target_repr",
        "target_id",
        "actor__email",
        "organization__name",
    ]
    date_hierarchy = "created_at"
    fields = [
        "created_at",
        "action",
        "actor",
        "organization",
        "target_type",
        "target_id",
        "target_repr",
        "changes_display",
    ]
    readonly_fields = fields
    show_full_result_count = False  # no second COUNT over a large table on every page

    @admin.display(description=_("changes"))
    def changes_display(self, event: AuditEvent):
        return format_html(
            "<pre>{}</pre>", json.dumps(event.changes, indent=2, ensure_ascii=False, default=str)
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(UnscopedAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "email", "kind", "subject", "sent_at"]
    list_filter = ["kind", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "subject"]
    date_hierarchy = "created_at"
