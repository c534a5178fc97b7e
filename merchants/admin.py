from django.contrib import admin

from merchants.models import BrandClaim, MerchantApplication, MerchantDocument, ReviewNote, Strike
from network.admin import UnscopedAdminMixin


class BrandClaimInline(admin.TabularInline):
    model = BrandClaim
    extra = 0


class DocumentInline(admin.TabularInline):
    model = MerchantDocument
    extra = 0
    fields = ["kind", "original_name", "content_type", "size", "uploaded_at"]
    readonly_fields = fields
    can_delete = False


class NoteInline(admin.TabularInline):
    model = ReviewNote
    extra = 0
    readonly_fields = ["author", "created_at"]


@admin.register(MerchantApplication)
class MerchantApplicationAdmin(UnscopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "organization",
        "status",
        "state_of_incorporation",
        "submitted_at",
        "decided_at",
    ]
    list_filter = ["status", "state", "state_of_incorporation", "export_experience"]
    list_select_related = ["organization"]
    search_fields = ["legal_name", "dba", "ein", "organization__name", "contact_name"]
    date_hierarchy = "submitted_at"
    # Status changes go through the review pages so every one is audited and notified.
    readonly_fields = ["status", "submitted_at", "decided_at", "approved_at", "reviewer"]
    inlines = [BrandClaimInline, DocumentInline, NoteInline]


@admin.register(Strike)
class StrikeAdmin(UnscopedAdminMixin, admin.ModelAdmin):
    list_display = ["organization", "reason", "created_at", "expires_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["organization"]
    search_fields = ["organization__name", "reason", "source"]
