"""The payments section's entry: each kind of organisation lands on its own money page."""

from __future__ import annotations

from django.shortcuts import redirect

from network.models import Organization
from network.permissions import organization_required

LANDING = {
    Organization.Kind.BUYER: "payments:buyer_overview",
    Organization.Kind.MERCHANT: "payments:merchant_overview",
    Organization.Kind.OPERATOR: "payments:reconciliation",
}


@organization_required()
def home(request):
    return redirect(LANDING[request.membership.organization.kind])
