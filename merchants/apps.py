from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MerchantsConfig(AppConfig):
    name = "merchants"
    verbose_name = _("Merchants")

    def ready(self) -> None:
        from merchants.views import home_panel
        from network.models import Organization
        from network.navigation import HomePanel, NavEntry, register, register_home_panel

        merchant, operator = Organization.Kind.MERCHANT, Organization.Kind.OPERATOR
        register(NavEntry(_("Application"), "merchants:application", (merchant,), order=10))
        register(NavEntry(_("Merchant review"), "merchants:review_queue", (operator,), order=10))
        register(
            NavEntry(
                _("Merchants"),
                "merchants:directory",
                (Organization.Kind.BUYER,),
                order=30,
                public=True,
            )
        )
        register_home_panel(HomePanel((merchant,), home_panel, order=10))

        from merchants.dashboard import panels, queues
        from network.dashboards import register_panel
        from network.navigation import register_queue

        for panel in panels():
            register_panel(panel)
        for queue in queues():
            register_queue(queue)
