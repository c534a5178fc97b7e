"""The trade documents of a shipment as files: each version's PDF, for the shipment's merchant,
its buyer and the network's operators (anyone else is answered 404, as for no document)."""

from __future__ import annotations

from django.http.response import HttpResponseBase

from network.models import Organization
from network.permissions import organization_required
from network.storage import private_file_response
from shipping import selectors
from shipping.models import TradeDocument

PARTIES = [Organization.Kind.MERCHANT, Organization.Kind.BUYER, Organization.Kind.OPERATOR]


def trade_document_filename(document: TradeDocument) -> str:
    """``CI-SHxxxxxxxx-v2.pdf``."""
    return f"{document.number}-v{document.version}.pdf"


def trade_document_response(document: TradeDocument) -> HttpResponseBase:
    """The version's PDF from private storage, as a download that no cache keeps."""
    return private_file_response(
        document.file,
        as_attachment=True,
        filename=trade_document_filename(document),
        content_type="application/pdf",
    )


@organization_required(kinds=PARTIES)
def trade_document_download(request, shipment_reference: str, document_pk: int):
    document = selectors.access_trade_document(
        organization=request.organization,
        shipment_reference=shipment_reference,
        document_pk=document_pk,
    )
    return trade_document_response(document)
