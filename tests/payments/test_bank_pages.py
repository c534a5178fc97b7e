"""The pages and API of paying by transfer: the buyer's payments page, the payment panel of the
order pages, the payment notice in Chinese, the operators' reconciliation (upload, match,
return) and credit limits, the buyer's API; a buyer never sees another buyer's payments."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled
from pypdf import PdfReader

from network.models import ApiKey, Role
from network.services import api_key_create
from payments.camt_samples import camt053, credit
from payments.models import BankEntry, BuyerCredit
from tests.factories import member, operator, sign_in
from tests.orders.factories import buyer, checkout, merchant, sku
from tests.payments.bank_world import escrow, imported, ordered, reference

pytestmark = pytest.mark.django_db


def test_the_buyer_sees_what_it_owes_with_the_reference_and_the_account(client):
    order, store, user, _maple, _owner = ordered("prepaid")
    imported(camt053([credit("50.00", reference=reference(order))]), operator())
    sign_in(client, user)
    page = client.get(reverse("payments:buyer_overview")).content.decode()
    assert reference(order) in page and order.number in page
    assert "US$50.00" in page
    assert f"US${order.total_usd - 50:,.2f}" in page
    assert "021000021" in page  # the collection account's routing number
    assert client.get(reverse("payments:home")).url == reverse("payments:buyer_overview")


def test_another_buyer_sees_none_of_it(client):
    order, _store, _user, maple, owner = ordered("prepaid")
    imported(camt053([credit("50.00", reference=reference(order))]), operator())
    _other, stranger = buyer("Shenzhen Bay Imports")
    sign_in(client, stranger)
    page = client.get(reverse("payments:buyer_overview")).content.decode()
    assert order.number not in page and reference(order) not in page and "50.00" not in page
    notice = client.get(reverse("payments:payment_notice", args=[order.number]))
    assert notice.status_code == 404
    key = _key(_other, stranger)
    api = client.get(
        f"/api/v1/payments/purchase-orders/{order.number}/", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert api.status_code == 404


def test_the_payment_notice_is_in_chinese_with_the_reference(client):
    order, _store, user, _maple, _owner = ordered("deposit")
    sign_in(client, user)
    response = client.get(reverse("payments:payment_notice", args=[order.number]))
    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "付款通知" in text and "付款参考号" in text
    assert reference(order) in text and "021000021" in text
    assert order.number in text


def test_the_order_pages_show_the_payment_panel(client):
    order, _store, user, maple, owner = ordered("prepaid")
    sign_in(client, user)
    page = client.get(reverse("orders:purchase_order_detail", args=[order.number])).content
    assert reference(order).encode() in page and b'id="payment"' in page
    client.logout()
    sign_in(client, owner)
    with scopes_disabled():
        number = maple_order_number(order, maple)
    page = client.get(reverse("orders:merchant_order_detail", args=[number])).content.decode()
    assert 'id="payment"' in page and "may ship" not in page
    imported(camt053([credit(order.total_usd, reference=reference(order))]), operator())
    page = client.get(reverse("orders:merchant_order_detail", args=[number])).content.decode()
    assert "Paid: may ship" in page
    assert reference(order) not in page  # the buyer's reference is not the merchant's business


def maple_order_number(order, maple) -> str:
    from tests.orders.factories import merchant_order_of

    return merchant_order_of(order, maple).number


def test_operators_upload_a_statement_and_work_the_queue(client):
    order, store, _user, maple, _owner = ordered("prepaid")
    staff = operator()
    sign_in(client, staff)
    data = camt053(
        [
            credit("40.00", reference=reference(order)),
            credit("60.00", text="MAPLE ORDER PAYMENT", bank_reference="FTWAITING0001"),
            credit("25.00", currency="EUR", bank_reference="FTWAITING0002"),
        ]
    )
    upload = SimpleUploadedFile("stmt.xml", data, content_type="application/xml")
    response = client.post(reverse("payments:statement_upload"), {"file": upload}, follow=True)
    page = response.content.decode()
    assert "1 matched" in page and "2 waiting" in page
    assert "FTWAITING0001" in page and "FTWAITING0002" in page
    again = SimpleUploadedFile("stmt.xml", data, content_type="application/xml")
    page = client.post(
        reverse("payments:statement_upload"), {"file": again}, follow=True
    ).content.decode()
    assert "imported already" in page
    bad = SimpleUploadedFile("x.xml", b"<Document/>", content_type="application/xml")
    response = client.post(reverse("payments:statement_upload"), {"file": bad})
    assert response.status_code == 400 and "not a bank statement" in response.content.decode()
    with scopes_disabled():
        waiting = BankEntry.objects.get(bank_reference="FTWAITING0001")
        euro = BankEntry.objects.get(bank_reference="FTWAITING0002")
    response = client.post(
        reverse("payments:bank_entry_match"),
        {"entry": waiting.pk, f"m{waiting.pk}-purchase_order": "PO-NOPE"},
    )
    assert response.status_code == 400 and "No purchase order" in response.content.decode()
    client.post(
        reverse("payments:bank_entry_match"),
        {
            "entry": waiting.pk,
            f"m{waiting.pk}-purchase_order": order.number.lower(),
            f"m{waiting.pk}-note": "Per mail",
        },
    )
    page = client.post(
        reverse("payments:bank_entry_return"),
        {"entry": euro.pk, f"r{euro.pk}-note": "Sent in EUR"},
        follow=True,
    ).content.decode()
    assert "ask the bank to send it back in EUR" in page
    with scopes_disabled():
        waiting.refresh_from_db()
        euro.refresh_from_db()
    assert waiting.status == "matched" and euro.status == "returned"
    assert escrow(order, maple) == Decimal("100.00")
    page = client.get(reverse("payments:reconciliation")).content.decode()
    assert "Every received transfer is matched." in page


def test_buyers_and_merchants_cannot_reach_the_reconciliation(client):
    _order, _store, user, _maple, owner = ordered("prepaid")
    for person in (user, owner):
        sign_in(client, person)
        assert client.get(reverse("payments:reconciliation")).status_code == 403
        upload = SimpleUploadedFile("s.xml", camt053([]), content_type="application/xml")
        assert (
            client.post(reverse("payments:statement_upload"), {"file": upload}).status_code == 403
        )
        client.logout()


def test_operators_set_a_buyers_credit_limit_and_net_terms_follow_it(client):
    store, user = buyer("Chengdu Panda Foods", credit_limit="0")
    maple, owner = merchant()
    syrup = sku(maple, owner)
    staff = operator()
    sign_in(client, staff)
    page = client.get(reverse("payments:credit_limits"), {"q": "Panda"}).content.decode()
    assert "Chengdu Panda Foods" in page
    client.post(
        reverse("payments:credit_limit_update"),
        {"buyer": store.pk, f"c{store.pk}-limit_usd": "150.00"},
    )
    with scopes_disabled():
        assert BuyerCredit.objects.get(organization=store).limit_usd == Decimal("150.00")
    client.logout()
    sign_in(client, user)
    from orders import services

    with scopes_disabled(), pytest.raises(Exception, match="Net terms are open to you up to"):
        services.purchase_order_place(
            organization=store,
            items=[(syrup.pk, 24)],
            checkout=checkout(payment_terms="net30"),
            idempotency_key="over-limit",
            acting_user=user,
        )


def _key(organization, user) -> str:
    owner = member(organization, Role.OWNER)
    with scopes_disabled():
        _api_key, raw = api_key_create(
            organization=organization, name="ERP", scopes=["orders:read"], acting_user=owner
        )
    return raw


def test_the_api_gives_the_buyer_its_payments_and_credit(client):
    order, store, user, _maple, _owner = ordered("deposit")
    imported(camt053([credit("30.00", reference=reference(order))]), operator())
    key = _key(store, user)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    body = client.get(f"/api/v1/payments/purchase-orders/{order.number}/", **auth).json()
    assert body["reference"] == reference(order) and body["paid_usd"] == "30.00"
    assert body["owed_usd"] == f"{order.total_usd - 30:.2f}"
    assert body["plans"][0]["kind"] == "deposit"
    assert body["collection_account"]["routing_number"] == "021000021"
    listing = client.get("/api/v1/payments/purchase-orders/", **auth).json()
    assert [row["purchase_order"] for row in listing["results"]] == [order.number]
    assert listing["results"][0]["paid_usd"] == "30.00"
    body = client.get("/api/v1/payments/credit/", **auth).json()
    assert body["limit_usd"] == "1000000.00" and body["balance_usd"] == "0.00"
    with scopes_disabled():
        assert ApiKey.objects.filter(organization=store).exists()


def test_a_net_terms_checkout_over_the_limit_is_a_form_error_and_prepaid_still_goes(client):
    import re

    from orders.models import PurchaseOrder

    store, user = buyer("Chengdu Panda Foods", credit_limit="100.00")
    maple, owner = merchant()
    syrup = sku(maple, owner)
    sign_in(client, user)
    client.post(reverse("orders:cart_add"), {"sku": syrup.pk, "quantity": 48})
    form_page = client.get(reverse("orders:checkout")).content.decode()
    token = re.search(r'name="checkout_token" value="([0-9a-f-]{36})"', form_page).group(1)
    fields = {
        "delivery_type": "bonded",
        "delivery_location": "Ningbo Meishan bonded warehouse",
        "incoterm": "FOB",
        "payment_terms": "net30",
        "buyer_reference": "CD-1",
        "notes": "",
        "checkout_token": token,
    }
    refused = client.post(reverse("orders:checkout"), fields)
    assert refused.status_code in (200, 400, 409)
    assert "Net terms are open to you up to US$100.00" in refused.content.decode()
    with scopes_disabled():
        assert not PurchaseOrder.objects.filter(organization=store).exists()
    placed = client.post(reverse("orders:checkout"), {**fields, "payment_terms": "prepaid"})
    assert placed.status_code == 302
    with scopes_disabled():
        assert PurchaseOrder.objects.get(organization=store).payment_terms == "prepaid"


def test_operators_import_a_statement_through_the_api_and_others_cannot(client):
    order, store, user, maple, _owner = ordered("prepaid")
    data = camt053([credit(order.total_usd, reference=reference(order))])
    sign_in(client, operator())
    upload = SimpleUploadedFile("stmt.xml", data, content_type="application/xml")
    response = client.post("/api/v1/payments/statements/", {"file": upload})
    assert response.status_code == 201
    body = response.json()
    assert (body["matched"], body["unmatched"], body["already_imported"]) == (1, 0, False)
    assert escrow(order, maple) == order.total_usd
    bad = SimpleUploadedFile("x.xml", b"<x/>", content_type="application/xml")
    response = client.post("/api/v1/payments/statements/", {"file": bad})
    assert response.status_code == 400 and response.json()["code"] == "statement_invalid"
    key = _key(store, user)
    again = SimpleUploadedFile("stmt.xml", data, content_type="application/xml")
    response = client.post(
        "/api/v1/payments/statements/", {"file": again}, HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code == 403
