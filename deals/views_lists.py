"""Buying again: the buyer's page of saved lists, quick order and recent purchase orders to
reorder; each puts lines in the cart and says line by line what went in and what did not."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog.models import SKU
from deals import selectors
from deals.forms_lists import QuickOrderForm, SavedListForm, SaveToListForm
from deals.services import lists as services
from network.errors import DomainError
from network.models import Organization, Role
from network.permissions import organization_required
from network.tenancy import found
from orders.selectors import access_purchase_order, purchase_orders_for_buyer

BUYER = [Organization.Kind.BUYER]
RECENT_ORDERS = 10


def _form_error(form, error: DomainError) -> None:
    field = error.details.get("field")
    form.add_error(field if field in form.fields else None, error.message)


@organization_required(kinds=BUYER)
def buy_again(request):
    """Saved lists, quick order and the recent purchase orders to reorder."""
    organization = request.organization
    return render(
        request,
        "deals/lists/buy_again.html",
        {
            "saved_lists": list(selectors.saved_lists_for(organization=organization)),
            "list_form": SavedListForm(),
            "quick_form": QuickOrderForm(),
            "recent_orders": list(
                purchase_orders_for_buyer(organization=organization)[:RECENT_ORDERS]
            ),
        },
    )


@organization_required(kinds=BUYER)
def reorder(request, number: str):
    """The purchase order's lines, and (POST) the same lines put in the cart again."""
    purchase_order = access_purchase_order(organization=request.organization, reference=number)
    result = None
    if request.method == "POST":
        try:
            result = services.purchase_order_reorder(
                purchase_order=purchase_order, acting_user=request.user
            )
        except DomainError as error:
            messages.error(request, error.message)
    return render(
        request,
        "deals/lists/reorder.html",
        {
            "purchase_order": purchase_order,
            "lines": list(purchase_order.lines.all()) if result is None else [],
            "result": result,
            "result_rows": [(row.code, row.title, row.outcome) for row in result or []],
        },
    )


@organization_required(kinds=BUYER)
def quick_order(request):
    """Paste ``SKU,quantity`` lines; the understood ones go to the cart."""
    form = QuickOrderForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = services.quick_order_add(
                organization=request.organization,
                text=form.cleaned_data["lines"],
                acting_user=request.user,
            )
        except DomainError as error:
            _form_error(form, error)
    rows = (
        [(sku.code, sku.product.title, outcome) for sku, outcome in result.outcomes]
        if result
        else []
    )
    return render(
        request,
        "deals/lists/quick_order.html",
        {"form": form, "result": result, "result_rows": rows},
    )


@require_POST
@organization_required(role=Role.BUYER, kinds=BUYER)
def saved_list_create(request):
    form = SavedListForm(request.POST)
    if form.is_valid():
        try:
            saved_list = services.saved_list_create(
                organization=request.organization,
                name=form.cleaned_data["name"],
                acting_user=request.user,
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            return redirect("deals:saved_list", saved_list.pk)
    else:
        messages.error(request, _("Give the list a name."))
    return redirect("deals:buy_again")


@organization_required(kinds=BUYER)
def saved_list_detail(request, list_id: int):
    saved_list = selectors.access_saved_list(organization=request.organization, pk=list_id)
    return render(
        request,
        "deals/lists/saved_list.html",
        {
            "saved_list": saved_list,
            "items": list(selectors.saved_list_items(saved_list)),
            "rename_form": SavedListForm(initial={"name": saved_list.name}),
            "result_rows": [],
        },
    )


@require_POST
@organization_required(role=Role.BUYER, kinds=BUYER)
def saved_list_rename(request, list_id: int):
    saved_list = selectors.access_saved_list(organization=request.organization, pk=list_id)
    try:
        services.saved_list_rename(
            saved_list=saved_list, name=request.POST.get("name", ""), acting_user=request.user
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("List renamed."))
    return redirect("deals:saved_list", saved_list.pk)


@require_POST
@organization_required(role=Role.BUYER, kinds=BUYER)
def saved_list_delete(request, list_id: int):
    saved_list = selectors.access_saved_list(organization=request.organization, pk=list_id)
    services.saved_list_delete(saved_list=saved_list, acting_user=request.user)
    messages.success(request, _("List deleted."))
    return redirect("deals:buy_again")


@require_POST
@organization_required(role=Role.BUYER, kinds=BUYER)
def saved_list_remove_item(request, list_id: int, item_id: int):
    saved_list = selectors.access_saved_list(organization=request.organization, pk=list_id)
    item = selectors.access_saved_list_item(saved_list=saved_list, pk=item_id)
    services.saved_list_remove_item(item=item, acting_user=request.user)
    messages.success(request, _("Removed from the list."))
    return redirect("deals:saved_list", saved_list.pk)


@require_POST
@organization_required(role=Role.BUYER, kinds=BUYER)
def saved_list_to_cart(request, list_id: int):
    """The whole list to the cart; the page says what went in and what did not."""
    saved_list = selectors.access_saved_list(organization=request.organization, pk=list_id)
    result = None
    try:
        result = services.saved_list_to_cart(saved_list=saved_list, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    return render(
        request,
        "deals/lists/saved_list.html",
        {
            "saved_list": saved_list,
            "items": list(selectors.saved_list_items(saved_list)),
            "rename_form": SavedListForm(initial={"name": saved_list.name}),
            "result_rows": [
                (item.sku.code, item.sku.product.title, outcome) for item, outcome in result or []
            ],
        },
    )


@require_POST
@organization_required(role=Role.BUYER, kinds=BUYER)
def saved_list_add(request):
    """From the product page: save a SKU and quantity on a list (made if new)."""
    form = SaveToListForm(request.POST)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    if not form.is_valid():
        messages.error(request, _("Enter a quantity and a list name."))
        return redirect(back or "deals:buy_again")
    sku = found(SKU.objects.public(), pk=form.cleaned_data["sku"])
    try:
        item = services.saved_list_add_item(
            organization=request.organization,
            sku=sku,
            quantity=form.cleaned_data["quantity"],
            list_name=form.cleaned_data["list_name"],
            acting_user=request.user,
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(code)s saved on your list %(name)s.")
            % {"code": sku.code, "name": item.saved_list.name},
        )
    return redirect(back or "deals:buy_again")
