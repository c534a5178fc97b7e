"""What orders must ask of payments, without importing it (``payments`` comes after ``orders`` in
the app order): ``payments`` registers its answers in ``AppConfig.ready()``. Without them (no
payments app) every check passes and every event is ignored.

- ``check_placement(buyer, payment_terms, total_usd)``: raise a ``DomainError`` to refuse a
  purchase order (a buyer over its net-terms credit limit), inside the placing transaction.
- ``check_shipment(merchant_order)``: raise a ``DomainError`` to refuse marking a merchant order
  shipped (its pre-shipment amount unpaid), inside the shipping transaction, the order locked.
- ``merchant_order_event(merchant_order, event, acting_user)``: told, inside the transaction
  that made it, that a merchant order was ``created`` (fan-out), ``accepted`` (its subtotal may
  have shrunk), ``shipped``, ``received`` (the buyer confirmed receipt, or an operator closed
  it) or ``ended`` (rejected, cancelled or expired).
- ``problem_reported(problem, acting_user)``: a buyer reported a receipt problem (it becomes a
  claim)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest

    from network.models import Organization, User
    from orders.models import MerchantOrder, PurchaseOrder, ReceiptProblem

MERCHANT_ORDER_EVENTS = ("created", "accepted", "shipped", "received", "ended")

_hooks: dict[str, Callable[..., Any]] = {}


def register_payment_hooks(
    *,
    check_placement: Callable[..., None],
    check_shipment: Callable[..., None],
    merchant_order_event: Callable[..., None],
    problem_reported: Callable[..., None],
    order_payment_panel: Callable[..., str],
) -> None:
    _hooks.update(
        check_placement=check_placement,
        check_shipment=check_shipment,
        merchant_order_event=merchant_order_event,
        problem_reported=problem_reported,
        order_payment_panel=order_payment_panel,
    )


def check_placement(*, buyer: Organization, payment_terms: str, total_usd: Decimal) -> None:
    if "check_placement" in _hooks:
        _hooks["check_placement"](buyer=buyer, payment_terms=payment_terms, total_usd=total_usd)


def check_shipment(*, merchant_order: MerchantOrder) -> None:
    if "check_shipment" in _hooks:
        _hooks["check_shipment"](merchant_order=merchant_order)


def merchant_order_event(
    *, merchant_order: MerchantOrder, event: str, acting_user: User | None = None
) -> None:
    assert event in MERCHANT_ORDER_EVENTS, event
    if "merchant_order_event" in _hooks:
        _hooks["merchant_order_event"](
            merchant_order=merchant_order, event=event, acting_user=acting_user
        )


def problem_reported(*, problem: ReceiptProblem, acting_user: User) -> None:
    if "problem_reported" in _hooks:
        _hooks["problem_reported"](problem=problem, acting_user=acting_user)


def order_payment_panel(
    *,
    request: HttpRequest,
    purchase_order: PurchaseOrder | None = None,
    merchant_order: MerchantOrder | None = None,
) -> str:
    if "order_payment_panel" not in _hooks:
        return ""
    return _hooks["order_payment_panel"](
        request=request, purchase_order=purchase_order, merchant_order=merchant_order
    )
