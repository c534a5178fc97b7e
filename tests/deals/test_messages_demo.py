"""The demo's conversations: the demo buyer asks the demo merchant about a product, in Chinese,
and gets a label layout back; a second run changes nothing."""

from __future__ import annotations

import pytest
from django.utils import translation
from django_scopes import scopes_disabled

from deals import demo_messages
from deals.models import MessageAttachment, Thread
from network.demo import DEMO_BUYER_SLUG, DEMO_MERCHANT_SLUG
from network.models import Organization, Role
from tests.catalog.factories import merchant
from tests.factories import OrganizationFactory, member
from tests.orders.factories import sku

pytestmark = pytest.mark.django_db


def test_demo_conversations_are_made_once_with_the_buyer_s_subjects_in_chinese():
    with scopes_disabled():
        assert demo_messages.seed() == "messages: 0"
        store = OrganizationFactory(
            name="Hangzhou Westlake Global Store",
            slug=DEMO_BUYER_SLUG,
            kind=Organization.Kind.BUYER,
        )
        member(store, Role.OWNER)
        maple, owner = merchant("Great Lakes Maple Co.", slug=DEMO_MERCHANT_SLUG)
        syrup = sku(maple, owner, code="MAPLE-1", on_hand=500)
        assert demo_messages.seed() == "messages: 1 conversations"
        assert demo_messages.seed() == "messages: 0"
        thread = Thread.objects.get()
        bodies = list(thread.messages.values_list("author_organization__slug", flat=True))
        attachments = list(MessageAttachment.objects.values_list("original_name", flat=True))
    with translation.override("zh-hans"):
        chinese_title = syrup.product.title
    assert (thread.buyer, thread.merchant, thread.product_id) == (store, maple, syrup.product_id)
    assert thread.subject == chinese_title
    assert bodies == [DEMO_BUYER_SLUG, DEMO_MERCHANT_SLUG]
    assert attachments == ["label-layout.png"]
