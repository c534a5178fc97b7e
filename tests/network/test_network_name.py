"""One Chinese name for the network — 美国商家全球网络, the header's — in the header, the footer,
the printed purchase order, and the signature of order, booking and account mail.

People: a Chinese-speaking buyer; the merchant who accepts the buyer's order."""

from __future__ import annotations

import polib
import pytest
from django.core import mail
from django.urls import reverse
from django_scopes import scopes_disabled

from orders import services as order_services
from tests.network.test_i18n import CATALOGUE
from tests.orders.factories import buyer, fan_out, merchant, merchant_order_of, place, sku

pytestmark = pytest.mark.django_db

NAME = "美国商家全球网络"


def test_every_translation_that_names_the_network_uses_one_name():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    naming = [e for e in po.translated_entries() if "Global US Merchants Network" in e.msgid]
    assert len(naming) >= 3
    assert [e.msgid for e in naming if NAME not in e.msgstr] == []


def test_the_header_and_the_footer_name_the_network_alike(client):
    client.cookies["network_language"] = "zh-hans"
    page = client.get(reverse("home")).content.decode()
    header = page.split('<main id="main"', 1)[0]
    footer = page.split('<footer class="site-footer">', 1)[1]
    assert f'<span class="brand-name">{NAME}</span>' in header
    assert f"<p>{NAME}——" in footer
    assert "全球美国商家网络" not in page


def test_order_mail_and_account_mail_are_signed_with_the_chinese_name(
    client, django_capture_on_commit_callbacks
):
    maple, maple_owner = merchant("Great Lakes Maple Co.")
    syrup = sku(maple, maple_owner, code="MAPLE-500")
    store, wang = buyer(language="zh-hans")
    purchase_order = place(store, wang, [(syrup, 12)])
    fan_out(purchase_order)
    merchant_order = merchant_order_of(purchase_order, maple)
    mail.outbox.clear()
    with scopes_disabled(), django_capture_on_commit_callbacks(execute=True):
        order_services.merchant_order_accept(merchant_order=merchant_order, acting_user=maple_owner)
    (update,) = [m for m in mail.outbox if m.to == [wang.email]]
    assert update.body.rstrip().endswith(NAME)

    mail.outbox.clear()
    client.cookies["network_language"] = "zh-hans"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": wang.email})
    (reset,) = mail.outbox
    assert NAME in reset.body
    assert "Global US Merchants Network" not in reset.body
