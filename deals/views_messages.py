"""Message pages: the inbox, a new conversation about a product, an order, a claim or a report,
a conversation with its reply form, and its attachments (for its two sides only)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from catalog.models import Product
from deals import selectors
from deals.forms_messages import MessageForm, ThreadForm
from deals.services import messages as services
from moderation.selectors import access_listing_report
from network.errors import DomainError
from network.models import Organization, Role
from network.permissions import membership_allows, organization_required
from network.storage import private_file_response
from network.tenancy import found
from orders.selectors import access_merchant_order, access_purchase_order
from payments.selectors_claims import access_claim

SIDES = [Organization.Kind.BUYER, Organization.Kind.MERCHANT, Organization.Kind.OPERATOR]
WRITERS = [Organization.Kind.BUYER, Organization.Kind.MERCHANT]
PAGE_SIZE = 25


def _form_error(form, error: DomainError) -> None:
    field = error.details.get("field")
    form.add_error(field if field in form.fields else None, error.message)


@organization_required(kinds=SIDES)
def thread_list(request):
    """The organisation's conversations, newest first, unread ones marked."""
    threads = selectors.threads_for(organization=request.organization, user=request.user)
    page = Paginator(threads, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    return render(request, "deals/messages/thread_list.html", {"page": page})


def _about(request) -> services.About:
    """What the new conversation is about, from the link that led here."""
    organization = request.organization
    get = request.GET
    counterpart = None
    if get.get("merchant"):
        counterpart = found(
            Organization.objects.filter(
                kind=Organization.Kind.MERCHANT, status=Organization.Status.ACTIVE
            ),
            slug=get["merchant"],
        )
    elif get.get("buyer"):
        counterpart = found(
            Organization.objects.filter(kind=Organization.Kind.BUYER), slug=get["buyer"]
        )
    records = {}
    if get.get("product", "").isdigit():
        records["product"] = found(
            Product.objects.public().select_related("organization"), pk=int(get["product"])
        )
    elif get.get("purchase_order"):
        records["purchase_order"] = access_purchase_order(
            organization=organization, reference=get["purchase_order"]
        )
    elif get.get("merchant_order"):
        records["merchant_order"] = access_merchant_order(
            organization=organization, reference=get["merchant_order"]
        )
    elif get.get("claim"):
        records["claim"] = access_claim(organization=organization, number=get["claim"])
    elif get.get("quotation_request"):
        records["quotation_request"] = selectors.access_quotation_request_for_messages(
            organization=organization, number=get["quotation_request"]
        )
    elif get.get("report", "").isdigit():
        records["report"] = access_listing_report(
            organization=organization, pk=int(get["report"]), user=request.user
        )
    return services.thread_about(organization=organization, counterpart=counterpart, **records)


@organization_required(role=Role.STAFF, kinds=WRITERS)
def thread_new(request):
    """Write to the other side about a product, an order, a claim or a report."""
    try:
        about = _about(request)
    except DomainError as error:
        if error.status == 404:
            raise
        messages.error(request, error.message)
        return redirect("deals:threads")
    form = ThreadForm(
        request.POST or None, request.FILES or None, initial={"subject": about.subject}
    )
    if request.method == "POST" and form.is_valid():
        try:
            thread, _message = services.thread_start(
                organization=request.organization,
                about=about,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
                acting_user=request.user,
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Message sent."))
            return redirect("deals:thread", thread.pk)
    counterpart = about.merchant if request.organization.pk == about.buyer.pk else about.buyer
    return render(
        request,
        "deals/messages/thread_new.html",
        {
            "form": form,
            "about": about,
            "counterpart": counterpart,
            "languages": selectors.languages_read_by(counterpart),
        },
    )


@organization_required(kinds=SIDES)
def thread_detail(request, thread_id: int):
    """A conversation, read up to now by this person, with the reply form."""
    thread = selectors.access_thread(organization=request.organization, pk=thread_id)
    side = services.thread_side(thread, request.organization)
    can_write = membership_allows(request.membership, role=Role.STAFF)
    form = MessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.message_post(
                    thread=thread,
                    organization=request.organization,
                    body=form.cleaned_data["body"],
                    attachments=form.cleaned_data["attachments"],
                    acting_user=request.user,
                )
            except DomainError as error:
                _form_error(form, error)
            else:
                messages.success(request, _("Message sent."))
                return redirect("deals:thread", thread.pk)
    else:
        services.thread_mark_read(
            thread=thread, organization=request.organization, user=request.user
        )
    others = {
        "buyer": [thread.merchant],
        "merchant": [thread.buyer],
        "operator": [thread.buyer, thread.merchant],
    }[side]
    return render(
        request,
        "deals/messages/thread_detail.html",
        {
            "thread": thread,
            "side": side,
            "thread_messages": list(selectors.thread_messages(thread, request.organization)),
            "form": form,
            "can_write": can_write,
            "others": [(o, selectors.languages_read_by(o)) for o in others],
        },
    )


@organization_required(kinds=SIDES)
def message_attachment(request, thread_id: int, attachment_id: int):
    """An attachment of a conversation: for its sides only."""
    thread = selectors.access_thread(organization=request.organization, pk=thread_id)
    attachment = selectors.thread_attachment(
        thread=thread, organization=request.organization, pk=attachment_id
    )
    return private_file_response(
        attachment.file, content_type=attachment.content_type, filename=attachment.original_name
    )
