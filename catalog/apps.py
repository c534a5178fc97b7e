from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalogue")

    def ready(self) -> None:
        from catalog.views import home_panel
        from network.models import Organization
        from network.navigation import HomePanel, NavEntry, register, register_home_panel

        merchant = Organization.Kind.MERCHANT
        register(
            NavEntry(
                _("Catalogue"),
                "catalog:browse",
                (Organization.Kind.BUYER, Organization.Kind.OPERATOR),
                order=20,
                public=True,
            )
        )
        register(NavEntry(_("My products"), "catalog:manage", (merchant,), order=20))
        register(
            NavEntry(
                _("Price lists"),
                "catalog:price_lists",
                (merchant, Organization.Kind.BUYER),
                order=25,
            )
        )
        register(
            NavEntry(
                _("China tariffs"), "catalog:tariff_lines", (Organization.Kind.OPERATOR,), order=85
            )
        )
        register_home_panel(HomePanel((merchant,), home_panel, order=20))

        from catalog.views import merchant_profile_listings
        from merchants.profile_sections import ProfileSection, register_profile_section

        register_profile_section(ProfileSection(merchant_profile_listings, order=10))

        from catalog.dashboard import panels
        from network.dashboards import register_panel

        for panel in panels():
            register_panel(panel)

        # The browse page shows categories and CNY estimates: a change to either is a change
        # to what buyers see (see network.cache).
        from django.db.models.signals import post_delete, post_save

        # The browse counts' summary is kept by every write that tells the browse page it
        # changed (catalog.facets).
        from catalog.facets import listings_changed
        from catalog.models import Category
        from network.cache import register_browse_summary
        from network.models import ExchangeRate

        register_browse_summary(listings_changed)

        for model in (Category, ExchangeRate):
            post_save.connect(_listings_changed, sender=model, dispatch_uid=f"browse-{model}")
            post_delete.connect(_listings_changed, sender=model, dispatch_uid=f"browse-{model}-x")


def _listings_changed(**kwargs) -> None:
    from network.cache import public_listings_changed

    public_listings_changed()
