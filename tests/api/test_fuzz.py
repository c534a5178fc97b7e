"""Property-based fuzzing of the whole API from its own OpenAPI schema (schemathesis), with every
check schemathesis has: whatever a client sends, the API never answers 5xx; it answers only the
status codes and content types the schema names, with bodies that match it; it refuses what the
schema says is invalid and accepts what the schema says is valid; it refuses a call whose
credentials are taken away; and it answers an undeclared method with 405.

The data is small but real (``World``), and each operation is called by whom it is for
(``Credentials``). Few examples per operation, derandomised: the same cases every run."""

import uuid

import pytest
import schemathesis
from django.conf import settings
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.generation.hypothesis import builder as schemathesis_builder

from merchants.models import ApplicationStatus
from network import services
from network.models import ApiScope, Role
from tests.factories import operator, sign_in
from tests.orders.factories import buyer, fan_out, merchant, place, sku
from tests.shipping.factories import SailingFactory, request_booking
from tests.training.factories import SeminarFactory


class _ExamplesWhenRun(list):
    """An operation's explicit examples (schemathesis's coverage cases), made the first time
    Hypothesis reads them, when the test runs. Schemathesis makes them while it collects the
    tests: some 10 s of CPU in every xdist worker, though only the one that is handed this file
    runs them."""

    def __init__(self, made: list, make) -> None:
        super().__init__(made)
        self._make = make

    def _made(self) -> None:
        if self._make is not None:
            make, self._make = self._make, None
            self.extend(make())

    def __iter__(self):
        self._made()
        return super().__iter__()

    def __reversed__(self):
        self._made()
        return super().__reversed__()

    def __len__(self) -> int:
        self._made()
        return super().__len__()

    def __bool__(self) -> bool:
        return len(self) > 0

    def __getitem__(self, index):
        self._made()
        return super().__getitem__(index)


_add_coverage_now = schemathesis_builder.add_coverage


def _add_coverage_when_run(test, *args, **kwargs):
    def make() -> list:
        def holder():
            """Receives the examples and marks the coverage phase makes."""

        holder.hypothesis_explicit_examples = []
        _add_coverage_now(holder, *args, **kwargs)
        unserializable = schemathesis_builder.UnserializablePayloadMark.get(holder)
        if unserializable:
            schemathesis_builder.UnserializablePayloadMark.set(test, unserializable)
        return holder.hypothesis_explicit_examples

    made = list(getattr(test, "hypothesis_explicit_examples", []))
    test.hypothesis_explicit_examples = _ExamplesWhenRun(made, make)
    return test


schemathesis_builder.add_coverage = _add_coverage_when_run

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
# The API refuses a NUL character anywhere with 400 ``invalid_characters`` (test_bad_input.py);
# JSON Schema has no way to say so short of a pattern on every string, so none are generated.
schema.config.generation.update(allow_x00=False)

load_all_checks()
EVERY_CHECK = CHECKS.get_all()

# A check left out for one operation, and why. Each is a rule the server keeps that JSON Schema
# cannot state, so a request the schema calls valid may still be refused with a 4xx.
PRODUCT_RULES = (
    "`category` names an existing category by its slug, the first price tier starts at the "
    "MOQ and prices fall as quantities rise, the MOQ is a multiple of the case pack, and a "
    "case's size is its length, width and height or none of them: rules "
    "against the data and between fields, answered 400 (`validation_error`, "
    "`invalid_price_tiers`)."
)
STOCK_ROWS = {
    "positive_data_acceptance": "Each row names one of the merchant's SKU codes; a code the "
    "merchant does not have is refused row by row (422 `rows_rejected`), which no schema can "
    "know.",
    "negative_data_rejection": "Rows are checked one by one, so that one bad row of 10,000 "
    "never refuses the others: with `reject_failed_rows` a malformed row is answered 200 and "
    "listed in `failed` as `invalid_row`, as documented.",
}
PUBLIC_HOST = {
    "positive_data_acceptance": "An endpoint's host must resolve to addresses on the public "
    "internet (400 `url_not_public`): a property of DNS at the time, not of the text.",
}
EXCLUDED: dict[str, dict[str, str]] = {
    "POST /api/v1/webhook-endpoints/": PUBLIC_HOST,
    "PATCH /api/v1/webhook-endpoints/{id}/": PUBLIC_HOST,
    "POST /api/v1/merchant/products/": {"positive_data_acceptance": PRODUCT_RULES},
    "PUT /api/v1/products/{sku}": {"positive_data_acceptance": PRODUCT_RULES},
    "POST /api/v1/inventory/set": STOCK_ROWS,
    "POST /api/v1/inventory/adjust": STOCK_ROWS,
    "POST /api/v1/merchant/price-lists/": {
        "positive_data_acceptance": "`buyer` names an existing buyer organisation (404 "
        "`buyer_not_found` otherwise), `valid_until` is not before `valid_from`, and products "
        "are the merchant's own with its SKU codes (400 `price_list_rejected`): rules against "
        "the data and between fields."
    },
    "POST /api/v1/orders/purchase-orders/": {
        "positive_data_acceptance": "each line's quantity meets its SKU's minimum order and "
        "case pack, and each SKU is orderable (400 `quantity_not_allowed`, 404 otherwise): "
        "rules against the data. A case naming SKU 1 met the fuzz merchant's own SKU whenever "
        "this file ran first in a fresh database, and quantity 1 is below its minimum."
    },
    "POST /api/v1/deals/threads/": {
        "positive_data_acceptance": "a conversation is about something or someone: one of "
        "`product`, `purchase_order`, `merchant_order`, `quotation_request`, `claim` or "
        "`merchant` must name a record the caller may reach (404 `not_found`, 400 "
        "`message_invalid` otherwise), a rule between fields and against the data."
    },
}


