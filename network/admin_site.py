"""The admin site: the operators' fallback console."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from network.permissions import admin_allows


class NetworkAdminSite(admin.AdminSite):
    site_header = _("Global US Merchants Network operations")
    site_title = _("Network operations")
    index_title = _("Records of every organisation")

    def has_permission(self, request) -> bool:
        # Staff status alone is Django's rule; the network's administrators are the owners and
        # admins of the operator organisation, whose role (not a flag kept in step with it)
        # grants the admin. What they may do there comes from network.auth_backends.
        return admin_allows(request)
