"""Buyer price lists: a merchant's pages (its lists, a new list, a list's products with their
discount or own tiers, ending or deleting a list) and a buyer's (the lists granted to it)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog import selectors
from catalog.forms_price_lists import PriceListEntryForm, PriceListForm, tiers_text
from catalog.models import PriceList
from catalog.services import price_lists as services
from network.errors import DomainError
from network.forms import form_add_validation_error
from network.models import Organization, Role
from network.permissions import organization_required

PARTIES = [Organization.Kind.MERCHANT, Organization.Kind.BUYER]
MERCHANT = [Organization.Kind.MERCHANT]


def _is_merchant_of(request, price_list: PriceList) -> bool:
    return request.organization.pk == price_list.organization_id


@organization_required(kinds=PARTIES)
def price_lists(request):
    """A merchant's lists (with the form for a new one), or the lists granted to a buyer."""
    merchant = request.organization.kind == Organization.Kind.MERCHANT
    form = None
    if merchant:
        form = PriceListForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            values = dict(form.cleaned_data)
            try:
                buyer = services.buyer_by_name(values.pop("buyer"))
                created = services.price_list_create(
                    organization=request.organization,
                    buyer=buyer,
                    values=values,
                    acting_user=request.user,
                )
            except ValidationError as error:
                form_add_validation_error(form, error)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Price list created: now add its products."))
                return redirect("catalog:price_list", price_list_id=created.pk)
    elif request.method == "POST":
        raise Http404
    rows = selectors.price_lists_of(organization=request.organization)
    return render(
        request,
        "catalog/price_lists/list.html",
        {
            "merchant": merchant,
            "form": form,
            "price_lists": rows,
            "known_buyers": sorted({row.buyer.name for row in rows}) if merchant else [],
        },
        status=400 if request.method == "POST" else 200,
    )


@organization_required(kinds=PARTIES)
def price_list_detail(request, price_list_id: int):
    """The list's terms and products; its merchant changes them here."""
    price_list = selectors.access_price_list(organization=request.organization, pk=price_list_id)
    editable = _is_merchant_of(request, price_list) and request.membership.has_role(Role.STAFF)
    form = entry_form = None
    if editable:
        form = PriceListForm(
            request.POST if request.POST.get("form") == "terms" else None,
            instance=price_list,
            with_buyer=False,
        )
        entry_form = PriceListEntryForm(
            request.POST if request.POST.get("form") == "product" else None,
            products=selectors.merchant_products(organization=request.organization),
        )
        if request.method == "POST" and form.is_bound and form.is_valid():
            try:
                services.price_list_update(
                    price_list=price_list, values=form.cleaned_data, acting_user=request.user
                )
            except ValidationError as error:
                form_add_validation_error(form, error)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Price list saved."))
                return redirect("catalog:price_list", price_list_id=price_list.pk)
        if (
            request.method == "POST"
            and entry_form.is_bound
            and entry_form.is_valid()
            and _entry_saved(request, price_list, entry_form)
        ):
            return redirect("catalog:price_list", price_list_id=price_list.pk)
    elif request.method == "POST":
        raise Http404
    return render(
        request,
        "catalog/price_lists/detail.html",
        {
            "price_list": price_list,
            "entries": selectors.price_list_entries(price_list=price_list),
            "editable": editable,
            "form": form,
            "entry_form": entry_form,
            "in_force": services.price_list_in_force(price_list),
        },
        status=400 if request.method == "POST" else 200,
    )


def _entry_saved(request, price_list: PriceList, form: PriceListEntryForm) -> bool:
    try:
        services.price_list_entry_set(
            price_list=price_list,
            product=form.cleaned_data["product"],
            discount_percent=form.cleaned_data["discount_percent"],
            tiers=form.cleaned_data["tiers"],
            acting_user=request.user,
        )
    except ValidationError as error:
        form_add_validation_error(form, error)
    except DomainError as error:
        for message in error.details.get("errors") or [error.message]:
            form.add_error(None, message)
    else:
        messages.success(request, _("Product saved on the price list."))
        return True
    return False


@organization_required(role=Role.STAFF, kinds=MERCHANT)
def price_list_entry_edit(request, price_list_id: int, entry_id: int):
    """Change one product's discount or own tiers on the list."""
    price_list = selectors.access_price_list(organization=request.organization, pk=price_list_id)
    if not _is_merchant_of(request, price_list):
        raise Http404
    entry = selectors.access_price_list_entry(price_list=price_list, pk=entry_id)
    products = selectors.merchant_products(organization=request.organization)
    form = PriceListEntryForm(
        request.POST or None,
        products=products,
        initial={
            "product": entry.product_id,
            "discount_percent": entry.discount_percent,
            "tiers": tiers_text(entry),
        },
    )
    if request.method == "POST" and form.is_valid() and _entry_saved(request, price_list, form):
        return redirect("catalog:price_list", price_list_id=price_list.pk)
    return render(
        request,
        "catalog/price_lists/entry.html",
        {"price_list": price_list, "entry": entry, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@organization_required(role=Role.STAFF, kinds=MERCHANT)
def price_list_entry_remove(request, price_list_id: int, entry_id: int):
    price_list = selectors.access_price_list(organization=request.organization, pk=price_list_id)
    if not _is_merchant_of(request, price_list):
        raise Http404
    entry = selectors.access_price_list_entry(price_list=price_list, pk=entry_id)
    services.price_list_entry_remove(entry=entry, acting_user=request.user)
    messages.success(request, _("Product taken off the price list."))
    return redirect("catalog:price_list", price_list_id=price_list.pk)


@require_POST
@organization_required(role=Role.STAFF, kinds=MERCHANT)
def price_list_end(request, price_list_id: int):
    """End the list today (a list not yet in force is deleted), or delete it outright."""
    price_list = selectors.access_price_list(organization=request.organization, pk=price_list_id)
    if not _is_merchant_of(request, price_list):
        raise Http404
    if request.POST.get("delete"):
        services.price_list_delete(price_list=price_list, acting_user=request.user)
        messages.success(request, _("Price list deleted."))
        return redirect("catalog:price_lists")
    ended = services.price_list_end(price_list=price_list, acting_user=request.user)
    if ended is None:
        messages.success(request, _("The price list was not in force yet: it is deleted."))
        return redirect("catalog:price_lists")
    messages.success(request, _("Price list ended: the buyer pays the public tiers from today."))
    return redirect("catalog:price_list", price_list_id=price_list.pk)
