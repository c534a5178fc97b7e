"""The party-aware tenant guard (network/tenancy.py): a row shared by two organisations is seen
by both and by the network's operators, never by an outsider, whichever way it is read."""

from __future__ import annotations

import ast
import pathlib

import pytest
from django.http import Http404
from django_scopes import ScopeError, scope

from network.errors import PermissionDenied
from network.models import Organization, Role
from network.permissions import require_member, require_operator
from network.tenancy import RecordNotFound, found, row_scope
from orders.models import MerchantOrder, PurchaseOrder, PurchaseOrderLine
from tests.factories import OrganizationFactory, member, operator
from tests.orders import factories

pytestmark = pytest.mark.django_db

ROOT = pathlib.Path(__file__).resolve().parents[2]
# The most uses of the unguarded scope the code outside tests/ may keep: operator-wide and
# periodic code only.
SCOPES_DISABLED_BUDGET = 25


@pytest.fixture
def trade():
    """A buyer's purchase order from one merchant, fanned out; plus an outsider buyer and
    merchant and an operator organisation."""
    buyer, buyer_user = factories.buyer()
    merchant, merchant_user = factories.merchant()
    sku = factories.sku(merchant, merchant_user)
    purchase_order = factories.place(buyer, buyer_user, [(sku, 12)])
    factories.fan_out(purchase_order)
    outsider_buyer, _ = factories.buyer("Another Store")
    outsider_merchant, _ = factories.merchant("Another Merchant Co.")
    operators = operator().memberships.get().organization
    return {
        "buyer": buyer,
        "merchant": merchant,
        "purchase_order": purchase_order,
        "merchant_order": factories.merchant_order_of(purchase_order, merchant),
        "outsiders": (outsider_buyer, outsider_merchant),
        "operators": operators,
    }


def test_a_merchant_order_is_seen_by_its_buyer_its_merchant_and_operators(trade):
    reference = trade["merchant_order"].number
    for organization in (trade["buyer"], trade["merchant"], trade["operators"]):
        with scope(organization=organization):
            assert [o.number for o in MerchantOrder.objects.all()] == [reference]
        assert [o.number for o in MerchantOrder.objects.visible_to(organization)] == [reference]


def test_an_outsider_sees_none_of_it_in_any_way(trade):
    for outsider in trade["outsiders"]:
        with scope(organization=outsider):
            assert not MerchantOrder.objects.exists()
            assert not PurchaseOrderLine.objects.exists()
            assert not PurchaseOrder.objects.exists()
        assert not MerchantOrder.objects.visible_to(outsider).exists()
        with pytest.raises(RecordNotFound):
            found(MerchantOrder.objects.visible_to(outsider), number=trade["merchant_order"].number)


def test_the_merchant_reads_the_lines_of_its_order_through_the_relation(trade):
    """The lines belong to the buyer's purchase order; the merchant is their other party."""
    with scope(organization=trade["merchant"]):
        merchant_order = MerchantOrder.objects.get()
        assert merchant_order.lines.count() == 1
    with scope(organization=trade["outsiders"][1]):
        assert trade["merchant_order"].lines.count() == 0


def test_the_purchase_order_itself_is_the_buyers_not_the_merchants(trade):
    with scope(organization=trade["merchant"]):
        assert not PurchaseOrder.objects.exists()
    with scope(organization=trade["buyer"]):
        assert PurchaseOrder.objects.get() == trade["purchase_order"]


def test_anonymous_sees_nothing_and_no_scope_raises(trade):
    with scope(organization=None):
        assert not MerchantOrder.objects.exists()
    with pytest.raises(ScopeError):
        list(MerchantOrder.objects.all())
    with pytest.raises(ScopeError):
        MerchantOrder.objects.filter(status="pending").count()


def test_not_found_is_a_404_with_a_machine_readable_code(trade):
    with pytest.raises(Http404) as refused:
        found(MerchantOrder.objects.visible_to(trade["outsiders"][0]), pk=0)
    assert refused.value.status == 404
    assert refused.value.code == "not_found"


def test_a_task_runs_in_the_scope_of_the_row_it_acts_on(trade):
    merchant_order = trade["merchant_order"]
    with row_scope(MerchantOrder, merchant_order.pk) as organization:
        assert organization == trade["merchant"]
        assert MerchantOrder.objects.get() == merchant_order
    with row_scope(MerchantOrder, 0) as organization:
        assert organization is None
        assert not MerchantOrder.objects.exists()


def test_the_one_role_check_refuses_outsiders_and_low_roles():
    organization = OrganizationFactory(kind=Organization.Kind.BUYER)
    viewer = member(organization, Role.VIEWER)
    owner = member(organization, Role.OWNER)
    assert require_member(organization=organization, user=owner, role=Role.ADMIN).user == owner
    with pytest.raises(PermissionDenied):
        require_member(organization=organization, user=viewer, role=Role.ADMIN)
    with pytest.raises(PermissionDenied):
        require_member(
            organization=organization,
            user=owner,
            role=Role.VIEWER,
            kinds=(Organization.Kind.MERCHANT,),
        )
    outsider = member(OrganizationFactory())
    with pytest.raises(PermissionDenied):
        require_member(organization=organization, user=outsider, role=Role.VIEWER)
    with pytest.raises(PermissionDenied):
        require_operator(owner)
    require_operator(operator())


def test_the_guard_off_switch_is_rare_and_every_use_says_why():
    """`scopes_disabled()` is for operator-wide and periodic code, each use with a comment on
    the line above (or the same line) saying why."""
    uses, unexplained = [], []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {"tests", ".venv", "node_modules", "var"}:
            continue
        source = path.read_text()
        if "scopes_disabled" not in source:
            continue
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "scopes_disabled"
            ):
                where = f"{relative}:{node.lineno}"
                uses.append(where)
                line = lines[node.lineno - 1]
                above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
                if "#" not in line and not above.startswith("#"):
                    unexplained.append(where)
    assert len(uses) <= SCOPES_DISABLED_BUDGET, uses
    assert unexplained == []


def test_operators_see_shared_rows_but_not_an_organisations_own_cart(trade):
    """Operators are parties of orders, not of a buyer's cart."""
    from orders.models import Cart

    Cart.objects.visible_to(trade["buyer"]).get_or_create(organization=trade["buyer"])
    with scope(organization=trade["operators"]):
        assert not Cart.objects.exists()
        assert MerchantOrder.objects.exists()
    with scope(organization=trade["buyer"]):
        assert Cart.objects.get().organization == trade["buyer"]
