"""Many lines into the cart at once (a reorder, a quick order, a saved list): each line is put
in or reported on its own, and nothing of a refused line is written."""

from __future__ import annotations

import pytest
from django_scopes import scope, scopes_disabled

from catalog.models import ListingState, Product
from orders import services
from orders.errors import OrderPermissionDenied
from orders.models import CartLine
from tests.factories import member
from tests.orders.factories import buyer, merchant, sku

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    maple, owner = merchant("Great Lakes Maple Co.")
    store, wang = buyer()
    return {
        "store": store,
        "wang": wang,
        "syrup": sku(maple, owner, code="MAPLE-500"),
        "candy": sku(maple, owner, code="CANDY-12", title="Maple Candy", on_hand=30),
        "butter": sku(maple, owner, code="BUTTER-6", title="Maple Butter"),
        "gone": sku(maple, owner, code="GONE-1", title="Maple Sugar"),
    }


def _add_many(world, items, **kwargs):
    with scope(organization=world["store"]):
        return services.cart_add_many(
            organization=world["store"], items=items, acting_user=world["wang"], **kwargs
        )


def _cart(world) -> dict[str, int]:
    with scopes_disabled():
        return dict(CartLine.objects.values_list("sku__code", "quantity"))


def test_each_line_is_added_or_reported_on_its_own(world):
    with scopes_disabled():
        Product.objects.filter(pk=world["gone"].product_id).update(state=ListingState.PAUSED)
    outcomes = _add_many(
        world,
        [
            (world["syrup"].pk, 48),
            (world["butter"].pk, 6),  # below the MOQ of 12
            (world["candy"].pk, 13),  # not whole cases of 6
            (world["gone"].pk, 12),  # no longer on offer
            (world["candy"].pk, 36),  # 30 in stock
            (999_999, 12),  # never existed
        ],
    )
    assert [(o.code, o.outcome, o.quantity) for o in outcomes] == [
        ("MAPLE-500", "added", 48),
        ("BUTTER-6", "below_moq", 0),
        ("CANDY-12", "case_pack", 0),
        ("", "unavailable", 0),
        ("CANDY-12", "insufficient_stock", 0),
        ("", "unavailable", 0),
    ]
    assert "minimum order for BUTTER-6 is 12 units" in outcomes[1].message
    assert "case packs of 6" in outcomes[2].message
    assert "Only 30 units of CANDY-12 are in stock" in outcomes[4].message
    assert outcomes[3].message == "This product is no longer available to order."
    assert _cart(world) == {"MAPLE-500": 48}


def test_adjust_rounds_up_to_the_moq_and_whole_cases(world):
    outcomes = _add_many(world, [(world["butter"].pk, 5), (world["candy"].pk, 13)], adjust=True)
    assert [(o.outcome, o.requested, o.quantity) for o in outcomes] == [
        ("added", 5, 12),
        ("added", 13, 18),
    ]
    assert _cart(world) == {"BUTTER-6": 12, "CANDY-12": 18}


def test_adds_on_top_of_what_the_cart_holds(world):
    _add_many(world, [(world["syrup"].pk, 12)])
    outcomes = _add_many(world, [(world["syrup"].pk, 6), (world["syrup"].pk, 30)])
    assert [o.quantity for o in outcomes] == [6, 30]
    assert _cart(world) == {"MAPLE-500": 48}


def test_a_viewer_cannot_fill_the_cart(world):
    viewer = member(world["store"], "viewer")
    with scope(organization=world["store"]), pytest.raises(OrderPermissionDenied):
        services.cart_add_many(
            organization=world["store"], items=[(world["syrup"].pk, 12)], acting_user=viewer
        )
    assert _cart(world) == {}
