"""Trade documents of a shipment: what each one states, read from the shipment's current lines,
and a new version of it only when that changed (old versions are kept, as issued)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

from celery import shared_task
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from merchants.selectors import merchant_application
from network.models import Organization, User
from network.services import audit
from network.tenancy import row_scope
from shipping import documents
from shipping.documents import Issue, Party, StatedLine, Statement, Totals
from shipping.models import Sailing, Shipment, ShipmentLine, TradeDocument

Kind = TradeDocument.Kind

NUMBER_PREFIX = {
    Kind.COMMERCIAL_INVOICE: "CI",
    Kind.PACKING_LIST: "PL",
    Kind.CASE_LABELS: "CL",
}

RENDERERS = {
    Kind.COMMERCIAL_INVOICE: documents.commercial_invoice_pdf,
    Kind.PACKING_LIST: documents.packing_list_pdf,
    Kind.CASE_LABELS: documents.case_labels_pdf,
}


def trade_document_number(*, kind: str, reference: str) -> str:
    """``CI-SHxxxxxxxx``: the same number on every version of one document."""
    return f"{NUMBER_PREFIX[Kind(kind)]}-{reference}"


def _seller(organization: Organization) -> Party:
    application = merchant_application(organization=organization)
    if application is None:
        return Party(name=organization.name, address=["United States"])
    city = ", ".join(part for part in (application.city, application.state) if part)
    return Party(
        name=application.legal_name or organization.name,
        address=[
            application.address_line1,
            application.address_line2,
            " ".join(part for part in (city, application.postal_code) if part),
            "United States",
        ],
    )


def _port(port: Any) -> str:
    return f"{port.name} ({port.un_locode})"


def _sailing(shipment: Shipment) -> Sailing | None:
    if shipment.booking_id and shipment.booking is not None:
        return shipment.booking.sailing
    if shipment.space_request_id and shipment.space_request is not None:
        return shipment.space_request.container.sailing
    return None


def _current_lines(shipment: Shipment) -> list[ShipmentLine]:
    return list(
        ShipmentLine.objects.visible_to(shipment.organization)
        .filter(shipment=shipment, is_current=True)
        .select_related("merchant_order__purchase_order")
        .order_by("pk")
    )


def trade_documents_statement(*, shipment: Shipment) -> Statement | None:
    """What the documents of ``shipment`` state now (None when it has no current lines)."""
    lines = _current_lines(shipment)
    if not lines:
        return None
    sailing = _sailing(shipment)
    merchant_orders = {line.merchant_order.number: line.merchant_order for line in lines}
    purchase_orders = {
        order.purchase_order.number: order.purchase_order for order in merchant_orders.values()
    }
    deliver_to = sorted({order.delivery_location for order in purchase_orders.values()} - {""})
    buyer = shipment.buyer
    country = documents.COUNTRY_NAMES.get(buyer.country)
    return Statement(
        reference=shipment.reference,
        seller=_seller(shipment.organization),
        buyer=Party(
            name=buyer.name, address=[documents.both(country) if country else buyer.country]
        ),
        deliver_to="\n".join(deliver_to),
        order_numbers=[*sorted(purchase_orders), *sorted(merchant_orders)],
        incoterm=shipment.incoterm,
        port_of_loading=_port(sailing.port_of_loading) if sailing else "",
        port_of_discharge=_port(sailing.port_of_discharge) if sailing else "",
        vessel=sailing.vessel_name if sailing else "",
        voyage=sailing.voyage_number if sailing else "",
        shipping_marks=shipment.shipping_marks,
        lines=[
            StatedLine(
                sku_code=line.sku_code,
                description_en=line.description_en,
                description_zh_hans=line.description_zh_hans,
                hs_code=line.hs_code,
                country_of_origin=line.country_of_origin,
                cases=line.cases,
                units_per_case=line.units_per_case,
                quantity=line.quantity,
                unit_price_usd=line.unit_price_usd,
                value_usd=line.value_usd,
                net_weight_kg=line.net_weight_kg,
                gross_weight_kg=line.gross_weight_kg,
                volume_m3=line.volume_m3,
            )
            for line in lines
        ],
    )


PACKING_LIST_LEAVES_OUT = {"unit_price_usd", "value_usd"}
CASE_LABELS_KEEP = {"sku_code", "description_en", "description_zh_hans", "cases"}


def stated_content(*, kind: str, statement: Statement) -> dict[str, Any]:
    """What one kind of document states: the invoice everything, the packing list no prices,
    the case labels the marks and each line's SKU and cases."""
    content = asdict(statement)
    if kind == Kind.PACKING_LIST:
        for line in content["lines"]:
            for key in PACKING_LIST_LEAVES_OUT:
                line.pop(key)
    elif kind == Kind.CASE_LABELS:
        content = {
            "reference": statement.reference,
            "shipping_marks": documents.shipping_marks(statement),
            "lines": [
                {key: value for key, value in line.items() if key in CASE_LABELS_KEEP}
                for line in content["lines"]
            ],
        }
    return content


