"""Read paths of deals."""

from __future__ import annotations

from django.conf import settings
from django.db.models import BooleanField, Case, Count, F, Max, Q, QuerySet, When

from deals.models import (
    Message,
    MessageAttachment,
    QuotationRequest,
    SavedList,
    SavedListItem,
    Thread,
)
from network.models import Membership, Organization, User
from network.tenancy import found


def quotation_requests_open_to(queryset: QuerySet, merchant: Organization) -> QuerySet:
    """See ``QuotationRequestManager.open_to``: open requests in a category (or a subcategory)
    where ``merchant`` is an approved merchant with an active listing, open requests about one
    of its products, and every request it has quoted on."""
    from deals.selectors_quotations import requests_open_to

    return requests_open_to(queryset, merchant)


# --- Messages ----------------------------------------------------------------------------------


def threads_for(*, organization: Organization, user: User) -> QuerySet[Thread]:
    """The threads ``organization`` is a side of (operators: those about a claim or a report),
    newest first, each with ``read_at`` (this person's) and ``unread``."""
    return (
        Thread.objects.visible_to(organization)
        .select_related("buyer", "merchant", "product")
        .annotate(read_at=Max("reads__read_at", filter=Q(reads__user=user)))
        .annotate(
            unread=Case(
                When(Q(read_at__isnull=True) | Q(last_message_at__gt=F("read_at")), then=True),
                default=False,
                output_field=BooleanField(),
            )
        )
        # An aggregate query does not take the model's ordering.
        .order_by("-last_message_at", "-pk")
    )


def unread_thread_count(*, organization: Organization, user: User) -> int:
    """How many of the organisation's threads have messages this person has not read."""
    threads = threads_for(organization=organization, user=user)
    # ``unread`` is an annotation of ``threads_for``, which the type stubs do not follow.
    return threads.filter(unread=True).count()  # type: ignore[misc]


def access_thread(*, organization: Organization, pk: int) -> Thread:
    """One thread ``organization`` is a side of; ``not_found`` otherwise."""
    return found(
        Thread.objects.visible_to(organization).select_related(
            "buyer",
            "merchant",
            "product",
            "purchase_order",
            "merchant_order",
            "quotation_request",
            "claim",
            "report",
        ),
        pk=pk,
    )


def thread_messages(thread: Thread, organization: Organization) -> QuerySet[Message]:
    return (
        Message.objects.visible_to(organization)
        .filter(thread=thread)
        .select_related("author", "author_organization")
        .prefetch_related("attachments")
    )


def languages_read_by(organization: Organization) -> list[str]:
    """The names of the languages the organisation's people read, most used first."""
    names = dict(settings.LANGUAGES)
    rows = (
        Membership.objects.filter(organization=organization)
        .values("user__language")
        .annotate(people=Count("pk"))
        .order_by("-people", "user__language")
    )
    return [str(names.get(row["user__language"], row["user__language"])) for row in rows]


def thread_attachment(*, thread: Thread, organization: Organization, pk: int) -> MessageAttachment:
    return found(
        MessageAttachment.objects.visible_to(organization).filter(message__thread=thread), pk=pk
    )


# --- Buying again ------------------------------------------------------------------------------


def saved_lists_for(*, organization: Organization) -> QuerySet[SavedList]:
    """The buyer's saved lists by name, each with ``item_count``."""
    return (
        SavedList.objects.visible_to(organization)
        .filter(organization=organization)
        .annotate(item_count=Count("items"))
        .order_by("name", "pk")
    )


def access_saved_list(*, organization: Organization, pk: int) -> SavedList:
    return found(SavedList.objects.visible_to(organization).select_related("organization"), pk=pk)


def saved_list_items(saved_list: SavedList) -> QuerySet[SavedListItem]:
    """The list's items with their SKU, product and merchant, oldest first."""
    return (
        SavedListItem.objects.visible_to(saved_list.organization)
        .filter(saved_list=saved_list)
        .select_related("sku__product__organization")
        .order_by("created_at", "pk")
    )


def access_saved_list_item(*, saved_list: SavedList, pk: int) -> SavedListItem:
    return found(saved_list_items(saved_list), pk=pk)


def access_quotation_request_for_messages(
    *, organization: Organization, number: str
) -> QuotationRequest:
    """A request for quotation a conversation may be about: the buyer's own, or one open to
    the merchant (``QuotationRequest.objects.open_to``)."""
    if organization.kind == Organization.Kind.MERCHANT:
        requests = QuotationRequest.objects.open_to(organization)
    else:
        requests = QuotationRequest.objects.visible_to(organization)
    return found(requests.select_related("buyer"), number=number)
