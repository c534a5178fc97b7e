"""Brand protection in the admin: read-only, since decisions go through the moderation pages
and are audited."""

from django.contrib import admin

from moderation.models import Appeal, Brand, BrandGrant, ListingReport
from network.admin import UnscopedAdminMixin


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Brand)
class BrandAdmin(_ReadOnlyAdmin):
    list_display = ["name", "owner", "trademark_office", "trademark_number", "status"]
    list_filter = ["status", "trademark_office"]
    search_fields = ["name", "trademark_number", "owner__name"]
    list_select_related = ["owner"]


@admin.register(BrandGrant)
class BrandGrantAdmin(_ReadOnlyAdmin):
    list_display = ["brand", "reseller", "expires_at", "revoked_at"]
    list_select_related = ["brand", "reseller"]


@admin.register(ListingReport)
class ListingReportAdmin(_ReadOnlyAdmin):
    list_display = ["pk", "product", "merchant", "reason", "source", "status", "created_at"]
    list_filter = ["status", "reason", "source"]
    list_select_related = ["product", "merchant"]


@admin.register(Appeal)
class AppealAdmin(UnscopedAdminMixin, _ReadOnlyAdmin):
    list_display = ["report", "organization", "status", "created_at", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["report", "organization"]
