"""Registrations of requests for quotation: the header entry for buyers and merchants."""

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from network.models import Organization
    from network.navigation import NavEntry
    from network.navigation import register as nav_register

    kinds = (Organization.Kind.BUYER, Organization.Kind.MERCHANT)
    nav_register(NavEntry(_("Quotations"), "deals:quotation_requests", kinds, order=33))
