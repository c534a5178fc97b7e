from network.branding import NETWORK_NAME
from network.navigation import entries_for
from network.permissions import admin_allows


def network(request):
    return {
        "site_name": NETWORK_NAME,
        "active_organization": getattr(request, "organization", None),
        "active_membership": getattr(request, "membership", None),
        "memberships": getattr(request, "memberships", []),
        "navigation": entries_for(request) if hasattr(request, "user") else [],
        # The admin's own check, so the link shows exactly to those it lets in.
        "administration_allowed": hasattr(request, "user") and admin_allows(request),
    }
