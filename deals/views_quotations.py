"""Quotation pages: the buyer asks for quotations, compares them side by side and accepts one
(its lines go to the cart at the quoted prices) or closes the request; the merchants it reaches
read it and answer with a quotation, which they may withdraw. A merchant never sees another
merchant's quotation; nobody but the buyer, those merchants and operators finds a request."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog.models import Product
from deals import selectors_quotations as selectors
from deals.forms_quotations import QuotationForm, QuotationLineFormSet, QuotationRequestForm
from deals.models import QuotationRequestStatus, QuotationStatus
from deals.services import quotations as services
from network.errors import DomainError
from network.models import Organization, Role
from network.permissions import membership_allows, organization_required
from network.storage import private_file_response

BUYER = [Organization.Kind.BUYER]
MERCHANT = [Organization.Kind.MERCHANT]
PAGE_SIZE = 25


def _form_error(form, error: DomainError) -> None:
    field = error.details.get("field")
    form.add_error(field if field in form.fields else None, error.message)


@organization_required()
def quotation_requests(request):
    """The buyer's requests; the requests open to a merchant; every request for operators."""
    status = request.GET.get("status", "")
    requests = selectors.quotation_requests_visible(
        organization=request.organization, status=status
    )
    page = Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    quoted = set()
    if request.organization.kind == Organization.Kind.MERCHANT:
        quoted = selectors.requests_quoted_by(merchant=request.organization, rfqs=page.object_list)
    return render(
        request,
        "deals/quotations/request_list.html",
        {
            "page": page,
            "status": status,
            "statuses": QuotationRequestStatus.choices,
            "quoted": quoted,
            "is_buyer": request.organization.kind == Organization.Kind.BUYER,
            "is_merchant": request.organization.kind == Organization.Kind.MERCHANT,
        },
    )


