"""The buyer at the goods' arrival: confirming receipt closes a merchant order once its shipment
arrived; a problem report (short, damaged, not as described) carries 1 to 6 real photos, kept
private, that the buyer, the merchant and the operators see and nobody else. The purchase order
page shows each merchant order's shipment with its timeline, in Chinese for a Chinese buyer,
in a fixed number of queries."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled
from PIL import Image

from network import services as network_services
from network.models import AuditEvent, Notification, Role, WebhookDelivery
from network.selectors import operator_memberships
from orders import services
from orders.errors import IllegalOrderTransition, ReceiptProblemInvalid
from orders.models import MerchantOrder, PurchaseOrder, ReceiptProblem, ReceiptProblemPhoto
from shipping.models import Shipment, TrackingEvent
from tests.factories import member, operator, sign_in
from tests.orders.factories import buyer
from tests.shipping.buyer_shipments import shared_container, shipment_of, shipped_order
from tests.shipping.factories import SailingFactory

pytestmark = pytest.mark.django_db

# The purchase order page, whatever its number of merchants: 12 for the order, 10 for its payment
# panel (plans, paid, escrow accounts and balances, the reference; the buyer's credit, its
# limit, and its exposure: open net-terms plans, unsplit orders, what is paid into them), 5 for
# the claims of its merchant orders (claims; shipment lines, shipments, tracking events and
# trade documents), their plans and escrow balances taken from the panel's.
QUERIES = 27


def photo(name="crate.jpg", image_format="JPEG", size=(320, 240)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, image_format)
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}[image_format]
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)


def gif() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64)).save(buffer, "GIF")
    return SimpleUploadedFile("anim.gif", buffer.getvalue(), content_type="image/jpeg")


def arrive(shipments):
    with scopes_disabled():
        Shipment.objects.filter(pk__in=[s.pk for s in shipments]).update(status="arrived")


def reload(merchant_order) -> MerchantOrder:
    with scopes_disabled():
        return MerchantOrder.objects.select_related("buyer", "organization", "purchase_order").get(
            pk=merchant_order.pk
        )


@pytest.fixture
def world():
    world = shipped_order(merchants=2)
    container = shared_container(SailingFactory(), booked_by=world.merchants[0])
    world.shipments = [shipment_of(mo, container=container) for mo in world.merchant_orders]
    world.container = container
    return world


# --- Confirming receipt ------------------------------------------------------------------------


def test_receipt_is_confirmed_once_the_shipment_arrived(world, django_capture_on_commit_callbacks):
    network_services.webhook_endpoint_create(
        organization=world.merchants[0].organization,
        url="https://hooks.example/maple",
        events=["merchant_order.received"],
        acting_user=world.merchants[0].owner,
    )
    merchant_order = world.merchant_orders[0]
    with pytest.raises(IllegalOrderTransition, match="have not arrived yet"):
        services.merchant_order_confirm_receipt(
            merchant_order=merchant_order, acting_user=world.buyer.owner
        )
    arrive(world.shipments)
    with django_capture_on_commit_callbacks(execute=True):
        closed = services.merchant_order_confirm_receipt(
            merchant_order=reload(merchant_order), acting_user=world.buyer.owner
        )
        again = services.merchant_order_confirm_receipt(
            merchant_order=reload(merchant_order), acting_user=world.buyer.owner
        )
    assert closed.status == again.status == "closed"
    assert reload(merchant_order).closed_at is not None
    with scopes_disabled():
        hooks = list(WebhookDelivery.objects.filter(event="merchant_order.received"))
        audits = AuditEvent.objects.filter(action="merchant_order.received").count()
        told = Notification.objects.filter(
            kind="orders.merchant_order_closed", recipient=world.merchants[0].owner
        ).count()
    assert [h.payload["number"] for h in hooks] == [merchant_order.number]
    assert hooks[0].payload["status"] == "closed"
    assert audits == 1
    assert told == 1


def test_the_purchase_order_completes_when_every_part_is_received(world):
    arrive(world.shipments)
    for merchant_order in world.merchant_orders:
        services.merchant_order_confirm_receipt(
            merchant_order=reload(merchant_order), acting_user=world.buyer.owner
        )
    with scopes_disabled():
        assert PurchaseOrder.objects.get(pk=world.purchase_order.pk).status == "completed"


def test_without_a_shipment_delivery_to_consolidation_is_the_arrival():
    world = shipped_order(merchants=1)
    merchant_order = world.merchant_orders[0]
    with pytest.raises(IllegalOrderTransition):
        services.merchant_order_confirm_receipt(
            merchant_order=merchant_order, acting_user=world.buyer.owner
        )
    services.merchant_order_mark_delivered(
        merchant_order=merchant_order, acting_user=world.merchants[0].owner
    )
    closed = services.merchant_order_confirm_receipt(
        merchant_order=reload(merchant_order), acting_user=world.buyer.owner
    )
    assert closed.status == "closed"


def test_only_the_buyers_people_confirm_receipt(world):
    arrive(world.shipments)
    viewer = member(world.buyer.organization, Role.VIEWER)
    for person in (viewer, world.merchants[0].owner):
        with pytest.raises(Exception, match="Only buyers, admins and owners"):
            services.merchant_order_confirm_receipt(
                merchant_order=reload(world.merchant_orders[0]), acting_user=person
            )
    assert reload(world.merchant_orders[0]).status == "shipped"


# --- Reporting a problem -----------------------------------------------------------------------


def report(world, photos, **fields):
    values = {"kind": "damaged", "description": "Two cases crushed, 12 bottles broken."}
    values.update(fields)
    return services.receipt_problem_report(
        merchant_order=reload(world.merchant_orders[0]),
        photos=photos,
        acting_user=world.buyer.owner,
        **values,
    )


def test_a_problem_with_photos_is_kept_private_and_told(world, django_capture_on_commit_callbacks):
    arrive(world.shipments)
    staff = operator()
    with django_capture_on_commit_callbacks(execute=True):
        problem = report(world, [photo(), photo("label.png", "PNG"), photo("x.webp", "WEBP")])
        again = report(world, [photo()])  # the same report sent twice
    assert again.pk == problem.pk
    with scopes_disabled():
        photos = list(ReceiptProblemPhoto.objects.filter(problem=problem))
        kinds = set(
            Notification.objects.filter(kind="orders.receipt_problem").values_list(
                "recipient_id", flat=True
            )
        )
        hooks = WebhookDelivery.objects.filter(event="merchant_order.problem_reported").count()
    assert [p.content_type for p in photos] == ["image/jpeg", "image/png", "image/webp"]
    assert all(p.image.name.startswith("receipt-problems/") for p in photos)
    assert all(p.image.storage.exists(p.image.name) for p in photos)
    with scopes_disabled():
        operators = set(operator_memberships().values_list("user_id", flat=True))
    assert staff.pk in operators
    assert kinds == {world.merchants[0].owner.pk, *operators}
    assert hooks == 0  # nobody listens: no endpoint
    assert problem.status == "open" and problem.kind == "damaged"


@pytest.mark.parametrize(
    ("photos", "message"),
    [
        ([], "at least one photo"),
        ([photo() for _ in range(7)], "at most 6 photos"),
        ([SimpleUploadedFile("crate.jpg", b"not really a jpeg", "image/jpeg")], "crate.jpg is not"),
        ([gif()], "anim.gif is not a JPEG, PNG or WebP photo"),
    ],
)
def test_bad_photos_are_refused_saying_why(world, photos, message):
    arrive(world.shipments)
    with pytest.raises(ReceiptProblemInvalid, match=message):
        report(world, photos)
    with scopes_disabled():
        assert not ReceiptProblem.objects.exists()


def test_a_photo_over_8_mb_is_refused(world):
    arrive(world.shipments)
    big = SimpleUploadedFile("huge.jpg", b"\xff" * (8 * 2**20 + 1), "image/jpeg")
    with pytest.raises(ReceiptProblemInvalid, match="larger than 8 MB"):
        report(world, [big])


def test_no_problem_before_the_goods_arrived(world):
    with pytest.raises(IllegalOrderTransition):
        report(world, [photo()])


# --- Pages -------------------------------------------------------------------------------------


def test_the_purchase_order_page_shows_the_shipments_in_chinese(client, world):
    with scopes_disabled():
        booking = world.container.booking
        TrackingEvent.objects.create(
            organization=booking.organization,
            booking=booking,
            carrier=booking.sailing.carrier,
            event_id="dep-1",
            event_type="TRANSPORT",
            event_code="DEPA",
            classifier="ACT",
            milestone="departed",
            event_at=booking.sailing.etd,
            location="USLAX",
            location_name="Los Angeles",
            vessel_name="Madrid Maersk",
            voyage_number="412W",
            payload={},
        )
    sign_in(client, world.buyer.owner)
    page = client.get(
        reverse("orders:purchase_order_detail", args=[world.purchase_order.number])
    ).content.decode()
    for shipment in world.shipments:
        assert f'data-shipment="{shipment.reference}"' in page
    assert page.count(world.container.reference) == 2
    assert "拼箱集装箱" in page  # "Shared container"
    assert "已离港" in page  # the departed milestone, reached
    assert "Madrid Maersk" in page
    assert "确认收货" not in page  # not arrived: no receipt yet


def test_the_buyer_confirms_and_reports_on_the_page(client, world):
    arrive(world.shipments)
    sign_in(client, world.buyer.owner)
    url = reverse("orders:purchase_order_detail", args=[world.purchase_order.number])
    page = client.get(url).content.decode()
    assert page.count("data-confirm-receipt=") == 2
    first, second = world.merchant_orders
    response = client.post(
        reverse("orders:buyer_merchant_order_action", args=[first.number, "confirm"]), follow=True
    )
    assert reload(first).status == "closed"
    assert (
        "确认收货" in response.content.decode() or "Receipt confirmed" in response.content.decode()
    )
    report_url = reverse("orders:receipt_problem_report", args=[second.number])
    assert client.get(report_url).status_code == 200
    refused = client.post(
        report_url,
        {
            "kind": "short",
            "description": "One case missing.",
            "photos": [SimpleUploadedFile("a.jpg", b"text, not a photo", "text/plain")],
        },
    )
    assert refused.status_code == 200
    assert "a.jpg" in refused.content.decode()
    with scopes_disabled():
        assert not ReceiptProblem.objects.exists()
    sent = client.post(
        report_url,
        {
            "kind": "short",
            "description": "One case missing.",
            "photos": [photo(), photo("b.png", "PNG")],
        },
    )
    assert sent.status_code == 302
    with scopes_disabled():
        problem = ReceiptProblem.objects.get()
        photo_ids = list(problem.photos.values_list("pk", flat=True))
    page = client.get(url).content.decode()
    assert "One case missing." in page
    photo_url = reverse("orders:receipt_problem_photo", args=[second.number, photo_ids[0]])
    assert photo_url in page
    served = client.get(photo_url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert served["Cache-Control"] == "private, no-store"


def test_the_merchant_and_operators_see_the_problem_and_others_do_not(client, world):
    arrive(world.shipments)
    problem = report(world, [photo()])
    with scopes_disabled():
        photo_id = problem.photos.get().pk
    number = world.merchant_orders[0].number
    photo_url = reverse("orders:receipt_problem_photo", args=[number, photo_id])
    # The merchant: its order page shows the problem and the shipment.
    sign_in(client, world.merchants[0].owner)
    page = client.get(reverse("orders:merchant_order_detail", args=[number])).content.decode()
    assert "Two cases crushed" in page and photo_url in page
    assert world.shipments[0].reference in page
    assert client.get(photo_url).status_code == 200
    # The other merchant of the same purchase order: not its order, not its photo.
    sign_in(client, world.merchants[1].owner)
    assert client.get(photo_url).status_code == 404
    other_page = reverse("orders:merchant_order_detail", args=[world.merchant_orders[1].number])
    assert "Two cases crushed" not in client.get(other_page).content.decode()
    # Another buyer.
    _store, stranger = buyer("Shenzhen Harbour Trading", Role.OWNER)
    sign_in(client, stranger)
    assert client.get(photo_url).status_code == 404
    assert client.get(reverse("orders:receipt_problem_report", args=[number])).status_code == 404
    # Operators: the list of problems, with the photos.
    staff = operator()
    sign_in(client, staff)
    listing = client.get(reverse("orders:operator_receipt_problems")).content.decode()
    assert number in listing and photo_url in listing
    assert client.get(photo_url).status_code == 200
    detail = client.get(
        reverse("orders:operator_order_detail", args=[world.purchase_order.number])
    ).content.decode()
    assert "Two cases crushed" in detail


@pytest.mark.parametrize("merchants", [1, 3])
def test_the_purchase_order_page_reads_a_fixed_number_of_queries(
    client, django_assert_num_queries, merchants
):
    world = shipped_order(merchants=merchants)
    container = shared_container(SailingFactory(), booked_by=world.merchants[0])
    shipments = [shipment_of(mo, container=container) for mo in world.merchant_orders]
    arrive(shipments)
    report(world, [photo()])
    sign_in(client, world.buyer.owner)
    url = reverse("orders:purchase_order_detail", args=[world.purchase_order.number])
    client.get(url)
    # Session, user, membership and organisation; the purchase order; its lines with their
    # merchants; its merchant orders; the shipment lines, shipments (with bookings, sailings,
    # ports, carrier and container), tracking events and trade documents; the receipt
    # problems and their photos; the header's counts; the payment panel.
    with django_assert_num_queries(QUERIES):
        assert client.get(url).status_code == 200


def test_the_latest_trade_documents_are_listed_on_the_purchase_order_page(client, world):
    from django.core.files.base import ContentFile

    from shipping.models import TradeDocument

    shipment = world.shipments[0]
    with scopes_disabled():
        for version in (1, 2):
            document = TradeDocument(
                organization=shipment.organization,
                buyer=shipment.buyer,
                shipment=shipment,
                kind="commercial_invoice",
                version=version,
                number=f"CI-{shipment.reference}-{version}",
                content_hash=str(version) * 64,
            )
            document.file.save("invoice.pdf", ContentFile(b"%PDF-1.4"), save=False)
            document.save()
    sign_in(client, world.buyer.owner)
    page = client.get(
        reverse("orders:purchase_order_detail", args=[world.purchase_order.number])
    ).content.decode()
    assert "商业发票" in page  # "Commercial invoice"
    assert f"CI-{shipment.reference}-2" in page
    assert f"CI-{shipment.reference}-1" not in page  # an earlier version
