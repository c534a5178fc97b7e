"""A buyer in Hangzhou follows one purchase order from three US merchants, shipped together in
one shared container, on a phone and in Chinese: each merchant's part has its shipment in the
same container, on the same vessel, with the voyage's milestones pushed by the carrier (the
carrier process) up to arrival at Ningbo; then the buyer confirms receipt of each part and the
merchant orders close, after reporting a crushed case with a photo on one of them."""

from __future__ import annotations

import time

import pytest
from django.conf import settings as django_settings
from django_scopes import scopes_disabled
from PIL import Image
from playwright.sync_api import expect

from orders.models import MerchantOrder, PurchaseOrder, ReceiptProblem
from shipping.models import (
    Booking,
    ConsolidationContainer,
    Shipment,
    TrackingEvent,
    TrackingSubscription,
)
from shipping.services.shipments import shipment_create, shipment_dispatch, shipment_receive
from tests.factories import PASSWORD
from tests.shipping.buyer_shipments import network_operator, shipped_order
from tests.shipping.containers import open_container
from tests.shipping.factories import SailingFactory

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DEADLINE_SECONDS = 20
# Gate-in, loaded and departed at Los Angeles; the ETA and the arrival at Ningbo.
PUSHES_TO_ARRIVAL = 5


def wait_until(condition, what: str):
    """Poll ``condition`` until it is true (the carrier process pushes from another process)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    pytest.fail(f"{what}: not within {DEADLINE_SECONDS} s")


def events_of(booking) -> int:
    with scopes_disabled():
        return TrackingEvent.objects.filter(booking_id=booking.pk).count()


def subscribed(booking) -> bool:
    with scopes_disabled():
        return TrackingSubscription.objects.filter(
            booking_id=booking.pk, status=TrackingSubscription.Status.ACTIVE
        ).exists()


def confirmed(booking) -> Booking | None:
    with scopes_disabled():
        fresh = Booking.objects.get(pk=booking.pk)
        return fresh if fresh.carrier_booking_reference else None


@pytest.fixture
def consolidated_order(settings, live_server, carrier_server):
    """Three merchants' parts of a "ship together" purchase order, each shipped into the same
    shared container, whose carrier booking the carrier process confirmed and now tracks."""
    settings.SITE_URL = live_server.url  # where the carrier process pushes its events
    world = shipped_order(merchants=3, language="zh-hans", status="packed")
    _operators, staff = network_operator()
    sailing = SailingFactory()
    # The operators open a shared container: the network's carrier booking for it is confirmed
    # by the carrier process, which then takes the subscription to its events.
    container = open_container(sailing, staff)
    wait_until(lambda: confirmed(container.booking), "the carrier confirms")
    wait_until(lambda: subscribed(container.booking), "the tracking subscription is made")
    shipments = []
    for n, (party, merchant_order) in enumerate(
        zip(world.merchants, world.merchant_orders, strict=True)
    ):
        # The first merchant picks the container; the others' goods join it because the
        # purchase order travels together.
        shipment = shipment_create(
            organization=party.organization,
            merchant_orders=[merchant_order],
            container=container if n == 0 else None,
            acting_user=party.owner,
        )
        shipment_dispatch(shipment=shipment, acting_user=party.owner)
        shipment_receive(shipment=shipment, acting_user=staff)
        shipments.append(shipment)
    with scopes_disabled():
        assert {
            s.space_request.container_id
            for s in Shipment.objects.filter(pk__in=[s.pk for s in shipments]).select_related(
                "space_request"
            )
        } == {container.pk}
        container = ConsolidationContainer.objects.select_related("booking").get(pk=container.pk)
    return world, container, shipments


def test_the_buyer_follows_one_container_from_three_merchants_and_confirms_receipt(
    page, live_server, login, snapshot, carrier_server, consolidated_order, tmp_path
):
    world, container, shipments = consolidated_order
    booking = confirmed(container.booking)
    for step in range(1, PUSHES_TO_ARRIVAL + 1):
        carrier_server.advance("MAEU", booking.carrier_booking_reference)
        wait_until(lambda step=step: events_of(booking) == step, f"push {step} arrives")
    with scopes_disabled():
        assert {s.status for s in Shipment.objects.filter(pk__in=[s.pk for s in shipments])} == {
            "arrived"
        }
        assert ConsolidationContainer.objects.get(pk=container.pk).status == "arrived"

    page.set_viewport_size(PHONE)
    page.context.add_cookies(
        [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": "zh-hans", "url": live_server.url}]
    )
    login(world.buyer.owner.email, PASSWORD)
    page.goto(f"/orders/purchase-orders/{world.purchase_order.number}/")
    expect(page.locator("h1")).to_contain_text(f"采购订单 {world.purchase_order.number}")

    panels = page.locator("[data-shipment]")
    expect(panels).to_have_count(3)
    for shipment, merchant_order in zip(shipments, world.merchant_orders, strict=True):
        panel = page.locator(f"[data-shipment={shipment.reference}]")
        expect(panel).to_contain_text("拼箱集装箱")  # shared container
        expect(panel).to_contain_text(container.reference)
        expect(panel).to_contain_text("Madrid Maersk")
        expect(panel.locator("[data-shipment-status]")).to_have_text("已到港")
        for reached, label in (
            ("gate_in", "进闸"),
            ("loaded", "已装船"),
            ("departed", "已离港"),
            ("arrived", "已到港"),
        ):
            milestone = panel.locator(f"[data-milestone={reached}]")
            expect(milestone).to_have_class("milestone reached")
            expect(milestone).to_contain_text(label)
        expect(panel.locator("[data-milestone=departed]")).to_contain_text("Los Angeles (USLAX)")
        for pending in ("discharged", "gate_out"):
            expect(panel.locator(f"[data-milestone={pending}]")).to_contain_text("尚未发生")
        part = page.locator(".merchant-part", has=panel)
        expect(part).to_contain_text(merchant_order.number)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    snapshot("arrived-zh")
    page.screenshot(path=tmp_path / "arrived-zh.png", full_page=True)

    # The maple syrup arrived with a crushed case: a report with a photo (a PDF is refused first).
    first = world.merchant_orders[0]
    page.locator(f"[data-report-problem={first.number}]").click()
    expect(page.locator("h1")).to_contain_text(first.number)
    page.get_by_label("货物损坏").check()  # damaged
    page.locator("textarea[name=description]").fill("一箱被压坏，6 瓶破损。")
    not_a_photo = tmp_path / "invoice.jpg"
    not_a_photo.write_bytes(b"%PDF-1.4 an invoice, not a photo")
    page.locator("input[name=photos]").set_input_files(str(not_a_photo))
    page.locator("form.receipt-problem-form button[type=submit]").click()
    expect(page.locator(".errorlist")).to_contain_text(
        "invoice.jpg 不是 JPEG、PNG 或 WebP 格式的照片"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    snapshot("problem-refused-zh")
    crushed = tmp_path / "crushed.png"
    Image.new("RGB", (640, 480), (180, 140, 90)).save(crushed, "PNG")
    page.locator("input[name=photos]").set_input_files(str(crushed))
    page.locator("form.receipt-problem-form button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("问题已报告")
    problem = page.locator(".receipt-problem")
    expect(problem).to_contain_text("一箱被压坏")
    expect(problem.locator(".receipt-photos img")).to_have_count(1)
    thumbnail = problem.locator(".receipt-photos img")
    thumbnail.scroll_into_view_if_needed()  # it loads lazily
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )
    assert thumbnail.evaluate("img => img.naturalWidth") == 640  # the photo, served to its buyer
    snapshot("problem-reported-zh")

    for n, merchant_order in enumerate(world.merchant_orders, start=1):
        page.locator(f"[data-confirm-receipt={merchant_order.number}]").click()
        expect(page.locator(".messages, .message").first).to_contain_text("已确认收货")
        expect(page.locator("[data-confirm-receipt]")).to_have_count(3 - n)
        page.screenshot(path=tmp_path / f"received-{n}.png", full_page=True)

    expect(page.locator("#po-status")).to_contain_text("已完成")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    snapshot("received-zh")
    with scopes_disabled():
        statuses = set(
            MerchantOrder.objects.filter(purchase_order=world.purchase_order).values_list(
                "status", flat=True
            )
        )
        assert statuses == {"closed"}
        assert PurchaseOrder.objects.get(pk=world.purchase_order.pk).status == "completed"
        # The problem stays open for its claim, with its photo kept privately.
        problem = ReceiptProblem.objects.get(merchant_order=first)
        assert (problem.kind, problem.status) == ("damaged", "open")
        assert [p.content_type for p in problem.photos.all()] == ["image/png"]