@organization_required(role=Role.BUYER, kinds=BUYER)
def quotation_request_create(request):
    """The buyer's request for quotation, about a product (``?product=<id>``) or goods in a
    category."""
    product_id = request.GET.get("product") or request.POST.get("product") or ""
    product = None
    if product_id.isdigit():
        product = Product.objects.public().filter(pk=int(product_id)).first()
    initial = {}
    if product is not None:
        initial = {"title": product.title, "category": product.category_id}
    form = QuotationRequestForm(
        request.POST or None, request.FILES or None, product=product, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rfq = services.quotation_request_create(
                organization=request.organization,
                title=data["title"],
                description=data["description"],
                product=product,
                category=data["category"],
                quantity=data["quantity"],
                target_unit_price_usd=data["target_unit_price_usd"],
                destination_port=data["destination_port"],
                incoterm=data["incoterm"],
                needed_by=data["needed_by"],
                files=data["files"],
                acting_user=request.user,
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(
                request,
                _("Request %(number)s sent: the merchants selling these goods have been told.")
                % {"number": rfq.number},
            )
            return redirect("deals:quotation_request", rfq.number)
    return render(request, "deals/quotations/request_form.html", {"form": form, "product": product})


@organization_required()
def quotation_request_detail(request, rfq_number: str):
    """The request; for the buyer its quotations side by side, for a merchant its own."""
    organization = request.organization
    rfq = selectors.access_quotation_request(organization=organization, number=rfq_number)
    compared = selectors.quotations_compared(organization=organization, rfq=rfq)
    is_buyer = organization.pk == rfq.buyer_id
    is_merchant = organization.kind == Organization.Kind.MERCHANT
    own = [c for c in compared if c.quotation.merchant_id == organization.pk]
    standing = next((c for c in own if c.quotation.status != QuotationStatus.WITHDRAWN), None)
    withdrawn = [
        q
        for q in selectors.quotations_of_request(organization=organization, rfq=rfq)
        if q.status == QuotationStatus.WITHDRAWN
    ]
    return render(
        request,
        "deals/quotations/request_detail.html",
        {
            "rfq": rfq,
            "files": selectors.quotation_request_files(rfq),
            "compared": compared,
            "withdrawn": withdrawn,
            "is_buyer": is_buyer,
            "is_merchant": is_merchant,
            "can_buy": is_buyer and membership_allows(request.membership, role=Role.BUYER),
            "can_quote": is_merchant
            and rfq.status == QuotationRequestStatus.OPEN
            and standing is None
            and membership_allows(request.membership, role=Role.STAFF),
            "can_withdraw": is_merchant and membership_allows(request.membership, role=Role.STAFF),
            # Either side asks the other about the request (viewers read only).
            "can_write_messages": (is_buyer or is_merchant)
            and request.membership.role != Role.VIEWER,
        },
    )


def _quoted_lines(formset) -> list[services.QuotedLine]:
    return [
        services.QuotedLine(
            sku_id=form.cleaned_data["sku"],
            quantity=form.cleaned_data["quantity"],
            tiers=[(q, Decimal(p)) for q, p in form.cleaned_data["tiers"]],
        )
        for form in formset.forms
        if form.cleaned_data.get("sku")
    ]


@organization_required(role=Role.STAFF, kinds=MERCHANT)
def quotation_create(request, rfq_number: str):
    """The merchant's quotation on a request open to it."""
    organization = request.organization
    rfq = selectors.access_quotation_request(organization=organization, number=rfq_number)
    skus = list(selectors.quotable_skus(merchant=organization))
    initial_lines = []
    if rfq.product is not None and rfq.product.organization_id == organization.pk:
        initial_lines = [
            {"sku": sku.pk, "quantity": rfq.quantity}
            for sku in skus
            if sku.product_id == rfq.product_id
        ][:1]
    form = QuotationForm(request.POST or None)
    formset = QuotationLineFormSet(
        request.POST or None,
        prefix="lines",
        initial=initial_lines,
        form_kwargs={"skus": skus},
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        try:
            quotation = services.quotation_submit(
                rfq=rfq,
                merchant=organization,
                lines=_quoted_lines(formset),
                moq=data["moq"],
                lead_time_days=data["lead_time_days"],
                valid_until=data["valid_until"],
                note=data["note"],
                acting_user=request.user,
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(
                request,
                _("Quotation %(number)s sent to %(buyer)s.")
                % {"number": quotation.number, "buyer": rfq.buyer.name},
            )
            return redirect("deals:quotation_request", rfq.number)
    return render(
        request,
        "deals/quotations/quotation_form.html",
        {"rfq": rfq, "form": form, "formset": formset, "skus": skus},
    )


@require_POST
@organization_required(role=Role.BUYER, kinds=BUYER)
def quotation_request_close(request, rfq_number: str):
    rfq = selectors.access_quotation_request(organization=request.organization, number=rfq_number)
    try:
        services.quotation_request_close(rfq=rfq, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Request closed: it takes no more quotations."))
    return redirect("deals:quotation_request", rfq.number)


@require_POST
@organization_required(role=Role.BUYER, kinds=BUYER)
def quotation_accept(request, quotation_number: str):
    """The buyer accepts a quotation: its lines go to the cart at the quoted prices."""
    quotation = selectors.access_quotation(
        organization=request.organization, number=quotation_number
    )
    try:
        services.quotation_accept(quotation=quotation, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("deals:quotation_request", quotation.request.number)
    messages.success(
        request,
        _(
            "Quotation %(number)s accepted: its lines are in your cart at the quoted prices "
            "until %(date)s."
        )
        % {"number": quotation.number, "date": quotation.valid_until.isoformat()},
    )
    return redirect("orders:cart")


@require_POST
@organization_required(role=Role.STAFF, kinds=MERCHANT)
def quotation_withdraw(request, quotation_number: str):
    quotation = selectors.access_quotation(
        organization=request.organization, number=quotation_number
    )
    try:
        services.quotation_withdraw(quotation=quotation, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Quotation %(number)s withdrawn.") % {"number": quotation.number}
        )
    return redirect("deals:quotation_request", quotation.request.number)


@organization_required()
def quotation_request_file(request, rfq_number: str, rfq_file_id: int):
    """A request's file: for the buyer, the merchants the request is open to and operators."""
    upload = selectors.access_quotation_request_file(
        organization=request.organization, number=rfq_number, file_id=rfq_file_id
    )
    return private_file_response(
        upload.file, content_type=upload.content_type, filename=upload.original_name
    )
