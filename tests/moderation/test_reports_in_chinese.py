"""A Chinese-speaking buyer follows a report in Chinese: "my reports", the report page, and the
notification and mail about the decision name the listing by its Chinese title and give the
status in Chinese, whichever language the deciding operator works in.

People: the reporting buyer (Chinese), the merchant, an operator working in English."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django_scopes import scopes_disabled

from moderation import services as brands
from network.models import Notification, Organization, Role
from tests.catalog.factories import merchant
from tests.factories import OrganizationFactory, member, operator
from tests.moderation.test_brands import listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    shop, shop_owner = merchant("Copycat Trading", slug="copycat")
    item = listing(
        shop,
        shop_owner,
        brand="Northwoods",
        title_en="Amber Maple Syrup",
        title_zh_hans="琥珀枫糖浆",
        seed=4,
    )
    store = OrganizationFactory(kind=Organization.Kind.BUYER, name="Hangzhou Store")
    reporter = member(store, Role.BUYER, language="zh-hans")
    report = brands.report_create(
        product=item, reason="counterfeit", reporter_organization=store, acting_user=reporter
    )
    return {"item": item, "reporter": reporter, "report": report}


def test_my_reports_and_the_report_page_name_the_listing_in_chinese(client, world):
    client.force_login(world["reporter"])
    listing_page = client.get(reverse("catalog:my_reports")).content.decode()
    assert "琥珀枫糖浆</a>" in listing_page
    assert "Amber Maple Syrup" not in listing_page
    report_page = client.get(reverse("catalog:report", args=[world["report"].pk]))
    assert "琥珀枫糖浆</a>" in report_page.content.decode()
    assert "Amber Maple Syrup" not in report_page.content.decode()


def test_the_decision_reaches_the_buyer_in_chinese(
    client, world, django_capture_on_commit_callbacks
):
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        brands.report_decide(
            report=world["report"],
            decision="take_down",
            reason="Counterfeit label.",
            acting_user=operator(language="en"),
        )
    notification = Notification.objects.visible_to(world["report"].reporter_organization).get(
        recipient=world["reporter"], kind="catalog.report_decided"
    )
    assert "琥珀枫糖浆" in notification.body
    assert "Amber Maple Syrup" not in notification.body
    (message,) = [m for m in mail.outbox if m.to == [world["reporter"].email]]
    assert "琥珀枫糖浆" in message.body


@pytest.mark.parametrize(
    ("decision", "status"), [("take_down", "商品已下架"), ("dismiss", "已驳回")]
)
def test_the_status_in_the_notification_is_in_chinese(
    client, world, decision, status, django_capture_on_commit_callbacks
):
    # The operator decides in English; the reporter reads Chinese.
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        brands.report_decide(
            report=world["report"],
            decision=decision,
            reason="Checked with the brand owner.",
            acting_user=operator(language="en"),
        )
    notification = Notification.objects.visible_to(world["report"].reporter_organization).get(
        recipient=world["reporter"], kind="catalog.report_decided"
    )
    assert notification.subject == f"您的举报 #{world['report'].pk}：{status}"
    assert f"状态：{status}" in notification.body
    client.force_login(world["reporter"])
    page = client.get(reverse("notifications")).content.decode()
    assert f"您的举报 #{world['report'].pk}：{status}" in page
    assert "Listing taken down" not in page and "Dismissed" not in page


def test_the_appeal_decision_reaches_a_chinese_merchant_in_chinese(
    world, django_capture_on_commit_callbacks
):
    merchant_owner = member(world["item"].organization, Role.ADMIN, language="zh-hans")
    taker, judge = operator(language="en"), operator(language="en")
    brands.report_decide(
        report=world["report"], decision="take_down", reason="Fake.", acting_user=taker
    )
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        appeal = brands.appeal_file(
            report=world["report"], statement="We own the brand.", acting_user=merchant_owner
        )
        brands.appeal_decide(
            appeal=appeal, outcome="overturn", reason="Licence shown.", acting_user=judge
        )
    notification = Notification.objects.visible_to(world["item"].organization).get(
        recipient=merchant_owner, kind="catalog.appeal_decided"
    )
    assert notification.subject == "您的申诉：撤销下架"
    assert "琥珀枫糖浆" in notification.body
