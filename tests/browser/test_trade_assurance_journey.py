"""Trade assurance end to end, as its people do it in the browser: a buyer in Hangzhou, on a
phone and in Chinese, finds what it owes for a prepaid purchase order and the reference to
quote; the network's operator uploads the bank's day statement and the transfer is matched
into escrow; the merchant, refused shipment before the money arrived, now ships; the buyer
confirms receipt and the escrow is released to the merchant less the network's commission;
the merchant registers its payout account (confirmed by the link mailed to its owner), and the
operator's weekly payout run gives a pain.001 file that pays the merchant exactly that."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core import mail
from django_scopes import scopes_disabled
from playwright.sync_api import expect
from pyiso20022.pain.pain_001_001_09 import Document
from xsdata.formats.dataclass.parsers import XmlParser

from network.models import Role
from orders import services
from orders.models import MerchantOrder
from payments import ledger
from payments.camt_samples import camt053, credit
from payments.models import PayoutRun
from tests.factories import PASSWORD, TOTP_SECRET, operator
from tests.orders.factories import merchant_order_of
from tests.payments.bank_world import ordered

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def accepted_order():
    """A prepaid purchase order of 24 bottles (US$204.00) from one merchant, accepted and
    packed; the buyer reads Chinese."""
    order, store, wang, maple, owner = ordered("prepaid")
    with scopes_disabled():
        wang.language = "zh-hans"
        wang.save(update_fields=["language"])
        merchant_order = merchant_order_of(order, maple)
        services.merchant_order_accept(merchant_order=merchant_order, acting_user=owner)
        services.merchant_order_pack(merchant_order=merchant_order, acting_user=owner)
    return order, wang, owner, merchant_order_of(order, maple)


def test_pay_by_transfer_ship_receive_release_and_pay_out(
    page, live_server, login, snapshot, accepted_order, tmp_path, settings
):
    order, wang, owner, merchant_order = accepted_order
    total = merchant_order.subtotal_usd
    staff = operator(email="olivia@network.example")
    # Another operator runs the payouts (a code of the authenticator is good for one sign-in).
    treasurer = operator(Role.ADMIN, email="sam@network.example")

    # The buyer, on a phone in Chinese, finds the reference to quote and what is owed.
    page.set_viewport_size(PHONE)
    login(wang.email, PASSWORD)
    page.goto(f"/orders/purchase-orders/{order.number}/")
    panel = page.locator("#payment")
    reference = panel.locator("code.reference").inner_text().replace(" ", "")
    assert re.fullmatch(r"RF\d\d[A-Z0-9]+", reference)
    expect(panel).to_contain_text(f"{total:,.2f}")
    snapshot("1-buyer-owes-zh")

    # The merchant cannot ship before the money is in escrow.
    page.set_viewport_size(DESKTOP)
    login(owner.email, PASSWORD)
    page.goto(f"/orders/incoming/{merchant_order.number}/")
    page.locator("#id_carrier_name").fill("UPS Freight")
    page.get_by_role("button", name="Mark as shipped").click()
    expect(page.locator(".errorlist, .messages").first).to_contain_text("not paid")
    snapshot("2-ship-refused")

    # The operator uploads the bank's day statement: the transfer is matched to the order.
    login(staff.email, PASSWORD, TOTP_SECRET)
    statement = tmp_path / "camt053-2026-12-04.xml"
    statement.write_bytes(camt053([credit(total, reference=reference)]))
    page.goto("/payments/operations/reconciliation/")
    page.locator("#upload input[type=file]").set_input_files(str(statement))
    page.locator("#upload button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("1")
    snapshot("3-statement-imported")
    with scopes_disabled():
        assert ledger.balance(ledger.escrow_account(merchant_order)) == total

    # Now the merchant ships, then records the delivery to consolidation.
    login(owner.email, PASSWORD)
    page.goto(f"/orders/incoming/{merchant_order.number}/")
    expect(page.locator("#payment")).to_contain_text(f"{total:,.2f}")
    page.locator("#id_carrier_name").fill("UPS Freight")
    page.get_by_role("button", name="Mark as shipped").click()
    expect(page.locator("#mo-status")).to_contain_text("Shipped")
    page.get_by_role("button", name="Mark as delivered to consolidation").click()
    expect(page.locator("#mo-status")).to_contain_text("Delivered")

    # The buyer confirms receipt on the phone: escrow goes to the merchant less 5 %.
    page.set_viewport_size(PHONE)
    login(wang.email, PASSWORD)
    page.goto(f"/orders/purchase-orders/{order.number}/")
    page.locator(f"[data-confirm-receipt='{merchant_order.number}']").click()
    expect(page.locator(".messages, .message").first).to_contain_text("已确认收货")
    snapshot("4-received-zh")
    commission = (total * Decimal("0.05")).quantize(Decimal("0.01"))
    net = total - commission
    with scopes_disabled():
        assert MerchantOrder.objects.get(pk=merchant_order.pk).status == "closed"
        assert ledger.balance(ledger.escrow_account(merchant_order)) == 0
        assert ledger.balance(ledger.merchant_account(merchant_order.organization)) == net

    # The merchant sees what it is owed and adds its payout account, confirmed by mail.
    page.set_viewport_size(DESKTOP)
    login(owner.email, PASSWORD)
    page.goto("/payments/merchant/")
    expect(page.locator("[data-figure=owed]")).to_contain_text(f"{net:,.2f}")
    page.goto("/payments/merchant/bank-account/")
    page.get_by_label("Account holder", exact=True).fill("Great Lakes Maple Co.")
    page.get_by_label("Routing number (ABA)", exact=True).fill("021000021")
    page.get_by_label("Account number", exact=True).fill("4401234567")
    page.get_by_label("Account number again", exact=True).fill("4401234567")
    page.get_by_role("button", name="Save the account").click()
    links = [
        link
        for message in mail.outbox
        for link in re.findall(r"https?://\S+/payments/\S+", message.body)
        if owner.email in message.to
    ]
    assert links, "the owner is mailed a confirmation link"
    page.goto(links[-1].replace(settings.SITE_URL, live_server.url))
    page.get_by_role("button", name="Confirm").click()
    page.goto("/payments/merchant/")
    expect(page.locator("#payout-account")).to_contain_text("4567")
    expect(page.locator("#payout-account")).not_to_contain_text("4401234567")
    snapshot("5-merchant-money")

    # The network's treasurer runs the week's payouts and downloads the bank file.
    login(treasurer.email, PASSWORD, TOTP_SECRET)
    page.goto("/payments/operations/payouts/")
    page.get_by_role("button", name="Run this week's payouts now").click()
    with scopes_disabled():
        run = PayoutRun.objects.get()
    page.goto(f"/payments/operations/payouts/{run.pk}/")
    snapshot("6-payout-run")
    with page.expect_download() as download:
        page.get_by_role("link", name="pain.001 file").first.click()
    document = XmlParser().from_path(download.value.path(), Document)
    payment = document.cstmr_cdt_trf_initn.pmt_inf[0]
    transfers = payment.cdt_trf_tx_inf
    assert len(transfers) == 1
    assert transfers[0].amt.instd_amt.value == net
    assert transfers[0].cdtr_acct.id.othr.id == "4401234567"
