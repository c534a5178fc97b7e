"""Buying again in the header, for buyer organisations."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from network.models import Organization
    from network.navigation import NavEntry, register

    register(NavEntry(_("Buy again"), "deals:buy_again", (Organization.Kind.BUYER,), order=32))
