"""Pages of wholesale ordering: the buyer's cart, checkout and purchase orders (with a
printable copy), the merchant's incoming orders and order terms, and the operators' view."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from merchants.selectors import merchant_can_trade
from network.errors import DomainError
from network.models import Organization, Role
from network.permissions import organization_required
from network.shipments import order_shipments
from network.storage import private_file_response
from orders import payment_hooks, selectors, services
from orders.errors import ReceiptProblemInvalid, UnknownBooking
from orders.forms import (
    AddToCartForm,
    CartLineForm,
    CheckoutForm,
    MerchantOrderSettingsForm,
    ReasonForm,
    ReceiptProblemForm,
    ShipForm,
)
from orders.models import MerchantOrderStatus, PurchaseOrderStatus, ReceiptProblem

BUYER = [Organization.Kind.BUYER]
MERCHANT = [Organization.Kind.MERCHANT]
OPERATOR = [Organization.Kind.OPERATOR]
PAGE_SIZE = 25


def _next_url(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _page(request, queryset):
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    return page


# --- Cart --------------------------------------------------------------------------------------


def _quantity_refused(form, *, sku_id: int | None) -> str:
    """The message for a quantity the form refused. Above the field's bound the buyer learns
    how many units are in stock, as for any quantity above the stock, not merely that the
    number is wrong."""
    if form.has_error("quantity", "max_value"):
        field = form.fields["quantity"]
        return selectors.quantity_above_bound(
            sku_id=sku_id,
            requested=field.to_python(form.data.get("quantity")),
            most=field.max_value,
        )
    return _("Enter a quantity in units.")


@organization_required(role=Role.BUYER, kinds=BUYER)
def cart(request):
    view = selectors.cart_view(organization=request.organization)
    return render(request, "orders/cart.html", {"cart": view})


@require_POST
@organization_required(role=Role.BUYER, kinds=BUYER)
def cart_add(request):
    form = AddToCartForm(request.POST)
    fallback = reverse("orders:cart")
    if not form.is_valid():
        messages.error(request, _quantity_refused(form, sku_id=form.cleaned_data.get("sku")))
        return redirect(_next_url(request, fallback))
    try:
        line = services.cart_add(
            organization=request.organization,
            sku_id=form.cleaned_data["sku"],
            quantity=form.cleaned_data["quantity"],
            acting_user=request.user,
            sample=form.cleaned_data["sample"],
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if line.is_sample:
            text = _("%(code)s: %(quantity)s sample units in your cart.")
        else:
            text = _("%(code)s: %(quantity)s units in your cart.")
        messages.success(request, text % {"code": line.sku.code, "quantity": line.quantity})
    return redirect(_next_url(request, fallback))


@require_POST
@organization_required(role=Role.BUYER, kinds=BUYER)
def cart_line_update(request, line_id: int):
    line = selectors.access_cart_line(organization=request.organization, line_id=line_id)
    form = CartLineForm(request.POST)
    if not form.is_valid():
        messages.error(request, _quantity_refused(form, sku_id=line.sku_id))
        return redirect("orders:cart")
    try:
        updated = services.cart_line_update(
            line=line, quantity=form.cleaned_data["quantity"], acting_user=request.user
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if updated is None:
            messages.success(request, _("Removed from your cart."))
        else:
            messages.success(request, _("Quantity updated."))
    return redirect("orders:cart")


@require_POST
@organization_required(role=Role.BUYER, kinds=BUYER)
def cart_line_remove(request, line_id: int):
    line = selectors.access_cart_line(organization=request.organization, line_id=line_id)
    services.cart_line_remove(line=line, acting_user=request.user)
    messages.success(request, _("Removed from your cart."))
    return redirect("orders:cart")


@require_POST
@organization_required(role=Role.BUYER, kinds=BUYER)
def cart_line_list_price(request, line_id: int):
    """Go on with a line whose quotation expired at the buyer's list price."""
    line = selectors.access_cart_line(organization=request.organization, line_id=line_id)
    services.cart_line_drop_quotation(line=line, acting_user=request.user)
    messages.success(request, _("%(code)s is now at your list price.") % {"code": line.sku.code})
    return redirect("orders:cart")