@pytest.fixture
def keep_the_test_connection():
    """The WSGI handler closes the database connection after each request, which would end
    the test's transaction; Django's own test client unhooks the same signal."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


# Who calls each operation. Operations closed to API keys (the operators' review, and what a
# person does for themselves) are called by a signed-in person with the CSRF token a browser
# sends; purchase orders by a buyer's key; everything else by a merchant's key.
SESSION_ONLY = {
    "/api/v1/applications/": "operator",
    "/api/v1/applications/{id}/": "operator",
    "/api/v1/applications/{id}/decision/": "operator",
    "/api/v1/applications/{id}/checklist/": "operator",
    "/api/v1/merchant/application/": "merchant",
    "/api/v1/seminars/{slug}/registrations/": "merchant",
    "/api/v1/seminar-registrations/{id}/cancel/": "merchant",
}
CSRF_SECRET = "fuzz" * 8


def _key_holder(path: str) -> str:
    return "buyer" if path.startswith("/api/v1/orders/purchase-orders/") else "merchant"


@schema.auth(refresh_interval=None)
class Credentials:
    """Marks each case with who calls it, as the case's own `Authorization` header or session
    cookie, so the `ignored_auth` check can take them away and see the API refuse. Schemathesis
    builds some cases while it collects the tests, before any data exists, so the marks are
    placeholders that ``World.sign_in`` replaces with a real key or session."""

    def get(self, case, context):
        path = context.operation.path
        if path in SESSION_ONLY:
            return ("session", SESSION_ONLY[path])
        return ("key", _key_holder(path))

    def set(self, case, caller, context):
        how, who = caller
        if how == "session":
            case.cookies = {
                **(case.cookies or {}),
                settings.SESSION_COOKIE_NAME: f"placeholder-{who}",
                settings.CSRF_COOKIE_NAME: CSRF_SECRET,
            }
            case.headers = {**(case.headers or {}), "X-CSRFToken": CSRF_SECRET}
        else:
            case.headers = {**(case.headers or {}), "Authorization": f"placeholder-{who}"}


class World:
    """The data an operation reads, made the first time one of its cases runs: an approved
    merchant with a listed SKU always; a buyer with a fanned-out purchase order for orders, a
    booked sailing for shipping, a published seminar for seminars, an application waiting for
    review and an operator for the review queue."""

    def __init__(self):
        self.merchant, self.merchant_owner = merchant("Fuzz Maple Co.", slug="fuzz-maple")
        self.orderable = sku(self.merchant, self.merchant_owner, code="FUZZ-SYRUP")
        self.keys = {"merchant": _key(self.merchant, self.merchant_owner)}
        self.people = {"merchant": self.merchant_owner}
        self.sessions: dict[str, str] = {}
        self.made: set[str] = set()

    def sign_in(self, case) -> None:
        """Make the operation's data, and put the real key or session in place of the
        placeholders (a case whose credentials schemathesis changed keeps them)."""
        area = case.path.split("/")[3]  # products, orders, shipping, seminars, ...
        if area not in self.made:
            self.made.add(area)
            self._make(area)
        for who, key in self.keys.items():
            if case.headers and case.headers.get("Authorization") == f"placeholder-{who}":
                case.headers["Authorization"] = f"Bearer {key}"
        cookie = settings.SESSION_COOKIE_NAME
        for who, person in self.people.items():
            if case.cookies and case.cookies.get(cookie) == f"placeholder-{who}":
                if who not in self.sessions:
                    client = Client()
                    sign_in(client, person)
                    self.sessions[who] = client.cookies[cookie].value
                case.cookies[cookie] = self.sessions[who]

    def _make(self, area: str) -> None:
        if area == "orders":
            buyer_org, buyer_owner = buyer("Fuzz Global Store", role=Role.OWNER)
            fan_out(place(buyer_org, buyer_owner, [(self.orderable, 48)]))
            self.keys["buyer"] = _key(buyer_org, buyer_owner)
        elif area == "shipping":
            request_booking(self.merchant, SailingFactory(), self.merchant_owner)
        elif area in ("seminars", "seminar-registrations"):
            SeminarFactory()
        elif area == "applications":
            merchant("Fuzz Applicant", status=ApplicationStatus.SUBMITTED)
            self.people["operator"] = operator()


def _key(organization, user) -> str:
    _api_key, raw = services.api_key_create(
        organization=organization, name="fuzz", scopes=list(ApiScope.values), acting_user=user
    )
    return raw


@pytest.fixture
def world(keep_the_test_connection, carrier_server):
    return World()


@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_by_its_schema(case, world):
    world.sign_in(case)
    if case.headers and "Idempotency-Key" in case.headers:
        # A client takes a new key for each request it means (a reused key with another body
        # is a documented 422, tested in test_idempotency.py).
        case.headers["Idempotency-Key"] = str(uuid.uuid4())
    excluded = EXCLUDED.get(f"{case.method} {case.path}", {})
    case.call_and_validate(
        checks=EVERY_CHECK,
        excluded_checks=[check for check in EVERY_CHECK if check.__name__ in excluded],
    )