def content_hash(content: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of what a document states (sorted keys, decimals as text)."""
    canonical = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _stored_totals(kind: str, totals: Totals) -> dict[str, Any]:
    """The totals the document states, kept on its row."""
    stated: dict[str, Any] = {"total_cases": totals.cases}
    if kind in (Kind.COMMERCIAL_INVOICE, Kind.PACKING_LIST):
        stated |= {
            "total_net_weight_kg": totals.net_weight_kg,
            "total_gross_weight_kg": totals.gross_weight_kg,
            "total_volume_m3": totals.volume_m3,
        }
    if kind == Kind.COMMERCIAL_INVOICE:
        stated["total_value_usd"] = totals.value_usd
    return stated


def _shipment_path(reference: str) -> str:
    try:
        return reverse("shipping:shipment_detail", args=[reference])
    except NoReverseMatch:
        return ""


@transaction.atomic
def trade_documents_issue(
    *, shipment: Shipment, acting_user: User | None = None
) -> list[TradeDocument]:
    """Issue, for each kind of document, version n+1 of it when what it states differs from
    version n (or version 1 when there is none); returns the versions issued, none when
    nothing changed or the shipment has no current lines. Earlier versions are kept."""
    # Locked so that two changes to one shipment issue versions one after the other.
    shipment = (
        Shipment.objects.visible_to(shipment.organization)
        .select_for_update(of=("self",))
        .select_related(
            "organization",
            "buyer",
            "booking__sailing__port_of_loading",
            "booking__sailing__port_of_discharge",
            "space_request__container__sailing__port_of_loading",
            "space_request__container__sailing__port_of_discharge",
        )
        .get(pk=shipment.pk)
    )
    statement = trade_documents_statement(shipment=shipment)
    if statement is None:
        return []
    latest = {
        document.kind: document
        for document in TradeDocument.objects.visible_to(shipment.organization)
        .filter(shipment=shipment)
        .order_by("kind", "-version")
        .distinct("kind")
    }
    issued = []
    now = timezone.now()
    for kind in Kind:
        stated_hash = content_hash(stated_content(kind=kind, statement=statement))
        previous = latest.get(kind)
        if previous is not None and previous.content_hash == stated_hash:
            continue
        version = previous.version + 1 if previous is not None else 1
        number = trade_document_number(kind=kind, reference=shipment.reference)
        pdf = RENDERERS[kind](
            statement,
            Issue(
                number=number,
                version=version,
                issued_on=timezone.localdate(now),
                shipment_path=_shipment_path(shipment.reference),
            ),
        )
        document = TradeDocument(
            organization=shipment.organization,
            buyer=shipment.buyer,
            shipment=shipment,
            kind=kind,
            version=version,
            number=number,
            content_hash=stated_hash,
            created_by=acting_user if acting_user and acting_user.is_authenticated else None,
            created_at=now,
            **_stored_totals(kind, statement.totals),
        )
        document.file.save(f"{number}-v{version}.pdf", ContentFile(pdf), save=False)
        document.save()
        audit(
            actor=acting_user,
            organization=shipment.organization,
            action="trade_document.issued",
            target=document,
            changes={"kind": str(kind), "version": version, "content_hash": stated_hash},
        )
        issued.append(document)
    return issued


@shared_task(name="shipping.tasks.trade_documents_issue", acks_late=True)
def trade_documents_issue_task(shipment_id: int, acting_user_id: int | None = None) -> int:
    """Issue the shipment's documents whose statement changed (safe to run twice: an unchanged
    statement issues nothing), in the name of whoever changed the shipment. Returns how many
    versions were issued."""
    with row_scope(Shipment, shipment_id) as organization:
        shipment = Shipment.objects.visible_to(organization).filter(pk=shipment_id).first()
        if shipment is None:
            return 0
        acting_user = User.objects.filter(pk=acting_user_id).first() if acting_user_id else None
        return len(trade_documents_issue(shipment=shipment, acting_user=acting_user))
