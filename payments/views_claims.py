"""Claim pages (being written)."""

from __future__ import annotations

from django.http import HttpResponse

from network.permissions import organization_required


@organization_required()
def claim_list(request):
    return HttpResponse("")


claims_queue = claim_open = claim_detail = claim_respond = claim_answer = claim_decide = claim_list
claim_photo = claim_list