@organization_required(role=Role.BUYER, kinds=BUYER)
def checkout(request):
    form = CheckoutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            purchase_order = services.purchase_order_place_from_cart(
                organization=request.organization,
                checkout=services.Checkout(
                    delivery_type=data["delivery_type"],
                    delivery_location=data["delivery_location"],
                    incoterm=data["incoterm"],
                    payment_terms=data["payment_terms"],
                    buyer_reference=data["buyer_reference"],
                    notes=data["notes"],
                    travel_together=bool(data.get("travel_together")),
                ),
                idempotency_key=f"form:{data['checkout_token']}",
                acting_user=request.user,
            )
        except DomainError as error:
            form.add_error(None, error.message)
            for line in error.details.get("lines", []):
                if line.get("message") and line["message"] not in error.message:
                    form.add_error(None, line["message"])
        else:
            if not getattr(purchase_order, "replayed", False):
                messages.success(
                    request,
                    _("Purchase order %(number)s placed. Each merchant receives its part now.")
                    % {"number": purchase_order.number},
                )
            return redirect("orders:purchase_order_detail", purchase_order.number)
    view = selectors.cart_view(organization=request.organization)
    if not view.groups and request.method == "GET":
        messages.info(request, _("Your cart is empty."))
        return redirect("orders:cart")
    return render(request, "orders/checkout.html", {"cart": view, "form": form})


# --- Buyer's purchase orders -------------------------------------------------------------------


@organization_required(kinds=BUYER)
def purchase_order_list(request):
    status = request.GET.get("status", "")
    if status not in PurchaseOrderStatus.values:
        status = ""
    page = _page(
        request,
        selectors.purchase_orders_for_buyer(organization=request.organization, status=status),
    )
    return render(
        request,
        "orders/purchase_order_list.html",
        {"page": page, "status": status, "statuses": PurchaseOrderStatus.choices},
    )


@organization_required(kinds=BUYER)
def purchase_order_detail(request, number: str):
    purchase_order = selectors.access_purchase_order(
        organization=request.organization, reference=number
    )
    parts = selectors.purchase_order_parts(purchase_order)
    selectors.with_receipt(parts, organization=request.organization)
    may_act = request.membership.has_role(Role.BUYER)
    return render(
        request,
        "orders/purchase_order_detail.html",
        {
            "payment_panel": payment_hooks.order_payment_panel(
                request=request, purchase_order=purchase_order
            ),
            "purchase_order": purchase_order,
            "parts": parts,
            "may_act": may_act,
            "may_cancel": may_act
            and purchase_order.status == PurchaseOrderStatus.PLACED
            and all(
                p.merchant_order is None
                or p.merchant_order.status
                in (
                    MerchantOrderStatus.PENDING,
                    MerchantOrderStatus.REJECTED,
                    MerchantOrderStatus.CANCELLED,
                )
                for p in parts
            ),
            "reason_form": ReasonForm(),
        },
    )


@organization_required(kinds=BUYER)
def purchase_order_print(request, number: str):
    purchase_order = selectors.access_purchase_order(
        organization=request.organization, reference=number
    )
    return render(
        request,
        "orders/purchase_order_print.html",
        {"purchase_order": purchase_order, "parts": selectors.purchase_order_parts(purchase_order)},
    )


