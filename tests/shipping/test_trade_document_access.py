"""Who reads a shipment's trade documents: its merchant, its buyer and the network's operators
download each version's PDF (page and API); another merchant and another buyer get 404 as for a
document that does not exist; an anonymous visitor is sent to log in; API keys need
``bookings:read`` (a merchant's) or ``orders:read`` (a buyer's)."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django_scopes import scopes_disabled
from pypdf import PdfReader

from network import services as network_services
from network.models import Role
from shipping import selectors
from shipping.models import TradeDocument
from shipping.services.documents import trade_documents_issue
from tests.factories import operator, sign_in
from tests.orders.factories import buyer, merchant
from tests.shipping.document_factories import shipment_world, take_line_off

pytestmark = pytest.mark.django_db

Kind = TradeDocument.Kind


@pytest.fixture
def world():
    world = shipment_world()
    world["documents"] = {
        document.kind: document for document in trade_documents_issue(shipment=world["shipment"])
    }
    world["invoice"] = world["documents"][Kind.COMMERCIAL_INVOICE]
    world["other_merchant"], world["other_merchant_owner"] = merchant(
        "Driftless Cheese Makers", slug="driftless-cheese"
    )
    world["other_buyer"], world["other_buyer_owner"] = buyer(
        "Shenzhen Harbour Imports", role=Role.OWNER
    )
    return world


def _url(world, document=None) -> str:
    document = document or world["invoice"]
    return reverse(
        "shipping:trade_document_download", args=[world["shipment"].reference, document.pk]
    )


def _candy(world):
    with scopes_disabled():
        return world["merchant_order"].lines.order_by("pk").last()


def _pdf(response) -> PdfReader:
    return PdfReader(io.BytesIO(b"".join(response.streaming_content)))


@pytest.mark.parametrize("party", ["owner", "buyer_owner"])
def test_the_merchant_and_its_buyer_download_the_pdf(client, world, party):
    client.force_login(world[party])
    response = client.get(_url(world))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reference = world["shipment"].reference
    assert f'filename="CI-{reference}-v1.pdf"' in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    assert "Commercial invoice 商业发票" in _pdf(response).pages[0].extract_text()


def test_an_operator_downloads_every_kind(client, world):
    sign_in(client, operator())
    for document in world["documents"].values():
        response = client.get(_url(world, document))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"


@pytest.mark.parametrize("outsider", ["other_merchant_owner", "other_buyer_owner"])
def test_another_merchant_or_buyer_gets_404(client, world, outsider):
    client.force_login(world[outsider])
    assert client.get(_url(world)).status_code == 404
    missing = reverse("shipping:trade_document_download", args=["SHNOSUCH0", 987654321])
    assert client.get(missing).status_code == 404


def test_a_document_is_reached_only_under_its_own_shipment(client, world):
    other = shipment_world("Vermont Candle Works", "Suzhou Garden Trading")
    [other_invoice, *_rest] = trade_documents_issue(shipment=other["shipment"])
    client.force_login(world["owner"])
    url = reverse(
        "shipping:trade_document_download", args=[world["shipment"].reference, other_invoice.pk]
    )
    assert client.get(url).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, world):
    response = client.get(_url(world))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_the_partial_lists_the_latest_of_each_kind_and_folds_older_versions(client, world):
    take_line_off(world["shipment"], _candy(world))
    trade_documents_issue(shipment=world["shipment"])
    documents = list(
        selectors.trade_documents_of_shipment(
            organization=world["buyer"], shipment=world["shipment"]
        )
    )
    assert [(d.kind, d.version) for d in documents] == [
        (kind, version) for kind in sorted(Kind.values) for version in (2, 1)
    ]
    html = render_to_string("shipping/_trade_documents.html", {"trade_documents": documents})
    assert html.count("<details") == 3
    for document in documents:
        assert _url(world, document) in html
    latest_part = html.split("<details")[0]
    assert "version 2" in latest_part and "version 1" not in latest_part


# --- API -----------------------------------------------------------------------------------------


def _key(organization, user, scopes) -> str:
    _api_key, raw = network_services.api_key_create(
        organization=organization, name="ERP", scopes=scopes, acting_user=user
    )
    return f"Bearer {raw}"


def _api_list(world) -> str:
    return f"/api/v1/shipping/shipments/{world['shipment'].reference}/documents/"


def _api_file(world, document=None) -> str:
    document = document or world["invoice"]
    return f"{_api_list(world)}{document.pk}/file/"


@pytest.mark.parametrize(
    ("party", "organization", "scope"),
    [("owner", "merchant", "bookings:read"), ("buyer_owner", "buyer", "orders:read")],
)
def test_api_lists_versions_with_totals_and_serves_the_pdf(
    client, world, party, organization, scope
):
    key = _key(world[organization], world[party], [scope])
    response = client.get(_api_list(world), HTTP_AUTHORIZATION=key)
    assert response.status_code == 200
    body = response.json()
    assert body["shipment"] == world["shipment"].reference
    by_kind = {row["kind"]: row for row in body["results"]}
    assert set(by_kind) == set(Kind.values)
    invoice = by_kind[Kind.COMMERCIAL_INVOICE]
    assert invoice["version"] == 1 and invoice["latest"] is True
    assert invoice["total_value_usd"] == "532.20"
    assert invoice["total_cases"] == 11
    assert invoice["filename"] == f"CI-{world['shipment'].reference}-v1.pdf"
    assert invoice["file_url"] == _api_file(world)

    response = client.get(invoice["file_url"], HTTP_AUTHORIZATION=key)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "商业发票" in _pdf(response).pages[0].extract_text()


@pytest.mark.parametrize(
    ("party", "organization", "wrong_scope"),
    [("owner", "merchant", "orders:read"), ("buyer_owner", "buyer", "bookings:read")],
)
def test_api_keys_need_their_sides_read_scope(client, world, party, organization, wrong_scope):
    key = _key(world[organization], world[party], [wrong_scope, "catalog:read"])
    assert client.get(_api_list(world), HTTP_AUTHORIZATION=key).status_code == 403
    assert client.get(_api_file(world), HTTP_AUTHORIZATION=key).status_code == 403


@pytest.mark.parametrize(
    ("party", "organization", "scope"),
    [
        ("other_merchant_owner", "other_merchant", "bookings:read"),
        ("other_buyer_owner", "other_buyer", "orders:read"),
    ],
)
def test_api_answers_404_to_another_merchant_or_buyer(client, world, party, organization, scope):
    key = _key(world[organization], world[party], [scope])
    for url in (_api_list(world), _api_file(world)):
        response = client.get(url, HTTP_AUTHORIZATION=key)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_api_refuses_anonymous_callers(client, world):
    assert client.get(_api_list(world)).status_code in (401, 403)
    assert client.get(_api_file(world)).status_code in (401, 403)


def test_api_list_reads_a_fixed_number_of_queries(client, world):
    key = _key(world["merchant"], world["owner"], ["bookings:read"])
    client.get(_api_list(world), HTTP_AUTHORIZATION=key)  # warm the key's caches

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_api_list(world), HTTP_AUTHORIZATION=key).status_code == 200
        return len(queries)

    before = count()
    take_line_off(world["shipment"], _candy(world))
    trade_documents_issue(shipment=world["shipment"])
    assert count() == before


def test_the_partial_speaks_chinese_and_says_when_documents_come():
    with translation.override("zh-hans"):
        html = render_to_string("shipping/_trade_documents.html", {"trade_documents": []})
    assert "贸易单据" in html and "箱唛标签" in html
