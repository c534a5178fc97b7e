"""Who reaches a booking: its merchant and the network's operators, nobody else; another
merchant is answered as for a reference that does not exist (function, page and API)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from network.tenancy import RecordNotFound
from shipping.selectors import access_booking, sailing_bookings_for_operators
from tests.shipping.factories import request_booking
from tests.shipping.helpers import reload

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(maple, owner, sailing):
    return request_booking(maple, sailing, owner, units=2)


def test_the_merchant_reaches_its_booking(maple, booking):
    assert access_booking(organization=maple, reference=booking.reference) == booking


def test_an_operator_reaches_every_merchants_booking(operator, booking, sailing):
    operators = operator.memberships.get().organization
    assert access_booking(organization=operators, reference=booking.reference) == booking
    assert sailing_bookings_for_operators(organization=operators, sailing=sailing) == [booking]


def test_another_merchant_does_not_reach_it(rival, booking, sailing):
    with pytest.raises(RecordNotFound) as refused:
        access_booking(organization=rival, reference=booking.reference)
    assert refused.value.code == "not_found"
    with pytest.raises(RecordNotFound):
        access_booking(organization=rival, reference="NO-SUCH-REFERENCE")
    assert sailing_bookings_for_operators(organization=rival, sailing=sailing) == []


def test_another_merchants_page_answers_404(client, outsider, booking):
    client.force_login(outsider)
    url = reverse("shipping:booking_detail", args=[booking.reference])
    assert client.get(url).status_code == 404
    cancel = reverse("shipping:booking_cancel", args=[booking.reference])
    assert client.post(cancel, {"reason": "mine now"}).status_code == 404
    assert reload(booking).status == "RECEIVED"


def test_another_merchants_api_answers_404_not_found(client, outsider, booking):
    client.force_login(outsider)
    response = client.get(reverse("shipping_booking", args=[booking.reference]))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    response = client.post(
        reverse("shipping_booking_cancel", args=[booking.reference]),
        {},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert reload(booking).status == "RECEIVED"


def test_the_merchant_still_reaches_its_booking_page_and_api(client, owner, booking):
    client.force_login(owner)
    page = client.get(reverse("shipping:booking_detail", args=[booking.reference]))
    assert page.status_code == 200
    assert booking.reference in page.content.decode()
    response = client.get(reverse("shipping_booking", args=[booking.reference]))
    assert response.status_code == 200
    assert response.json()["reference"] == booking.reference