@require_POST
@organization_required(role=Role.BUYER, kinds=BUYER)
def purchase_order_cancel(request, number: str):
    purchase_order = selectors.access_purchase_order(
        organization=request.organization, reference=number
    )
    try:
        services.purchase_order_cancel(
            purchase_order=purchase_order,
            reason=request.POST.get("reason", ""),
            acting_user=request.user,
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Purchase order cancelled; the stock is released."))
    return redirect("orders:purchase_order_detail", number)


@require_POST
@organization_required(role=Role.BUYER, kinds=BUYER)
def buyer_merchant_order_action(request, number: str, action: str):
    merchant_order = selectors.access_merchant_order(
        organization=request.organization, reference=number
    )
    try:
        if action == "cancel":
            services.merchant_order_cancel(
                merchant_order=merchant_order,
                reason=request.POST.get("reason", "") or _("Withdrawn by the buyer."),
                acting_user=request.user,
            )
            messages.success(request, _("Merchant order cancelled; the stock is released."))
        elif action == "confirm":
            services.merchant_order_confirm_receipt(
                merchant_order=merchant_order, acting_user=request.user
            )
            messages.success(request, _("Receipt confirmed; the merchant order is closed."))
        else:
            raise Http404
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("orders:purchase_order_detail", merchant_order.purchase_order.number)


# --- Merchant's incoming orders ----------------------------------------------------------------


@organization_required(kinds=MERCHANT)
def merchant_order_list(request):
    status = request.GET.get("status", "")
    if status not in MerchantOrderStatus.values:
        status = ""
    page = _page(
        request,
        selectors.merchant_orders_for_merchant(organization=request.organization, status=status),
    )
    return render(
        request,
        "orders/merchant_order_list.html",
        {
            "page": page,
            "status": status,
            "statuses": MerchantOrderStatus.choices,
            "counts": selectors.merchant_order_counts(organization=request.organization),
        },
    )


@organization_required(kinds=MERCHANT)
def merchant_order_detail(request, number: str, *, ship_form=None, reason_form=None):
    merchant_order = selectors.access_merchant_order(
        organization=request.organization, reference=number
    )
    selectors.with_tracking_urls([merchant_order])
    organization = request.organization
    return render(
        request,
        "orders/merchant_order_detail.html",
        {
            "payment_panel": payment_hooks.order_payment_panel(
                request=request, merchant_order=merchant_order
            ),
            "shipments": order_shipments(
                organization=organization, merchant_order_ids=[merchant_order.pk]
            ).get(merchant_order.pk, []),
            "problems": selectors.receipt_problems_of(
                organization=organization, merchant_order_ids=[merchant_order.pk]
            ).get(merchant_order.pk, []),
            "merchant_order": merchant_order,
            "purchase_order": merchant_order.purchase_order,
            "lines": selectors.merchant_order_lines(merchant_order),
            "steps": selectors.timeline(merchant_order),
            "may_act": request.membership.has_role(Role.STAFF),
            "may_trade": merchant_can_trade(organization=request.organization),
            "ship_form": ship_form or ShipForm(),
            "reason_form": reason_form or ReasonForm(),
        },
    )


@require_POST
@organization_required(role=Role.STAFF, kinds=MERCHANT)
def merchant_order_action(request, number: str, action: str):
    merchant_order = selectors.access_merchant_order(
        organization=request.organization, reference=number
    )
    user = request.user
    try:
        if action == "accept":
            everything = request.POST.get("scope", "all") == "all"
            line_ids = None if everything else request.POST.getlist("line")
            services.merchant_order_accept(
                merchant_order=merchant_order, line_ids=line_ids, acting_user=user
            )
            message = _("Order accepted. Pack it next.")
        elif action in ("reject", "cancel"):
            form = ReasonForm(request.POST)
            if not form.is_valid():
                return merchant_order_detail(request, number, reason_form=form)
            service = (
                services.merchant_order_reject
                if action == "reject"
                else services.merchant_order_cancel
            )
            service(
                merchant_order=merchant_order, reason=form.cleaned_data["reason"], acting_user=user
            )
            message = (
                _("Order rejected; the buyer is told and the stock released.")
                if action == "reject"
                else _("Order cancelled; the buyer is told and the stock released.")
            )
        elif action == "pack":
            services.merchant_order_pack(merchant_order=merchant_order, acting_user=user)
            message = _("Marked as packed.")
        elif action == "ship":
            form = ShipForm(request.POST)
            if not form.is_valid():
                return merchant_order_detail(request, number, ship_form=form)
            try:
                services.merchant_order_ship(
                    merchant_order=merchant_order, acting_user=user, **form.cleaned_data
                )
            except UnknownBooking as error:
                form.add_error(error.field, error.message)
                return merchant_order_detail(request, number, ship_form=form)
            message = _("Shipped. The buyer can follow it with your references.")
        elif action == "deliver":
            services.merchant_order_mark_delivered(merchant_order=merchant_order, acting_user=user)
            message = _("Marked as delivered to consolidation.")
        else:
            raise Http404
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, message)
    return redirect("orders:merchant_order_detail", number)


