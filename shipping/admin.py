from django.contrib import admin

from network.models import Organization
from shipping.models import (
    Booking,
    BookingEvent,
    Carrier,
    CarrierNotification,
    Port,
    Sailing,
    SailingRate,
)


@admin.register(Port)
class PortAdmin(admin.ModelAdmin):
    list_display = ["un_locode", "name", "country", "time_zone"]
    search_fields = ["un_locode", "name"]
    list_filter = ["country"]


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = [
        "scac",
        "name",
        "adapter",
        "free_cancellation_days",
        "cancellation_fee_per_container",
        "is_active",
    ]
    search_fields = ["scac", "name"]


class SailingRateInline(admin.TabularInline):
    model = SailingRate
    extra = 0


@admin.register(Sailing)
class SailingAdmin(admin.ModelAdmin):
    list_display = [
        "vessel_name",
        "voyage_number",
        "carrier",
        "port_of_loading",
        "port_of_discharge",
        "etd",
        "booked_teu",
        "capacity_teu",
        "is_published",
    ]
    list_filter = ["carrier", "port_of_loading", "port_of_discharge", "is_published"]
    list_select_related = ["carrier", "port_of_loading", "port_of_discharge"]
    search_fields = ["vessel_name", "voyage_number", "vessel_imo"]
    readonly_fields = ["booked_teu", "booked_weight_kg"]
    inlines = [SailingRateInline]


def _operator_organization(request) -> Organization | None:
    """The operator organisation the person in the admin belongs to (the active one first)."""
    memberships = [request.membership] if request.membership else []
    for membership in [*memberships, *getattr(request, "memberships", [])]:
        if membership.organization.kind == Organization.Kind.OPERATOR:
            return membership.organization
    return None


class OperatorAdmin(admin.ModelAdmin):
    """Operators in the admin see every organisation's bookings: operators are a party of each
    (rows are read as the person's operator organisation sees them; nothing without one). The
    admin changes no status (that goes through the services)."""

    def get_queryset(self, request):
        rows = self.model._default_manager.visible_to(_operator_organization(request))
        ordering = self.get_ordering(request)
        return rows.order_by(*ordering) if ordering else rows

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Booking)
class BookingAdmin(OperatorAdmin):
    list_display = [
        "reference",
        "organization",
        "sailing",
        "equipment_code",
        "units",
        "status",
        "amendment_status",
        "cancellation_status",
        "created_at",
    ]
    list_filter = ["status", "amendment_status", "cancellation_status", "equipment_code"]
    list_select_related = [
        "organization",
        "sailing__port_of_loading",
        "sailing__port_of_discharge",
    ]
    search_fields = [
        "reference",
        "carrier_booking_reference",
        "carrier_booking_request_reference",
        "organization__name",
        "sailing__vessel_name",
    ]
    date_hierarchy = "created_at"


@admin.register(BookingEvent)
class BookingEventAdmin(OperatorAdmin):
    list_display = ["booking", "action", "status", "source", "created_at"]
    list_filter = ["status", "source"]
    list_select_related = ["booking"]
    search_fields = ["booking__reference", "action"]


@admin.register(CarrierNotification)
class CarrierNotificationAdmin(OperatorAdmin):
    list_display = ["carrier", "event_id", "booking", "outcome", "received_at"]
    list_filter = ["carrier"]
    list_select_related = ["carrier", "booking"]
    search_fields = ["event_id", "booking__reference"]
