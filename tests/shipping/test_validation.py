"""The codes of the trade: UN/LOCODE, SCAC, IMO check digit, ISO 6346 size-types, HS codes;
and the database constraints behind the capacity invariant."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from shipping.equipment import normalize_equipment_code, teu_per_unit
from shipping.models import Carrier, Port, Sailing
from shipping.validators import (
    imo_check_digit,
    tracking_url,
    validate_hs_code,
    validate_imo_number,
    validate_scac,
    validate_tracking_url_template,
    validate_un_locode,
)
from tests.shipping.factories import SailingFactory


@pytest.mark.parametrize("code", ["USLAX", "CNNGB", "HKHKG", "CNYTN", "USTIW", "DEHA2", "GBLON"])
def test_un_locode_accepts_real_codes(code):
    validate_un_locode(code)


@pytest.mark.parametrize("code", ["uslax", "US LAX", "USLA", "USLAXX", "US1AX", "USLA0", "12345"])
def test_un_locode_refuses_malformed_codes(code):
    with pytest.raises(ValidationError):
        validate_un_locode(code)


@pytest.mark.parametrize("scac", ["MAEU", "CMDU", "ONEY", "COSU", "EGLV"])
def test_scac_accepts_carrier_codes(scac):
    validate_scac(scac)


@pytest.mark.parametrize("scac", ["maeu", "M", "MAERSK", "MA3U"])
def test_scac_refuses_other_strings(scac):
    with pytest.raises(ValidationError):
        validate_scac(scac)


@pytest.mark.parametrize("imo", ["9778791", "9706906", "9454436", "9302877", "9619907"])
def test_imo_numbers_with_a_matching_check_digit_pass(imo):
    validate_imo_number(imo)


def test_imo_check_digit_is_the_weighted_sum_mod_10():
    # 9*7 + 7*6 + 7*5 + 8*4 + 7*3 + 9*2 = 211 → 1
    assert imo_check_digit("977879") == 1


@pytest.mark.parametrize("imo", ["9778792", "9706900", "977879", "97787911", "IMO9778791", ""])
def test_imo_numbers_with_a_wrong_check_digit_or_shape_fail(imo):
    with pytest.raises(ValidationError):
        validate_imo_number(imo)


@pytest.mark.parametrize(
    ("given", "iso", "teu"),
    [
        ("22G1", "22G1", 1),
        ("20GP", "22G1", 1),
        ("20dv", "22G1", 1),
        ("42G1", "42G1", 2),
        ("40GP", "42G1", 2),
        ("45G1", "45G1", 2),
        ("40HC", "45G1", 2),
        ("40 HC", "45G1", 2),
        ("20RF", "22R1", 1),
        ("40RF", "45R1", 2),
        ("45R1", "45R1", 2),
    ],
)
def test_iso6346_codes_and_the_trades_aliases(given, iso, teu):
    assert normalize_equipment_code(given) == iso
    assert teu_per_unit(given) == teu


def test_a_well_formed_iso_code_that_is_not_booked_here_is_refused_with_its_own_message():
    with pytest.raises(ValidationError) as error:
        normalize_equipment_code("22T6")  # a 20' tank: valid ISO 6346, not offered
    assert error.value.code == "unsupported_equipment"
    with pytest.raises(ValidationError) as error:
        normalize_equipment_code("XX")
    assert error.value.code == "invalid_equipment"


@pytest.mark.parametrize("code", ["170220", "0901210000", "33049900"])
def test_hs_codes(code):
    validate_hs_code(code)


@pytest.mark.parametrize("code", ["1702", "1702.20", "17022000000", "abcdef"])
def test_bad_hs_codes(code):
    with pytest.raises(ValidationError):
        validate_hs_code(code)


@pytest.mark.django_db
def test_port_country_must_match_its_locode():
    port = Port(un_locode="USLAX", name="Los Angeles", country="CN")
    with pytest.raises(ValidationError) as error:
        port.full_clean()
    assert "country" in error.value.message_dict


@pytest.mark.django_db
def test_sailing_validation_names_each_wrong_field(sailing):
    sailing.eta = sailing.etd
    sailing.cargo_cutoff = sailing.etd + (sailing.etd - sailing.documentation_cutoff)
    sailing.vessel_imo = "9778792"
    sailing.port_of_discharge = sailing.port_of_loading
    with pytest.raises(ValidationError) as error:
        sailing.full_clean()
    assert {"eta", "cargo_cutoff", "vessel_imo", "port_of_discharge"} <= set(
        error.value.message_dict
    )


@pytest.mark.django_db
def test_the_database_refuses_booked_teu_above_capacity_or_below_zero(sailing):
    with pytest.raises(IntegrityError), transaction.atomic():
        Sailing.objects.filter(pk=sailing.pk).update(booked_teu=101)
    with pytest.raises(IntegrityError), transaction.atomic():
        Sailing.objects.filter(pk=sailing.pk).update(booked_teu=-1)
    Sailing.objects.filter(pk=sailing.pk).update(booked_teu=100)
    sailing.refresh_from_db()
    assert sailing.remaining_teu == 0


@pytest.mark.django_db
def test_the_database_refuses_a_malformed_locode_even_past_the_form():
    with pytest.raises(IntegrityError), transaction.atomic():
        Port.objects.create(un_locode="us1ax", name="Nowhere", country="US")


@pytest.mark.django_db
def test_carrier_scac_is_validated():
    carrier = Carrier(scac="maersk", name="Maersk", service_contract_reference="X")
    with pytest.raises(ValidationError) as error:
        carrier.full_clean()
    assert "scac" in error.value.message_dict


@pytest.mark.django_db
def test_an_allocation_cannot_be_cut_below_what_is_booked():
    sailing = SailingFactory(capacity_teu=10)
    Sailing.objects.filter(pk=sailing.pk).update(booked_teu=8)
    sailing.refresh_from_db()
    sailing.capacity_teu = 6
    with pytest.raises(ValidationError) as error:
        sailing.full_clean()
    assert "capacity_teu" in error.value.message_dict


@pytest.mark.parametrize(
    "template",
    [
        "http://www.maersk.com/tracking/{number}",
        "https://www.maersk.com/tracking/",
        "https://www.maersk.com/{number}/{number}",
        "https://www.maersk.com/tracking/{number}?x={other}",
        "https://www.maersk.com/track ing/{number}",
    ],
)
def test_a_tracking_page_is_https_with_one_number_placeholder(template):
    with pytest.raises(ValidationError):
        validate_tracking_url_template(template)


def test_a_tracking_link_quotes_the_number():
    validate_tracking_url_template("https://www.maersk.com/tracking/{number}")
    assert (
        tracking_url("https://www.maersk.com/tracking/{number}", " MSKU 123/4 ")
        == "https://www.maersk.com/tracking/MSKU%20123%2F4"
    )
