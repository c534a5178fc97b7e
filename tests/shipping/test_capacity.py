"""Space on a sailing: held with the request, refused clearly when short, given back on
rejection, decline, cancellation and expiry; amendments hold only the increase."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone
from django_scopes import scopes_disabled

from merchants.errors import MerchantNotApproved
from merchants.models import MerchantApplication
from shipping import services, tasks
from shipping.errors import (
    BookingInvalid,
    CapacityExhausted,
    EquipmentNotOffered,
    SailingNotBookable,
    WeightExhausted,
)
from shipping.models import Booking, BookingEvent, Sailing
from tests.factories import OrganizationFactory, member
from tests.shipping.factories import SailingFactory, request_booking
from tests.shipping.helpers import put_in_state, reload

pytestmark = pytest.mark.django_db


def _booked(sailing) -> tuple[int, int]:
    sailing.refresh_from_db()
    return sailing.booked_teu, sailing.booked_weight_kg


def _held_sum(sailing) -> int:
    with scopes_disabled():
        return Booking.objects.filter(sailing=sailing).aggregate(t=Sum("teu_held"))["t"] or 0


def test_a_request_holds_its_teu_and_weight_in_the_same_transaction(maple, owner, sailing):
    booking = request_booking(maple, sailing, owner, equipment="40HC", units=2)
    assert booking.equipment_code == "45G1"
    assert (booking.status, booking.teu_held, booking.weight_held_kg) == ("RECEIVED", 4, 36_000)
    assert _booked(sailing) == (4, 36_000)
    assert booking.hold_expires_at is not None
    assert booking.total_price == Decimal("1680.00")
    assert booking.free_cancellation_until == sailing.etd - timedelta(days=7)


def test_a_request_larger_than_the_space_left_is_refused_with_capacity_exhausted(
    maple, owner, no_scopes
):
    sailing = SailingFactory(capacity_teu=5)
    request_booking(maple, sailing, owner, units=2)  # 4 TEU
    with pytest.raises(CapacityExhausted) as error:
        request_booking(maple, sailing, owner, units=1)  # 2 TEU > 1 left
    assert error.value.code == "capacity_exhausted"
    assert error.value.status == 409
    assert error.value.details == {"remaining_teu": 1, "requested_teu": 2}
    assert "2 TEU requested, 1 TEU left" in error.value.message
    assert _booked(sailing)[0] == 4
    assert Booking.objects.filter(sailing=sailing).count() == 1
    # A 20' box still fits in the last TEU.
    request_booking(maple, sailing, owner, equipment="20GP", units=1, gross_weight_kg=10_000)
    assert _booked(sailing)[0] == 5


def test_the_weight_allocation_is_held_too(maple, owner):
    sailing = SailingFactory(capacity_weight_kg=40_000)
    request_booking(maple, sailing, owner, units=1, gross_weight_kg=25_000)
    with pytest.raises(WeightExhausted) as error:
        request_booking(maple, sailing, owner, units=1, gross_weight_kg=20_000)
    assert error.value.code == "weight_exhausted"
    assert _booked(sailing) == (2, 25_000)


def test_a_heavier_box_than_the_equipment_carries_is_refused(maple, owner, sailing):
    with pytest.raises(BookingInvalid) as error:
        request_booking(maple, sailing, owner, units=1, gross_weight_kg=30_000)
    assert "gross_weight_kg" in error.value.fields
    assert _booked(sailing) == (0, 0)


def test_only_approved_merchants_in_good_standing_can_book(sailing, no_scopes):
    newcomer = OrganizationFactory()
    person = member(newcomer)
    with pytest.raises(MerchantNotApproved):
        request_booking(newcomer, sailing, person)
    MerchantApplication.objects.create(organization=newcomer, status="suspended")
    with pytest.raises(MerchantNotApproved):
        request_booking(newcomer, sailing, person)
    assert _booked(sailing) == (0, 0)


def test_a_closed_or_unpublished_sailing_and_unoffered_equipment_are_refused(maple, owner):
    closed = SailingFactory(booking_opens_at=timezone.now() - timedelta(days=40))
    Sailing.objects.filter(pk=closed.pk).update(booking_closes_at=timezone.now())
    with pytest.raises(SailingNotBookable):
        request_booking(maple, closed, owner)
    hidden = SailingFactory(is_published=False)
    with pytest.raises(SailingNotBookable):
        request_booking(maple, hidden, owner)
    with pytest.raises(EquipmentNotOffered):
        request_booking(maple, SailingFactory(), owner, equipment="22R1")
    with pytest.raises(EquipmentNotOffered):
        request_booking(maple, SailingFactory(), owner, equipment="53HC")


@pytest.mark.parametrize(
    "end",
    [
        lambda b, u: services.booking_reject(booking=b, message="Full"),
        lambda b, u: services.booking_cancel(booking=b, acting_user=u),
    ],
    ids=["carrier rejects", "merchant cancels"],
)
def test_rejection_and_cancellation_give_the_space_back(end, maple, owner, sailing):
    booking = request_booking(maple, sailing, owner, units=3)
    assert _booked(sailing) == (6, 54_000)
    end(booking, owner)
    assert _booked(sailing) == (0, 0)
    assert reload(booking).teu_held == 0


def test_a_carrier_decline_of_a_confirmed_booking_gives_the_space_back(maple, owner, sailing):
    booking = request_booking(maple, sailing, owner, units=3)
    services.booking_confirm(booking=booking, carrier_booking_reference="MAEU1")
    services.booking_decline(booking=booking, message="Vessel omitted the port")
    assert _booked(sailing) == (0, 0)


def test_expired_holds_are_released_by_the_beat_task_once(maple, owner, sailing, no_scopes):
    stale = request_booking(maple, sailing, owner, units=1)
    fresh = request_booking(maple, sailing, owner, units=1)
    confirmed = request_booking(maple, sailing, owner, units=1)
    services.booking_confirm(booking=confirmed, carrier_booking_reference="MAEU9")
    past = timezone.now() - timedelta(minutes=1)
    Booking.objects.filter(pk__in=[stale.pk, confirmed.pk]).update(hold_expires_at=past)
    assert _booked(sailing)[0] == 6

    assert tasks.expire_booking_holds.delay().get() == 1
    assert tasks.expire_booking_holds.delay().get() == 0

    assert reload(stale).status == "CANCELLED"
    assert reload(fresh).status == "RECEIVED"
    assert reload(confirmed).status == "CONFIRMED"
    assert _booked(sailing)[0] == 4
    event = BookingEvent.objects.filter(booking=stale).latest("pk")
    assert (event.action, event.source) == ("expired", "network")


def test_the_hold_never_outlives_the_booking_window(maple, owner, settings):
    settings.SHIPPING_HOLD_HOURS = 24 * 60
    sailing = SailingFactory()
    booking = request_booking(maple, sailing, owner, units=1)
    assert booking.hold_expires_at == sailing.booking_closes_at


class TestAmendmentArithmetic:
    """45G1 = 2 TEU a box, 18 t of cargo a box in these tests."""

    def test_an_update_before_confirmation_moves_the_hold_at_once(self, maple, owner, sailing):
        booking = request_booking(maple, sailing, owner, units=2)
        services.booking_amend(booking=booking, units=5, gross_weight_kg=90_000, acting_user=owner)
        assert _booked(sailing) == (10, 90_000)
        services.booking_amend(booking=booking, units=1, gross_weight_kg=18_000, acting_user=owner)
        assert _booked(sailing) == (2, 18_000)
        after = reload(booking)
        assert (after.units, after.teu_held, after.status) == (1, 2, "UPDATE_RECEIVED")

    def test_an_update_beyond_the_space_left_changes_nothing(self, maple, owner):
        sailing = SailingFactory(capacity_teu=8)
        booking = request_booking(maple, sailing, owner, units=2)
        with pytest.raises(CapacityExhausted) as error:
            services.booking_amend(
                booking=booking, units=5, gross_weight_kg=90_000, acting_user=owner
            )
        assert error.value.details == {"remaining_teu": 4, "requested_teu": 6}
        assert (reload(booking).units, reload(booking).status, _booked(sailing)[0]) == (
            2,
            "RECEIVED",
            4,
        )

    def _confirmed(self, maple, owner, sailing, units):
        booking = request_booking(maple, sailing, owner, units=units)
        return services.booking_confirm(booking=booking, carrier_booking_reference="MAEU7")

    def test_an_amendment_holds_only_the_increase_until_confirmed(self, maple, owner, sailing):
        booking = self._confirmed(maple, owner, sailing, units=2)
        services.booking_amend(booking=booking, units=4, gross_weight_kg=72_000, acting_user=owner)
        after = reload(booking)
        assert (after.units, after.amended_units, after.teu_held) == (2, 4, 8)
        assert _booked(sailing) == (8, 72_000)
        services.booking_confirm_amendment(booking=booking)
        after = reload(booking)
        assert (after.units, after.amended_units, after.teu_held) == (4, None, 8)
        assert _booked(sailing) == (8, 72_000)

    def test_a_decrease_is_released_only_when_the_carrier_confirms(self, maple, owner, sailing):
        booking = self._confirmed(maple, owner, sailing, units=4)
        services.booking_amend(booking=booking, units=1, gross_weight_kg=18_000, acting_user=owner)
        assert _booked(sailing) == (8, 72_000)
        services.booking_confirm_amendment(booking=booking)
        assert _booked(sailing) == (2, 18_000)
        assert reload(booking).units == 1

    @pytest.mark.parametrize(
        "answer",
        [
            lambda b, u: services.booking_decline_amendment(booking=b, message="No boxes"),
            lambda b, u: services.booking_withdraw_amendment(booking=b, acting_user=u),
        ],
        ids=["declined", "withdrawn"],
    )
    def test_a_declined_or_withdrawn_increase_is_given_back(self, answer, maple, owner, sailing):
        booking = self._confirmed(maple, owner, sailing, units=2)
        services.booking_amend(booking=booking, units=5, gross_weight_kg=90_000, acting_user=owner)
        assert _booked(sailing) == (10, 90_000)
        answer(booking, owner)
        assert _booked(sailing) == (4, 36_000)
        after = reload(booking)
        assert (after.units, after.amended_units, after.teu_held) == (2, None, 4)

    def test_an_increase_beyond_the_space_left_is_refused(self, maple, owner):
        sailing = SailingFactory(capacity_teu=6)
        booking = self._confirmed(maple, owner, sailing, units=2)
        with pytest.raises(CapacityExhausted):
            services.booking_amend(
                booking=booking, units=4, gross_weight_kg=72_000, acting_user=owner
            )
        assert reload(booking).amendment_status == ""
        assert _booked(sailing)[0] == 4

    def test_nothing_changed_is_not_an_amendment(self, maple, owner, sailing):
        booking = self._confirmed(maple, owner, sailing, units=2)
        with pytest.raises(BookingInvalid):
            services.booking_amend(
                booking=booking, units=2, gross_weight_kg=36_000, acting_user=owner
            )


def test_the_sailing_total_always_equals_what_its_bookings_hold(maple, owner, sailing):
    a = request_booking(maple, sailing, owner, units=2)
    b = request_booking(maple, sailing, owner, equipment="22G1", units=3, gross_weight_kg=30_000)
    c = request_booking(maple, sailing, owner, units=1)
    services.booking_confirm(booking=a, carrier_booking_reference="MAEU1")
    services.booking_amend(booking=a, units=3, gross_weight_kg=54_000, acting_user=owner)
    services.booking_reject(booking=b)
    services.booking_amend(booking=c, units=2, gross_weight_kg=36_000, acting_user=owner)
    services.booking_decline_amendment(booking=a)
    assert _booked(sailing)[0] == _held_sum(sailing) == 8


class TestCancellationFee:
    def test_free_until_the_set_number_of_days_before_departure(self, maple, owner, sailing):
        booking = request_booking(maple, sailing, owner, units=2)
        services.booking_confirm(booking=booking, carrier_booking_reference="MAEU1")
        services.booking_cancel(booking=booking, acting_user=owner)
        assert reload(booking).cancellation_fee == Decimal("0.00")

    def test_a_fee_per_container_after_that(self, maple, owner):
        sailing = SailingFactory(etd=timezone.now() + timedelta(days=5))
        booking = request_booking(maple, sailing, owner, units=3)
        services.booking_confirm(booking=booking, carrier_booking_reference="MAEU1")
        assert booking.cancellation_fee_if_cancelled() == Decimal("450.00")
        services.booking_cancel(booking=booking, acting_user=owner)
        assert reload(booking).cancellation_fee == Decimal("450.00")

    def test_an_unconfirmed_request_is_always_free_to_cancel(self, maple, owner):
        sailing = SailingFactory(etd=timezone.now() + timedelta(days=5))
        booking = request_booking(maple, sailing, owner, units=3)
        services.booking_cancel(booking=booking, acting_user=owner)
        assert reload(booking).cancellation_fee is None

    def test_the_terms_are_those_shown_at_booking(self, maple, owner, sailing):
        booking = request_booking(maple, sailing, owner, units=1)
        sailing.carrier.cancellation_fee_per_container = Decimal("999.00")
        sailing.carrier.save()
        assert reload(booking).cancellation_fee_per_container == Decimal("150.00")


def test_a_confirmed_booking_keeps_its_space_when_put_in_state(maple, owner, sailing):
    booking = put_in_state(request_booking(maple, sailing, owner, units=2), "CONFIRMED")
    assert _booked(sailing)[0] == booking.teu_held == 4
