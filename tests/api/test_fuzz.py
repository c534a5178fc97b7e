"""Property-based fuzzing of the whole API from its own OpenAPI schema (schemathesis), with every
check schemathesis has: whatever a client sends, the API never answers 5xx; it answers only the
status codes and content types the schema names, with bodies that match it; it refuses what the
schema says is invalid and accepts what the schema says is valid; and it answers an undeclared
method with 405.

The data is small but real (``World``), and each call uses the API key of the organisation kind
the operation is for. Few examples per operation, derandomised: the same cases every run."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import CHECKS, load_all_checks

from network import services
from network.models import ApiScope, Organization, Role
from tests.orders.factories import buyer, fan_out, merchant, place, sku
from tests.shipping.factories import SailingFactory, request_booking
from tests.training.factories import SeminarFactory

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
    "MOQ and prices fall as quantities rise, and the MOQ is a multiple of the case pack: rules "
    "against the data and between fields, answered 400 (`validation_error`, "
    "`invalid_price_tiers`)."
)
STOCK_ROWS = (
    "Each row names one of the merchant's SKU codes; a code the merchant does not have is "
    "refused row by row (422 `rows_rejected`), which no schema can know."
)
EXCLUDED: dict[str, dict[str, str]] = {
    "POST /api/v1/merchant/products/": {"positive_data_acceptance": PRODUCT_RULES},
    "PUT /api/v1/products/{sku}": {"positive_data_acceptance": PRODUCT_RULES},
    "POST /api/v1/inventory/set": {"positive_data_acceptance": STOCK_ROWS},
    "POST /api/v1/inventory/adjust": {"positive_data_acceptance": STOCK_ROWS},
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


class World:
    """The data an operation reads, made the first time one of its cases runs: an approved
    merchant with a listed SKU always; a buyer with a fanned-out purchase order for orders, a
    booked sailing for shipping, a published seminar for seminars."""

    def __init__(self):
        self.merchant, self.merchant_owner = merchant("Fuzz Maple Co.", slug="fuzz-maple")
        self.orderable = sku(self.merchant, self.merchant_owner, code="FUZZ-SYRUP")
        self.keys = {Organization.Kind.MERCHANT: _key(self.merchant, self.merchant_owner)}
        self.made: set[str] = set()

    def headers_for(self, case) -> dict:
        """The key of the organisation kind the operation is for (purchase orders are a
        buyer's, everything else a merchant's), once the operation's data exists."""
        area = case.path.split("/")[3]  # products, orders, shipping, seminars, ...
        if area not in self.made:
            self.made.add(area)
            self._make(area)
        kind = (
            Organization.Kind.BUYER
            if case.path.startswith("/api/v1/orders/purchase-orders/")
            else Organization.Kind.MERCHANT
        )
        return {"Authorization": self.keys[kind]}

    def _make(self, area: str) -> None:
        if area == "orders":
            buyer_org, buyer_owner = buyer("Fuzz Global Store", role=Role.OWNER)
            fan_out(place(buyer_org, buyer_owner, [(self.orderable, 48)]))
            self.keys[Organization.Kind.BUYER] = _key(buyer_org, buyer_owner)
        elif area == "shipping":
            request_booking(self.merchant, SailingFactory(), self.merchant_owner)
        elif area in ("seminars", "seminar-registrations"):
            SeminarFactory()


def _key(organization, user) -> str:
    _api_key, raw = services.api_key_create(
        organization=organization, name="fuzz", scopes=list(ApiScope.values), acting_user=user
    )
    return f"Bearer {raw}"


@pytest.fixture
def world(keep_the_test_connection, settings):
    settings.SHIPPING_SIMULATED_DELAY_SECONDS = 0
    settings.SHIPPING_SIMULATED_REJECTION_RATE = 0.0
    settings.SHIPPING_SIMULATED_FAILURE_RATE = 0.0
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
    excluded = EXCLUDED.get(f"{case.method} {case.path}", {})
    case.call_and_validate(
        headers=world.headers_for(case),
        checks=EVERY_CHECK,
        excluded_checks=[check for check in EVERY_CHECK if check.__name__ in excluded],
    )
