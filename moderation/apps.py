from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = _("Moderation")

    def ready(self) -> None:
        from network.models import Organization
        from network.navigation import NavEntry, register

        register(NavEntry(_("Brands"), "catalog:brands", (Organization.Kind.MERCHANT,), order=25))
        register(
            NavEntry(_("Moderation"), "catalog:moderation", (Organization.Kind.OPERATOR,), order=15)
        )
        register(
            NavEntry(_("My reports"), "catalog:my_reports", (Organization.Kind.BUYER,), order=60)
        )

        from moderation.dashboard import panels, queues
        from network.dashboards import register_panel
        from network.navigation import register_queue

        for panel in panels():
            register_panel(panel)
        for queue in queues():
            register_queue(queue)

        # The catalogue runs the listing rules on publish and on every change that matters,
        # and its product pages carry the takedown and appeal forms.
        from catalog import listing_rules
        from moderation import selectors, services
        from moderation.forms import AppealForm, TakedownForm

        listing_rules.register(services.listing_hold_for_review)
        listing_rules.register_brand_registry(
            listing_rules.BrandRegistry(
                authorised_brand_ids=services.authorised_brand_ids,
                brand_authorisation_check=services.brand_authorisation_check,
            )
        )
        listing_rules.register_listing_pages(
            listing_rules.ListingPages(
                takedown_form=TakedownForm,
                takedowns=selectors.takedowns_of_merchant,
                appeal_form=AppealForm,
            )
        )
