"""The people of the load test (``bench/load.py`` starts Locust with this file): Taobao Global
buyers browsing and searching the catalogue on their pages, buyers' systems ordering and tracking
through the API, merchants' systems updating stock and booking container space, and visitors on
the public catalogue. What each may use (sessions, API keys, SKUs, a sailing) comes from the JSON
file named by ``LOAD_TEST_DATA``, written by ``bench/load.py`` after it seeds the demo."""

from __future__ import annotations

import json
import os
import random
import uuid
from urllib.parse import quote

from locust import FastHttpUser, constant, task

DATA = json.loads(open(os.environ["LOAD_TEST_DATA"]).read())  # noqa: SIM115


def _api(key: str, *, idempotent: bool = False) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {key}", "Accept": "application/json"}
    if idempotent:
        headers["Idempotency-Key"] = uuid.uuid4().hex
    return headers


class BrowsingBuyer(FastHttpUser):
    """A buyer signed in on a phone: searches, opens products, looks at their purchase orders."""

    weight = 5
    wait_time = constant(0)

    def on_start(self):
        session = random.choice(DATA["buyer_sessions"])
        self.headers = {"Cookie": f"{DATA['session_cookie']}={session}"}

    def page(self, url: str, name: str) -> None:
        """A page as the signed-in buyer sees it: anything but a 200 (a redirect to sign in, say)
        counts as an error."""
        with self.client.get(
            url, headers=self.headers, allow_redirects=False, name=name, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"answered {response.status_code}")

    @task(3)
    def search(self):
        term = quote(random.choice(DATA["search_terms"]))
        self.page(f"/catalog/?q={term}", "page: catalogue search")

    @task(2)
    def product(self):
        self.page(f"/catalog/products/{random.choice(DATA['product_ids'])}/", "page: product")

    @task(1)
    def purchase_orders(self):
        self.page("/orders/purchase-orders/", "page: purchase orders")


class Visitor(FastHttpUser):
    """Someone not signed in, on the public catalogue."""

    weight = 1
    wait_time = constant(0)

    @task
    def browse(self):
        self.client.get("/catalog/", name="page: public catalogue")


class OrderingBuyer(FastHttpUser):
    """A buyer's system: looks products up, places purchase orders, reads them back."""

    weight = 2
    wait_time = constant(0)

    def on_start(self):
        self.key = random.choice(DATA["buyer_keys"])

    @task(2)
    def search(self):
        term = quote(random.choice(DATA["search_terms"]))
        self.client.get(
            f"/api/v1/products/?search={term}", headers=_api(self.key), name="api: product search"
        )

    @task(2)
    def place(self):
        self.client.post(
            "/api/v1/orders/purchase-orders/",
            data=DATA["order_body"],
            headers={**_api(self.key, idempotent=True), "Content-Type": "application/json"},
            name="api: place purchase order",
        )

    @task(1)
    def orders(self):
        self.client.get(
            "/api/v1/orders/purchase-orders/", headers=_api(self.key), name="api: purchase orders"
        )


class TrackingBuyer(FastHttpUser):
    """The demo buyer's system following its shipments."""

    weight = 1
    wait_time = constant(0)

    @task(1)
    def shipments(self):
        self.client.get(
            "/api/v1/shipping/shipments/",
            headers=_api(DATA["tracking_key"]),
            name="api: shipments",
        )

    @task(2)
    def shipment(self):
        reference = random.choice(DATA["shipment_references"])
        self.client.get(
            f"/api/v1/shipping/shipments/{reference}/",
            headers=_api(DATA["tracking_key"]),
            name="api: shipment",
        )


class Merchant(FastHttpUser):
    """A merchant's system: sets stock levels, books container space, lists its bookings."""

    weight = 2
    wait_time = constant(0)

    @task(3)
    def stock(self):
        rows = [
            {"sku": code, "quantity": DATA["on_hand"] - random.randrange(1000)}
            for code in DATA["stock_skus"]
        ]
        self.client.post(
            "/api/v1/inventory/set",
            data=json.dumps({"rows": rows}),
            headers={
                **_api(DATA["merchant_key"], idempotent=True),
                "Content-Type": "application/json",
            },
            name="api: set stock",
        )

    @task(1)
    def book(self):
        self.client.post(
            "/api/v1/shipping/bookings/",
            data=DATA["booking_body"],
            headers={
                **_api(DATA["merchant_key"], idempotent=True),
                "Content-Type": "application/json",
            },
            name="api: book space",
        )

    @task(1)
    def bookings(self):
        self.client.get(
            "/api/v1/shipping/bookings/", headers=_api(DATA["merchant_key"]), name="api: bookings"
        )
