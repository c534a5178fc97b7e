"""A shipment planned through the shipments service gets its trade documents once the plan is
committed: version 1 of each, stating the lines of the merchant orders it carries."""

from __future__ import annotations

import io

import pytest
from django_scopes import scopes_disabled
from pypdf import PdfReader

from shipping.models import TradeDocument
from shipping.services.shipments import shipment_cancel, shipment_create
from tests.shipping.shipment_world import build_world, own_booking, packed_order

pytestmark = pytest.mark.django_db

Kind = TradeDocument.Kind


@pytest.fixture
def world(db):
    return build_world()


def _documents(shipment) -> dict[str, list[TradeDocument]]:
    by_kind: dict[str, list[TradeDocument]] = {}
    for document in TradeDocument.objects.visible_to(shipment.organization).filter(
        shipment=shipment
    ):
        by_kind.setdefault(document.kind, []).append(document)
    return by_kind


def test_planning_a_shipment_issues_its_documents_on_commit(
    world, django_capture_on_commit_callbacks
):
    merchant_order = packed_order(world, buyer_reference="HZ-PO-77")
    with django_capture_on_commit_callbacks(execute=True):
        shipment = shipment_create(
            organization=world.maple,
            merchant_orders=[merchant_order],
            booking=own_booking(world),
            acting_user=world.owner,
        )
    documents = _documents(shipment)
    assert sorted(documents) == sorted(Kind.values)
    assert all([d.version for d in versions] == [1] for versions in documents.values())
    [invoice] = documents[Kind.COMMERCIAL_INVOICE]
    with scopes_disabled():
        lines = list(merchant_order.lines.all())
    assert invoice.total_value_usd == sum(line.line_total_usd for line in lines)
    assert invoice.total_value_usd == merchant_order.subtotal_usd
    assert invoice.total_cases == shipment.cases == 10
    assert invoice.created_by == world.owner
    assert invoice.total_gross_weight_kg == shipment.gross_weight_kg
    assert invoice.total_net_weight_kg == shipment.net_weight_kg
    assert invoice.total_volume_m3 == shipment.volume_m3
    with invoice.file.open("rb") as handle:
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages)
    assert "HZ-PO-77" in text  # the shipping marks the shipment was given
    assert merchant_order.number in text
    [labels] = documents[Kind.CASE_LABELS]
    with labels.file.open("rb") as handle:
        assert len(PdfReader(io.BytesIO(handle.read())).pages) == 3  # 10 cases


def test_the_lines_of_a_cancelled_shipment_get_documents_on_their_next_shipment(
    world, django_capture_on_commit_callbacks
):
    merchant_order = packed_order(world)
    booking = own_booking(world)
    with django_capture_on_commit_callbacks(execute=True):
        first = shipment_create(
            organization=world.maple,
            merchant_orders=[merchant_order],
            booking=booking,
            acting_user=world.owner,
        )
    with django_capture_on_commit_callbacks(execute=True):
        shipment_cancel(shipment=first, acting_user=world.owner)
        second = shipment_create(
            organization=world.maple,
            merchant_orders=[merchant_order],
            booking=booking,
            acting_user=world.owner,
        )
    # The cancelled shipment keeps what it was issued; the new one states the same lines.
    assert [d.version for d in _documents(first)[Kind.COMMERCIAL_INVOICE]] == [1]
    [invoice] = _documents(second)[Kind.COMMERCIAL_INVOICE]
    assert invoice.number == f"CI-{second.reference}"
    assert invoice.total_value_usd == merchant_order.subtotal_usd
