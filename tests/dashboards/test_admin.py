"""The operators' fallback console: the admin searches and filters records of every
organisation, shows the audit trail read-only, and lets nobody without staff status in."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from network.models import AuditEvent, Role
from network.services import audit
from orders import dashboard
from tests.factories import member, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(network):
    """An operator with admin access (staff status), as support staff have it."""
    user = network["operator"]
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def test_search_and_filters_across_organisations(client, network, staff):
    dashboard.daily_sales_refresh(days=400)
    sign_in(client, staff)
    po1 = network["po1"]
    changelist = reverse("admin:orders_purchaseorder_changelist")
    found = client.get(changelist, {"q": "MAPLE-500"}).content.decode()  # by a line's SKU
    assert po1.number in found and network["po2"].number in found
    assert network["po3"].number not in found
    chinese = client.get(changelist, {"organization__country": "CN"}).content.decode()
    assert po1.number in chinese and network["po2"].number not in chinese
    for name, query in [
        ("orders_merchantorder", {"q": "Sunbelt", "status": "rejected"}),
        ("orders_dailysales", {"buyer_country": "US"}),
        ("merchants_merchantapplication", {"state": "FL"}),
        ("network_organization", {"q": network["wang"].email}),
        ("network_auditevent", {"organization__kind": "merchant"}),
        ("shipping_booking", {"q": "Great Lakes"}),
        ("training_registration", {"attended_at__isnull": "True"}),
    ]:
        response = client.get(reverse(f"admin:{name}_changelist"), query)
        assert response.status_code == 200, name
    assert (
        "Sunbelt Vitamins"
        in client.get(
            reverse("admin:orders_merchantorder_changelist"), {"q": "Sunbelt", "status": "rejected"}
        ).content.decode()
    )


def test_audit_log_is_read_only(client, network, staff):
    with scopes_disabled():
        event = audit(
            actor=network["maple_owner"],
            organization=network["maple"],
            action="product.published",
            target=network["syrup"].product,
            changes={"state": ["draft", "active"], "title": "枫糖浆"},
        )
    sign_in(client, staff)
    page = client.get(reverse("admin:network_auditevent_change", args=[event.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "product.published" in html and "枫糖浆" in html
    assert 'name="_save"' not in html  # nothing to save
    assert (
        client.post(
            reverse("admin:network_auditevent_change", args=[event.pk]), {"action": "x"}
        ).status_code
        == 403
    )
    assert client.get(reverse("admin:network_auditevent_add")).status_code == 403
    assert (
        client.get(reverse("admin:network_auditevent_delete", args=[event.pk])).status_code == 403
    )
    with scopes_disabled():
        assert AuditEvent.objects.get(pk=event.pk).action == "product.published"


def test_audit_log_list_reads_a_fixed_number_of_queries(
    client, network, staff, django_assert_max_num_queries
):
    sign_in(client, staff)
    url = reverse("admin:network_auditevent_changelist")
    client.get(url)
    with django_assert_max_num_queries(12) as captured:
        client.get(url)
    before = len(captured)
    with scopes_disabled():
        for n in range(20):
            audit(actor=network["wang"], organization=network["store"], action=f"test.{n}")
    with django_assert_max_num_queries(before):
        assert "test.19" in client.get(url).content.decode()


def test_members_of_organisations_without_staff_status_are_kept_out(client, network):
    for user in (network["maple_owner"], network["wang"], member(network["store"], Role.OWNER)):
        client.force_login(user)
        response = client.get(reverse("admin:network_auditevent_changelist"))
        assert response.status_code == 302 and "/admin/login/" in response.url
