"""Messages between a buyer and a merchant: asking from a product page, answering, unread counts
in the header, attachments checked by content, at most one mail per thread, side and hour, the
webhook to the other side, and nobody else reading the thread."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from deals.models import Message, MessageAttachment, Thread
from deals.services import messages as services
from network.models import Role, WebhookDelivery
from network.services import webhook_endpoint_create
from tests.deals.messaging import answer, ask, pair, pdf, photo
from tests.factories import member, operator, sign_in

pytestmark = pytest.mark.django_db


def nav_badge(html: str) -> str:
    header = html.split('<header class="site-header">', 1)[1].split("</header>", 1)[0]
    if "nav-badge" not in header:
        return ""
    return header.split("nav-badge", 1)[1].split(">", 1)[1].split("<", 1)[0]


def test_the_buyer_asks_from_the_product_page_and_the_merchant_answers(client):
    world = pair(buyer_language="en")
    client.force_login(world.buyer_user)
    product_page = client.get(reverse("catalog:product", args=[world.product.pk])).content.decode()
    new_url = reverse("deals:thread_new") + f"?product={world.product.pk}"
    assert new_url.replace("&", "&amp;") in product_page
    form = client.get(new_url).content.decode()
    assert "Message Great Lakes Maple Co." in form
    response = client.post(
        new_url, {"subject": "Ningbo", "body": "Do you ship 48 bottles to Ningbo?"}
    )
    with scopes_disabled():
        thread = Thread.objects.get()
    assert response.url == reverse("deals:thread", args=[thread.pk])
    assert (thread.buyer, thread.merchant, thread.product) == (
        world.buyer,
        world.merchant,
        world.product,
    )

    client.force_login(world.merchant_user)
    inbox = client.get(reverse("deals:threads")).content.decode()
    assert "Ningbo" in inbox and nav_badge(inbox) == "1"
    page = client.get(reverse("deals:thread", args=[thread.pk])).content.decode()
    assert "Do you ship 48 bottles to Ningbo?" in page
    # Read now: the badge is gone on the next page.
    assert nav_badge(client.get(reverse("deals:threads")).content.decode()) == ""
    client.post(reverse("deals:thread", args=[thread.pk]), {"body": "Yes, by sea from Chicago."})

    client.force_login(world.buyer_user)
    assert nav_badge(client.get(reverse("home")).content.decode()) == "1"
    page = client.get(reverse("deals:thread", args=[thread.pk])).content.decode()
    assert "Yes, by sea from Chicago." in page


def test_asking_again_about_the_same_product_continues_the_thread():
    world = pair()
    first, _ = ask(world)
    again, _ = ask(world, "And to Shanghai?")
    assert again.pk == first.pk
    with scopes_disabled():
        assert Message.objects.filter(thread=first).count() == 2


def test_each_side_sees_which_language_the_other_reads(client):
    world = pair(buyer_language="zh-hans")
    thread, _ = ask(world)
    client.force_login(world.merchant_user)
    page = client.get(reverse("deals:thread", args=[thread.pk])).content.decode()
    assert "Hangzhou Westlake Global Store reads Simplified Chinese." in page
    client.force_login(world.buyer_user)
    page = client.get(reverse("deals:thread", args=[thread.pk])).content.decode()
    assert "Great Lakes Maple Co. 读" in page or "Great Lakes Maple Co." in page
    assert "英语" in page or "English" in page


def test_another_buyer_finds_nothing(client):
    world = pair()
    thread, _message = ask(world)
    with scope(organization=world.buyer):
        services.message_post(
            thread=thread,
            organization=world.buyer,
            body="Our label spec.",
            attachments=[pdf()],
            acting_user=world.buyer_user,
        )
    with scopes_disabled():
        attachment = MessageAttachment.objects.get()
    client.force_login(world.outsider_user)
    assert client.get(reverse("deals:thread", args=[thread.pk])).status_code == 404
    attachment_url = reverse("deals:message_attachment", args=[thread.pk, attachment.pk])
    assert client.get(attachment_url).status_code == 404
    assert "Do you ship" not in client.get(reverse("deals:threads")).content.decode()
    response = client.post(reverse("deals:thread", args=[thread.pk]), {"body": "Hello"})
    assert response.status_code == 404
    client.force_login(world.merchant_user)
    response = client.get(attachment_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_operators_read_only_threads_about_a_claim_or_a_report(client):
    from tests.factories import OrganizationFactory
    from tests.payments.test_claims_pages import open_claim
    from tests.payments.trade import trade

    OrganizationFactory(name="Network Operations", kind="operator")
    world = pair()
    plain, _ = ask(world)
    staff = operator()
    sign_in(client, staff)
    assert client.get(reverse("deals:thread", args=[plain.pk])).status_code == 404

    deal = trade()
    claim = open_claim(deal)
    with scope(organization=deal.buyer):
        about = services.thread_about(organization=deal.buyer, claim=claim)
        about_claim, _ = services.thread_start(
            organization=deal.buyer,
            about=about,
            body="Six bottles arrived broken.",
            acting_user=deal.buyer_user,
        )
    page = client.get(reverse("deals:thread", args=[about_claim.pk]))
    assert page.status_code == 200 and "Six bottles arrived broken." in page.content.decode()
    inbox = client.get(reverse("deals:threads")).content.decode()
    assert claim.number in inbox and "Do you ship" not in inbox
    client.post(reverse("deals:thread", args=[about_claim.pk]), {"body": "We are looking at it."})
    with scopes_disabled():
        note = Message.objects.filter(thread=about_claim).last()
    assert note.body == "We are looking at it." and note.author == staff


def test_a_disguised_attachment_is_refused_and_nothing_is_written(client):
    world = pair(buyer_language="en")
    thread, _ = ask(world)
    client.force_login(world.buyer_user)
    fake = SimpleUploadedFile("invoice.pdf", b"MZ\x90 not a pdf", content_type="application/pdf")
    response = client.post(
        reverse("deals:thread", args=[thread.pk]), {"body": "See attached.", "attachments": [fake]}
    )
    assert response.status_code == 200
    assert "Only PDF, PNG or JPEG files are accepted" in response.content.decode()
    with scopes_disabled():
        assert Message.objects.filter(thread=thread).count() == 1
        assert not MessageAttachment.objects.exists()
    response = client.post(
        reverse("deals:thread", args=[thread.pk]),
        {"body": "See attached.", "attachments": [photo(), pdf()]},
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert sorted(MessageAttachment.objects.values_list("content_type", flat=True)) == [
            "application/pdf",
            "image/jpeg",
        ]


def test_a_viewer_reads_but_does_not_write(client):
    world = pair()
    thread, _ = ask(world)
    viewer = member(world.merchant, Role.VIEWER)
    client.force_login(viewer)
    page = client.get(reverse("deals:thread", args=[thread.pk])).content.decode()
    assert "Do you ship to Ningbo?" in page and "Reply" not in page
    client.post(reverse("deals:thread", args=[thread.pk]), {"body": "Hi"})
    with scopes_disabled():
        assert Message.objects.filter(thread=thread).count() == 1


def test_the_other_side_is_mailed_at_most_once_an_hour_per_thread(
    django_capture_on_commit_callbacks,
):
    world = pair(buyer_language="zh-hans")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        thread, _ = ask(world)
    with django_capture_on_commit_callbacks(execute=True):
        ask(world, "And to Shanghai?")
    to_merchant = [m for m in mail.outbox if world.merchant_user.email in m.to]
    assert len(to_merchant) == 1 and "Great Lakes" not in to_merchant[0].subject
    assert "Hangzhou Westlake Global Store" in to_merchant[0].subject
    assert "Do you ship to Ningbo?" in to_merchant[0].body

    # The answer reaches the buyer in Chinese, once.
    with django_capture_on_commit_callbacks(execute=True):
        answer(world, thread)
    to_buyer = [m for m in mail.outbox if world.buyer_user.email in m.to]
    assert len(to_buyer) == 1 and "新消息" in to_buyer[0].subject

    # An hour later the next message is mailed again.
    with scopes_disabled():
        Thread.objects.filter(pk=thread.pk).update(
            merchant_mailed_at=timezone.now() - timedelta(hours=1, minutes=1)
        )
    with django_capture_on_commit_callbacks(execute=True):
        ask(world, "And to Xiamen?")
    to_merchant = [m for m in mail.outbox if world.merchant_user.email in m.to]
    assert len(to_merchant) == 2


def test_a_new_message_reaches_the_other_sides_webhooks():
    world = pair()
    webhook_endpoint_create(
        organization=world.merchant,
        url="https://hooks.maple.example/in",
        events=["message.received"],
        acting_user=world.merchant_user,
    )
    thread, message = ask(world)
    with scopes_disabled():
        delivery = WebhookDelivery.objects.get(event="message.received")
    assert delivery.organization == world.merchant
    assert delivery.payload["thread"] == thread.pk
    assert delivery.payload["body"] == "Do you ship to Ningbo?"
    assert delivery.payload["author_organization"] == world.buyer.name


def test_a_merchant_cannot_start_a_thread_with_another_merchant(client):
    world = pair()
    client.force_login(world.merchant_user)
    response = client.get(reverse("deals:thread_new") + f"?merchant={world.merchant.slug}")
    assert response.status_code == 302
    with scopes_disabled():
        assert not Thread.objects.exists()


def test_the_inbox_reads_a_fixed_number_of_queries(client, django_assert_num_queries):
    world = pair()
    ask(world)
    client.force_login(world.merchant_user)
    url = reverse("deals:threads")
    client.get(url)
    # Session, user, memberships and organisation; the threads' count and the page of them
    # (the header's unread count comes from the cache).
    with django_assert_num_queries(5):
        assert client.get(url).status_code == 200
    from tests.orders.factories import sku as make_sku

    other_item = make_sku(world.merchant, world.merchant_user, code="MAPLE-1L", title="1 l")
    with scope(organization=world.buyer):
        about = services.thread_about(organization=world.buyer, product=other_item.product)
        services.thread_start(
            organization=world.buyer, about=about, body="Price?", acting_user=world.buyer_user
        )
    client.get(url)
    with django_assert_num_queries(5):
        assert client.get(url).status_code == 200


def test_the_order_pages_lead_each_side_to_the_other(client):
    from tests.payments.trade import trade

    deal = trade(status="accepted")
    client.force_login(deal.merchant_user)
    order_page = client.get(
        reverse("orders:merchant_order_detail", args=[deal.merchant_order.number])
    ).content.decode()
    new_url = reverse("deals:thread_new") + f"?merchant_order={deal.merchant_order.number}"
    assert new_url in order_page
    assert "Message " + deal.buyer.name in client.get(new_url).content.decode()
    client.post(new_url, {"body": "Packed: shall we ship on Friday?"})

    client.force_login(deal.buyer_user)
    page = client.get(
        reverse("orders:purchase_order_detail", args=[deal.purchase_order.number])
    ).content.decode()
    assert new_url in page
    # The buyer asking about the same order continues the merchant's conversation.
    client.post(new_url, {"body": "Friday is fine."})
    with scopes_disabled():
        thread = Thread.objects.get()
        assert thread.merchant_order == deal.merchant_order
        assert list(thread.messages.values_list("body", flat=True)) == [
            "Packed: shall we ship on Friday?",
            "Friday is fine.",
        ]
    # A merchant with no part in a purchase order cannot be asked about it.
    other = pair()
    client.force_login(deal.buyer_user)
    response = client.get(
        reverse("deals:thread_new")
        + f"?purchase_order={deal.purchase_order.number}&merchant={other.merchant.slug}"
    )
    assert response.status_code == 302


def test_a_buyer_writes_to_a_merchant_that_quoted_on_its_request(client):
    from catalog.models import Category
    from deals.models import Quotation, QuotationRequest

    world = pair(buyer_language="en")
    with scopes_disabled():
        request = QuotationRequest.objects.create(
            buyer=world.buyer,
            number="RFQ-TEST-1",
            title="Maple syrup, 2 000 bottles",
            category=Category.objects.get(slug="maple-syrup"),
            quantity=2000,
        )
        Quotation.objects.create(
            request=request,
            buyer=world.buyer,
            merchant=world.merchant,
            number="QT-TEST-1",
            moq=500,
            lead_time_days=30,
            valid_until=timezone.localdate() + timedelta(days=30),
        )
    client.force_login(world.buyer_user)
    base = reverse("deals:thread_new") + "?quotation_request=RFQ-TEST-1"
    form = client.get(f"{base}&merchant={world.merchant.slug}").content.decode()
    assert "Request for quotation RFQ-TEST-1" in form
    client.post(f"{base}&merchant={world.merchant.slug}", {"body": "Can you do 1 500?"})
    with scopes_disabled():
        thread = Thread.objects.get()
    assert (thread.quotation_request, thread.merchant) == (request, world.merchant)

    # A merchant that has not quoted is not written to about the request, nor is another
    # buyer's request found.
    other = pair()
    response = client.get(f"{base}&merchant={other.merchant.slug}")
    assert response.status_code == 302
    client.force_login(world.outsider_user)
    assert client.get(f"{base}&merchant={world.merchant.slug}").status_code == 404