@organization_required(kinds=MERCHANT)
def order_settings(request):
    current = selectors.merchant_order_settings(organization=request.organization)
    may_edit = request.membership.has_role(Role.ADMIN)
    form = MerchantOrderSettingsForm(request.POST or None, instance=current)
    if request.method == "POST":
        if not may_edit:
            messages.error(request, _("Only an owner or admin can change the order terms."))
            return redirect("orders:settings")
        if form.is_valid():
            try:
                services.merchant_order_settings_update(
                    organization=request.organization,
                    minimum_order_value_usd=form.cleaned_data["minimum_order_value_usd"],
                    acting_user=request.user,
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Order terms saved."))
                return redirect("orders:settings")
    return render(request, "orders/settings.html", {"form": form, "may_edit": may_edit})


# --- Operators ---------------------------------------------------------------------------------


@organization_required(kinds=OPERATOR)
def operator_orders(request):
    status = request.GET.get("status", "")
    if status not in PurchaseOrderStatus.values:
        status = ""
    query = request.GET.get("q", "").strip()[:100]
    page = _page(
        request,
        selectors.all_purchase_orders(
            organization=request.organization, status=status, query=query
        ),
    )
    counts = selectors.network_order_counts(organization=request.organization)
    return render(
        request,
        "orders/operator_orders.html",
        {
            "page": page,
            "status": status,
            "query": query,
            "statuses": PurchaseOrderStatus.choices,
            "stats": [
                (value, label, counts.get(value, 0)) for value, label in PurchaseOrderStatus.choices
            ],
        },
    )


@organization_required(kinds=OPERATOR)
def operator_order_detail(request, number: str):
    purchase_order = selectors.access_purchase_order(
        organization=request.organization, reference=number
    )
    parts = selectors.purchase_order_parts(purchase_order)
    selectors.with_receipt(parts, organization=request.organization)
    return render(
        request,
        "orders/operator_order_detail.html",
        {
            "payment_panel": payment_hooks.order_payment_panel(
                request=request, purchase_order=purchase_order
            ),
            "purchase_order": purchase_order,
            "parts": parts,
            "may_act": request.membership.has_role(Role.STAFF),
            "reason_form": ReasonForm(),
        },
    )


@require_POST
@organization_required(role=Role.STAFF, kinds=OPERATOR)
def operator_merchant_order_action(request, number: str, action: str):
    merchant_order = selectors.access_merchant_order(
        organization=request.organization, reference=number
    )
    try:
        if action == "deliver":
            services.merchant_order_mark_delivered(
                merchant_order=merchant_order, acting_user=request.user
            )
        elif action == "close":
            services.merchant_order_close(merchant_order=merchant_order, acting_user=request.user)
        elif action == "cancel":
            services.merchant_order_cancel(
                merchant_order=merchant_order,
                reason=request.POST.get("reason", ""),
                acting_user=request.user,
            )
        else:
            raise Http404
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Merchant order updated."))
    return redirect("orders:operator_order_detail", merchant_order.purchase_order.number)


# --- Receipt -----------------------------------------------------------------------------------


@organization_required(role=Role.BUYER, kinds=BUYER)
def receipt_problem_report(request, number: str):
    """The buyer reports a problem with goods that arrived, with photos."""
    merchant_order = selectors.access_merchant_order(
        organization=request.organization, reference=number
    )
    form = ReceiptProblemForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.receipt_problem_report(
                merchant_order=merchant_order,
                kind=form.cleaned_data["kind"],
                description=form.cleaned_data["description"],
                photos=request.FILES.getlist("photos"),
                acting_user=request.user,
            )
        except ReceiptProblemInvalid as error:
            form.add_error(error.field, error.message)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Problem reported. The merchant and the network's operators have been told."),
            )
            return redirect("orders:purchase_order_detail", merchant_order.purchase_order.number)
    return render(
        request,
        "orders/receipt_problem_form.html",
        {
            "merchant_order": merchant_order,
            "purchase_order": merchant_order.purchase_order,
            "form": form,
        },
    )


@organization_required()
def receipt_problem_photo(request, number: str, photo_id: int):
    """A photo of a receipt problem: for the buyer, the merchant and the operators only."""
    merchant_order = selectors.access_merchant_order(
        organization=request.organization, reference=number
    )
    photo = selectors.access_receipt_photo(
        organization=request.organization, merchant_order=merchant_order, photo_id=photo_id
    )
    return private_file_response(photo.image, content_type=photo.content_type)


@organization_required(kinds=OPERATOR)
def operator_receipt_problems(request):
    status = request.GET.get("status", "")
    if status not in ReceiptProblem.Status.values:
        status = ""
    page = _page(
        request,
        selectors.receipt_problems_for_operators(organization=request.organization, status=status),
    )
    return render(
        request,
        "orders/operator_receipt_problems.html",
        {"page": page, "status": status, "statuses": ReceiptProblem.Status.choices},
    )
