"""What merchants and operators see of payouts: the merchant's money page (owed, held, paid,
movements), its statement as CSV and PDF, the same through the API; the operators' payout runs
and their files. Other organisations see none of it."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from pypdf import PdfReader

from network import services as network_services
from network.models import Role
from payments.models import Payout
from payments.pain001 import pain001_parse
from payments.services.payouts import payout_match_debit, payout_run_execute
from tests.factories import member, operator, sign_in
from tests.orders.factories import buyer, fan_out, place, sku
from tests.payments.paying import pay
from tests.payments.payouts_factories import paid_merchant, release, statement_debit

pytestmark = pytest.mark.django_db


@pytest.fixture
def maple():
    """A merchant with an order paid into escrow, released funds partly paid out and
    settled, and more released since."""
    organization, owner, account = paid_merchant()
    buyer_org, buyer_user = buyer()
    syrup = sku(organization, owner)
    purchase_order = place(buyer_org, buyer_user, [(syrup, 24)])
    fan_out(purchase_order)
    pay(purchase_order)
    release(organization, "400.00", memo="Released for an earlier order")
    run = payout_run_execute()
    with scopes_disabled():
        payout = Payout.objects.get(run=run)
    payout_match_debit(statement_debit(payout))
    release(organization, "150.00", memo="Released for a later order")
    return {
        "organization": organization,
        "owner": owner,
        "account": account,
        "purchase_order": purchase_order,
        "run": run,
        "payout": payout,
        "held": purchase_order.total_usd,
    }


def _figure(page: str, name: str) -> str:
    start = page.index(f'data-figure="{name}"')
    return page[start : page.index("</p>", start)]


def test_the_merchant_sees_what_it_is_owed_holds_and_was_paid(client, maple):
    sign_in(client, maple["owner"])
    page = client.get(reverse("payments:merchant_overview")).content.decode()
    assert "US$150.00" in _figure(page, "owed")
    assert f"US${maple['held']:,.2f}" in _figure(page, "held")
    assert "US$400.00" in _figure(page, "paid")
    assert "US$0.00" in _figure(page, "in_transit")
    movements = page[page.index('id="movements"') :]
    assert "US$150.00" in movements and "Released to the merchant" in movements
    assert maple["payout"].end_to_end_id in page
    assert f"••••{maple['account'].account_last4}" in page
    # The payments link lands a merchant here.
    assert client.get(reverse("payments:home"))["Location"] == reverse("payments:merchant_overview")


def test_the_merchant_page_reads_in_chinese(client, maple):
    owner = maple["owner"]
    owner.language = "zh-hans"
    owner.save()
    sign_in(client, owner)
    page = client.get(
        reverse("payments:merchant_overview"), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "托管" in page


def test_the_statement_csv_lists_every_movement_with_the_running_balance(client, maple):
    sign_in(client, maple["owner"])
    today = timezone.localdate()
    response = client.get(
        reverse("payments:merchant_statement_csv"),
        {"start": (today - datetime.timedelta(days=1)).isoformat(), "end": today.isoformat()},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, opening, *movements, closing = rows
    assert header[0] == "Date"
    assert opening[-1] == "0.00"
    kinds = [row[1] for row in movements]
    assert kinds == [
        "Paid into escrow",
        "Released to the merchant",
        "Payout sent",
        "Payout debited by the bank",
        "Released to the merchant",
    ]
    assert [row[-1] for row in movements] == ["0.00", "400.00", "0.00", "0.00", "150.00"]
    assert movements[0][5] == f"{maple['held']:.2f}"  # held in escrow
    assert movements[3][8] == "400.00"  # paid to the bank
    assert closing[-1] == "150.00"


def test_the_statement_pdf_states_the_period_and_the_movements(client, maple):
    sign_in(client, maple["owner"])
    response = client.get(reverse("payments:merchant_statement_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert maple["organization"].name in text
    assert "Payout sent" in text
    assert "150.00" in text


def test_the_api_gives_the_balance_payouts_and_statement(client, maple):
    _key, raw = network_services.api_key_create(
        organization=maple["organization"],
        name="ERP",
        scopes=["orders:read"],
        acting_user=maple["owner"],
    )
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    balance = client.get("/api/v1/payments/balance/", **auth).json()
    assert balance == {
        "currency": "USD",
        "owed": "150.00",
        "held": f"{maple['held']:.2f}",
        "in_transit": "0.00",
        "paid": "400.00",
    }
    payouts = client.get("/api/v1/payments/payouts/", **auth).json()["results"]
    assert [(p["end_to_end_id"], p["amount_usd"], p["status"]) for p in payouts] == [
        (maple["payout"].end_to_end_id, "400.00", "paid")
    ]
    statement = client.get("/api/v1/payments/statement/", **auth).json()
    assert statement["closing"] == "150.00"
    assert [m["kind"] for m in statement["movements"]][-1] == "funds_released"
    csv_response = client.get("/api/v1/payments/statement.csv?from=2020-01-01", **auth)
    assert csv_response.status_code == 200
    assert b"Payout sent" in csv_response.content
    bad = client.get("/api/v1/payments/statement/?from=yesterday", **auth)
    assert bad.status_code == 400


def test_other_organisations_see_none_of_it(client, maple):
    other, other_owner, _account = paid_merchant("Vermont Syrup Co.")
    sign_in(client, other_owner)
    page = client.get(reverse("payments:merchant_overview")).content.decode()
    assert maple["payout"].end_to_end_id not in page
    assert maple["purchase_order"].number not in page
    csv_text = client.get(reverse("payments:merchant_statement_csv")).content.decode()
    assert "Released" not in csv_text
    assert client.get(reverse("payments:payout_runs")).status_code == 403
    assert (
        client.get(reverse("payments:payout_run_file", args=[maple["run"].pk])).status_code == 403
    )
    _key, raw = network_services.api_key_create(
        organization=other, name="ERP", scopes=["orders:read"], acting_user=other_owner
    )
    balance = client.get("/api/v1/payments/balance/", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    assert balance["owed"] == balance["paid"] == balance["held"] == "0.00"
    # A buyer has no merchant money page, nor its API.
    buyer_org, buyer_user = buyer("Shenzhen Store", role=Role.OWNER)
    sign_in(client, buyer_user)
    assert client.get(reverse("payments:merchant_overview")).status_code == 403
    _key, raw = network_services.api_key_create(
        organization=buyer_org, name="ERP", scopes=["orders:read"], acting_user=buyer_user
    )
    assert (
        client.get("/api/v1/payments/balance/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code
        == 403
    )


def test_operators_see_the_runs_and_download_the_file(client, maple):
    staff = operator()
    sign_in(client, staff)
    runs = client.get(reverse("payments:payout_runs")).content.decode()
    assert maple["run"].message_id in runs
    detail = client.get(reverse("payments:payout_run", args=[maple["run"].pk])).content.decode()
    assert maple["payout"].end_to_end_id in detail
    assert maple["organization"].name in detail
    assert "Paid" in detail
    response = client.get(reverse("payments:payout_run_file", args=[maple["run"].pk]))
    assert response.status_code == 200
    document = pain001_parse(b"".join(response.streaming_content))
    assert document.cstmr_cdt_trf_initn.grp_hdr.msg_id == maple["run"].message_id
    # Staff may look; only admins start a run by hand.
    assert client.post(reverse("payments:payout_run_start")).status_code == 403


def test_an_operator_admin_starts_this_weeks_run(client):
    organization, _owner, _account = paid_merchant()
    release(organization, "80.00")
    admin = operator(Role.ADMIN)
    sign_in(client, admin)
    response = client.post(reverse("payments:payout_run_start"))
    assert response.status_code == 302
    with scopes_disabled():
        (payout,) = Payout.objects.all()
    assert payout.amount_usd == Decimal("80.00")
    # A merchant's staff member sees the page, but not the account form.
    staff = member(organization, Role.STAFF)
    sign_in(client, staff)
    page = client.get(reverse("payments:merchant_overview")).content.decode()
    assert reverse("payments:bank_account") not in page


def _queries(client, url: str, **extra) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, **extra).status_code == 200
    # Leaving out the note of an API key's use, written at most once a minute.
    return len([q for q in captured if not q["sql"].startswith('UPDATE "network_apikey"')])


def test_pages_and_endpoints_read_a_fixed_number_of_queries(client, maple):
    """The money page, the statement, the runs and the payouts list read as many queries with
    more movements, payouts and runs."""
    organization, owner = maple["organization"], maple["owner"]
    _key, raw = network_services.api_key_create(
        organization=organization, name="ERP", scopes=["orders:read"], acting_user=owner
    )
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    merchant_urls = [
        (reverse("payments:merchant_overview"), {}),
        (reverse("payments:merchant_statement_csv"), {}),
        ("/api/v1/payments/payouts/", auth),
        ("/api/v1/payments/statement/", auth),
        ("/api/v1/payments/balance/", auth),
    ]
    staff = operator()
    operator_urls = [
        reverse("payments:payout_runs"),
        reverse("payments:payout_run", args=[maple["run"].pk]),
    ]

    def counts() -> list[int]:
        sign_in(client, owner)
        merchant = [_queries(client, url, **extra) for url, extra in merchant_urls]
        sign_in(client, staff)
        return merchant + [_queries(client, url) for url in operator_urls]

    counts()  # the header's unread count is cached on first sight
    before = counts()
    other, _other_owner, _account = paid_merchant("Vermont Syrup Co.")
    for week in (1, 2):
        release(organization, "10.00")
        release(other, "20.00")
        payout_run_execute(week=timezone.localdate() + datetime.timedelta(days=7 * week))
    # Two more runs with another merchant's payout in each (the first run gains nothing).
    assert counts() == before
