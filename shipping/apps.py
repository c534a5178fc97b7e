from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShippingConfig(AppConfig):
    name = "shipping"
    verbose_name = _("Shipping")

    def ready(self) -> None:
        from network.models import Organization
        from network.navigation import NavEntry, register

        register(
            NavEntry(
                _("Shipping"),
                "shipping:sailing_search",
                (Organization.Kind.MERCHANT, Organization.Kind.OPERATOR),
                order=40,
            )
        )

        from network.dashboards import register_panel
        from shipping.dashboard import panels

        for panel in panels():
            register_panel(panel)

        # Orders record shipments: they check a booking reference and link tracking numbers
        # through network.shipments, as orders may not import shipping.
        from network.shipments import register_shipment_lookups
        from shipping.selectors import booking_for_shipment, carrier_tracking_urls

        register_shipment_lookups(booking=booking_for_shipment, tracking=carrier_tracking_urls)

        # Order pages show each merchant order's shipments: container, vessel, ETA, timeline.
        from network.shipments import register_order_shipments
        from shipping.order_shipments import shipments_of_merchant_orders

        register_order_shipments(shipments_of_merchant_orders)

        # The landed-cost estimate in the catalogue prices ocean freight at the network's
        # shared-container rate; catalog may not import shipping.
        from catalog.freight import register_shared_container_rate
        from shipping.selectors import shared_container_rate_now

        register_shared_container_rate(shared_container_rate_now)
