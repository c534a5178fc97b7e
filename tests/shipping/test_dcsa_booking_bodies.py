"""The DCSA Booking 2.0.5 bodies are valid for any booking the forms and the API accept: names
cut to a field's length that would end in a space, newlines, tabs and the many other blanks
people paste, Chinese text, full-width digits in HS codes, long and many-lined addresses.

Bookings are drawn as unsaved model instances, so no example touches the database; every body
is checked against the standard's schemas with its patterns read as JavaScript reads them
(``dcsa_spec.ecma_pattern``), which is how Prism and the carriers read them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from network.models import Organization, User
from shipping.carriers.dcsa import cancel_booking_body, create_booking_body, update_booking_body
from shipping.equipment import EQUIPMENT_TYPES
from shipping.models import Booking, Carrier, Port, Sailing
from shipping.validators import imo_check_digit
from tests.shipping.dcsa_spec import needs_spec, schema_errors

pytestmark = needs_spec

EXAMPLES = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Blanks and line breaks as Python, JavaScript or a browser may produce them, and Chinese.
TRICKY = (
    " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2009\u200a\u200b"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
CHINESE = "上海宁波港枫糖浆有限公司货物进出口贸易"
# Django's and DRF's CharField refuse NUL characters; a form post or JSON cannot carry a lone
# surrogate.
CHARACTERS = st.one_of(
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
    st.sampled_from(TRICKY),
    st.sampled_from(CHINESE),
)


def accepted_text(max_length: int, *, required: bool = True) -> st.SearchStrategy[str]:
    """What a form or the API stores for a text field of ``max_length``: stripped by
    ``str.strip`` (as both do) and at most ``max_length`` long; not empty if required. Long
    values repeat a short drawn piece up to and past the limit (drawing hundreds of characters
    one by one would make each example slow)."""
    short = st.text(CHARACTERS, max_size=min(max_length, 40))
    to_the_limit = st.text(CHARACTERS, min_size=1, max_size=12).map(
        lambda piece: (piece * (max_length // len(piece) + 2))[: max_length + 3]
    )
    text = st.one_of(short, to_the_limit).map(lambda value: value.strip()[:max_length].strip())
    return text.filter(bool) if required else text


def address() -> st.SearchStrategy[str]:
    many_lines = st.lists(accepted_text(80), min_size=1, max_size=40).map("\r\n".join)
    return st.one_of(accepted_text(1000), many_lines.map(lambda value: value[:1000].strip()))


digits = st.from_regex(r"\d{6,10}", fullmatch=True)  # any Unicode decimal digit, as \d allows


@st.composite
def imo_numbers(draw) -> str:
    first_six = draw(st.from_regex(r"\d{6}", fullmatch=True))
    return first_six + str(imo_check_digit(first_six))


def ports() -> st.SearchStrategy[Port]:
    return st.builds(
        Port,
        un_locode=st.from_regex(r"[A-Z]{2}[A-Z2-9]{3}", fullmatch=True),
        name=accepted_text(100),
        country=st.just("US"),
        time_zone=st.sampled_from(["UTC", "Asia/Shanghai", "America/Los_Angeles"]),
    )


@st.composite
def bookings(draw) -> Booking:
    """An unsaved booking with its sailing, carrier, ports, organisation and requester."""
    carrier = Carrier(
        scac=draw(st.from_regex(r"[A-Z]{2,4}", fullmatch=True)),
        name="Carrier",
        service_contract_reference=draw(accepted_text(30)),
    )
    sailing = Sailing(
        carrier=carrier,
        service_code=draw(accepted_text(11)),
        vessel_name=draw(accepted_text(50)),
        vessel_imo=draw(imo_numbers()),
        voyage_number=draw(accepted_text(20)),
        port_of_loading=draw(ports()),
        port_of_discharge=draw(ports()),
        etd=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=draw(st.integers(0, 3_000_000))),
    )
    requester = draw(
        st.one_of(
            st.none(),
            st.builds(
                User,
                full_name=st.text(CHARACTERS, max_size=150),
                email=st.emails().filter(lambda email: len(email) <= 254),
            ),
        )
    )
    return Booking(
        organization=Organization(name=draw(accepted_text(200))),
        sailing=sailing,
        requested_by=requester,
        equipment_code=draw(st.sampled_from(sorted(EQUIPMENT_TYPES))),
        units=draw(st.integers(1, 500)),
        gross_weight_kg=draw(st.integers(1, 2**31 - 1)),
        commodity_description=draw(accepted_text(550)),
        hs_codes=draw(st.lists(digits, min_size=1, max_size=10)),
        shipper_name=draw(accepted_text(70)),
        shipper_address=draw(address()),
        consignee_name=draw(accepted_text(70)),
        consignee_address=draw(address()),
        order_references=draw(st.lists(accepted_text(35), max_size=50)),
    )


def one_line(value: str) -> str:
    """``value`` with every run of blanks or control characters one space, trimmed."""
    return re.sub(r"[\s\x00-\x1f\x7f-\x9f\ufeff]+", " ", value).strip()


@EXAMPLES
@given(booking=bookings())
def test_every_accepted_booking_makes_a_valid_create_booking(booking):
    body = create_booking_body(booking)
    assert schema_errors("CreateBooking", body) == []
    # Nothing is lost but what does not fit.
    shipper = body["documentParties"]["shipper"]
    assert shipper["partyName"] == (one_line(booking.shipper_name) or shipper["partyName"])
    commodity = body["requestedEquipments"][0]["commodities"][0]
    assert commodity["commodityType"] == (
        one_line(booking.commodity_description) or "Freight all kinds"
    )
    assert commodity["extendedHSCodes"] == [
        "".join(str(int(digit)) for digit in code) for code in booking.hs_codes
    ]
    references = [one_line(reference) for reference in booking.order_references]
    assert shipper.get("purchaseOrderReferences", []) == [ref for ref in references if ref]


@EXAMPLES
@given(
    booking=bookings(),
    request_reference=accepted_text(100, required=False),
    booking_reference=accepted_text(35, required=False),
    amended=st.booleans(),
)
def test_every_accepted_booking_makes_a_valid_update_booking(
    booking, request_reference, booking_reference, amended
):
    booking.carrier_booking_request_reference = request_reference
    booking.carrier_booking_reference = booking_reference
    if amended:
        booking.amendment_status = "AMENDMENT_RECEIVED"
        booking.amended_units = booking.units % 500 + 1
        booking.amended_gross_weight_kg = booking.gross_weight_kg // 2 + 1
    body = update_booking_body(booking)
    assert schema_errors("UpdateBooking", body) == []
    if amended:
        assert body["requestedEquipments"][0]["units"] == booking.amended_units


@EXAMPLES
@given(
    reason=accepted_text(500, required=False),
    confirmed_as=accepted_text(35, required=False),
    amendment_only=st.booleans(),
)
def test_every_cancellation_makes_a_valid_cancel_booking_request(
    reason, confirmed_as, amendment_only
):
    booking = _booking(carrier_booking_reference=confirmed_as)
    body = cancel_booking_body(booking, reason=reason, amendment_only=amendment_only)
    assert schema_errors("CancelBookingRequest", body) == []
    assert body.get("reason", "") == one_line(reason)


# --- The inputs that broke the bodies before ---------------------------------------------------


def _booking(**fields) -> Booking:
    port = Port(un_locode="USLAX", name="Los Angeles", country="US", time_zone="UTC")
    sailing = Sailing(
        carrier=Carrier(scac="MAEU", name="Maersk", service_contract_reference="SC-1"),
        service_code="TP1",
        vessel_name="Madrid Maersk",
        vessel_imo="9778791",
        voyage_number="123E",
        port_of_loading=port,
        port_of_discharge=Port(un_locode="CNNGB", name="Ningbo", country="CN", time_zone="UTC"),
        etd=datetime(2026, 3, 1, tzinfo=UTC),
    )
    values = {
        "organization": Organization(name="Great Lakes Maple Co."),
        "sailing": sailing,
        "requested_by": User(full_name="Dana Whitfield", email="dana@maple.test"),
        "equipment_code": "45G1",
        "units": 1,
        "gross_weight_kg": 18_000,
        "commodity_description": "Maple syrup",
        "hs_codes": ["170220"],
        "shipper_name": "Great Lakes Maple Co.",
        "shipper_address": "1 Sugar Bush Road",
        "consignee_name": "Ningbo Trading Ltd.",
        "consignee_address": "8 Harbour Road",
        "order_references": [],
        **fields,
    }
    requester_name = values.pop("requester_name", None)
    if requester_name is not None:
        values["requested_by"].full_name = requester_name
    return Booking(**values)


@pytest.mark.parametrize(
    ("fields", "path", "expected"),
    [
        (
            {"requester_name": "Maria Fernanda de los Santos Alvez Junior"},
            ("partyContactDetails", 0, "name"),
            "Maria Fernanda de los Santos Alvez",
        ),
        (
            {"commodity_description": "Maple syrup,\r\ngrade A amber\n"},
            ("requestedEquipments", 0, "commodities", 0, "commodityType"),
            "Maple syrup, grade A amber",
        ),
        (
            {"shipper_name": "Great Lakes\nMaple Co."},
            ("documentParties", "shipper", "partyName"),
            "Great Lakes Maple Co.",
        ),
        (
            {"consignee_name": "宁波\u3000贸易有限公司\ufeff"},
            ("documentParties", "consignee", "partyName"),
            "宁波 贸易有限公司",
        ),
        (
            {"hs_codes": ["１７０２２０"]},
            ("requestedEquipments", 0, "commodities", 0, "extendedHSCodes", 0),
            "170220",
        ),
        (
            {"consignee_name": "\ufeff"},
            ("documentParties", "consignee", "partyName"),
            "To order",
        ),
        (
            {"order_references": ["MO-1\tA", "\u2028", "MO 2"]},
            ("documentParties", "shipper", "purchaseOrderReferences"),
            ["MO-1 A", "MO 2"],
        ),
    ],
    ids=[
        "contact-cut-before-a-space",
        "newlines-in-commodity",
        "newline-in-shipper",
        "ideographic-space-and-bom",
        "full-width-hs-code",
        "nothing-printable",
        "blank-order-reference",
    ],
)
def test_inputs_that_broke_the_standards_patterns_make_valid_bodies(fields, path, expected):
    body = create_booking_body(_booking(**fields))
    assert schema_errors("CreateBooking", body) == []
    value = body
    for key in path:
        value = value[key]
    assert value == expected


def test_a_long_single_line_address_is_wrapped_not_cut():
    street = " ".join(["Harbour Road"] * 70)  # 909 characters on one line
    body = create_booking_body(_booking(consignee_address=street))
    lines = body["documentParties"]["consignee"]["addressLines"]
    assert schema_errors("CreateBooking", body) == []
    assert len(lines) == 4
    assert " ".join(lines) == street


@pytest.mark.django_db  # the carrier client keeps the connection's health on the carrier's row
@example(booking=_booking(shipper_name="Great Lakes Maple\n Co. "))
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(booking=bookings())
def test_prism_accepts_the_bodies_too(booking, prism_booking_client):
    """The same check by Prism itself (JavaScript's reading of the patterns), on fewer
    examples: an HTTP round trip each."""
    prism_booking_client.post("/v2/bookings", json=create_booking_body(booking))


@pytest.fixture
def prism_booking_client(prism_proxy):
    from shipping.carriers.http import CarrierClient, CarrierConnection
    from tests.prism import BOOKING_SPEC

    return CarrierClient(CarrierConnection("MAEU", api_url=prism_proxy(BOOKING_SPEC)))
