"""Requests for quotation and quotations.

A buyer describes what it wants (``quotation_request_create``); the approved merchants selling
in its category (and the merchant of the product it names) are told and may answer with one
quotation each (``quotation_submit``): lines of their own SKUs with price tiers, a MOQ, a lead
time and a last day. The buyer accepts one (``quotation_accept``): its lines go to the cart at
the quoted prices through ``orders.services.cart.cart_add_quoted``, honoured until the end of
the quotation's last day; the others become "not chosen" and the request is awarded. The buyer
may close a request instead; a merchant may withdraw its quotation while it stands."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import SKU, Category, Product
from deals.errors_quotations import (
    IllegalQuotationTransition,
    QuotationInvalid,
    QuotationPermissionDenied,
    QuotationRequestInvalid,
    QuotationRequestNotOpen,
)
from deals.models import (
    Quotation,
    QuotationLine,
    QuotationRequest,
    QuotationRequestFile,
    QuotationRequestStatus,
    QuotationStatus,
    QuotationTier,
)
from deals.selectors_quotations import merchants_reached, quotation_expired
from merchants.errors import DocumentRejected
from merchants.services.documents import document_check
from network.models import Organization, Role, User
from network.permissions import require_member
from network.selectors import organization_members, organization_staff
from network.services import audit, notification_send, webhook_emit
from network.tenancy import found
from network.transitions import transition, transition_apply
from orders.errors import QuotationExpired
from orders.models import Incoterm
from orders.services.cart import cart_add_quoted
from orders.services.common import _link
from shipping.models import Port

R = QuotationRequestStatus
S = QuotationStatus
REQUEST_TRANSITIONS = {
    "close": transition(gettext_lazy("close"), [R.OPEN], R.CLOSED),
    "award": transition(gettext_lazy("accept a quotation on"), [R.OPEN], R.AWARDED),
}
QUOTATION_TRANSITIONS = {
    "accept": transition(gettext_lazy("accept"), [S.SUBMITTED], S.ACCEPTED),
    "decline": transition(gettext_lazy("set aside"), [S.SUBMITTED], S.DECLINED),
    "withdraw": transition(gettext_lazy("withdraw"), [S.SUBMITTED], S.WITHDRAWN),
}
MAX_FILES = 5
MAX_LINES = 20
MAX_TIERS = 5
NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CENT = Decimal("0.01")


# --- Who may act -------------------------------------------------------------------------------


def _buyer_required(organization: Organization, user: User | None) -> None:
    require_member(
        organization=organization,
        user=user,
        role=Role.BUYER,
        kinds=(Organization.Kind.BUYER,),
        error=QuotationPermissionDenied,
        message=_("Only buyers, admins and owners of a buyer organisation ask for quotations."),
    )


def _merchant_required(organization: Organization, user: User | None) -> None:
    require_member(
        organization=organization,
        user=user,
        role=Role.STAFF,
        kinds=(Organization.Kind.MERCHANT,),
        error=QuotationPermissionDenied,
        message=_("Only staff, admins and owners of a merchant organisation send quotations."),
    )


def _new_number(prefix: str) -> str:
    return prefix + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(10))


def quoted_until(valid_until: date) -> datetime:
    """The end of a quotation's last day: its prices are honoured until then."""
    zone = timezone.get_default_timezone()
    return datetime.combine(valid_until + timedelta(days=1), time.min, tzinfo=zone)


# --- Payloads and notices ----------------------------------------------------------------------


def quotation_request_payload(rfq: QuotationRequest) -> dict[str, Any]:
    return {
        "number": rfq.number,
        "buyer": rfq.buyer.name,
        "title": rfq.title,
        "description": rfq.description,
        "product": rfq.product_id,
        "category": rfq.category.slug if rfq.category else None,
        "quantity": rfq.quantity,
        "target_unit_price_usd": (
            None if rfq.target_unit_price_usd is None else str(rfq.target_unit_price_usd)
        ),
        "destination_port": rfq.destination_port.un_locode if rfq.destination_port else None,
        "incoterm": rfq.incoterm,
        "needed_by": rfq.needed_by,
        "status": rfq.status,
        "created_at": rfq.created_at,
    }


def _lines_of(quotation: Quotation) -> list[QuotationLine]:
    """The quotation's lines with their tiers, read as its merchant (a party to every row)."""
    party = quotation.merchant
    tiers = QuotationTier.objects.visible_to(party).order_by("min_quantity")
    return list(
        QuotationLine.objects.visible_to(party)
        .filter(quotation=quotation)
        .select_related("sku")
        .prefetch_related(Prefetch("tiers", queryset=tiers))
        .order_by("pk")
    )


def quotation_payload(quotation: Quotation) -> dict[str, Any]:
    return {
        "number": quotation.number,
        "request": quotation.request.number,
        "merchant": quotation.merchant.name,
        "buyer": quotation.buyer.name,
        "status": quotation.status,
        "moq": quotation.moq,
        "lead_time_days": quotation.lead_time_days,
        "valid_until": quotation.valid_until,
        "note": quotation.note,
        "lines": [
            {
                "sku": line.sku.code,
                "quantity": line.quantity,
                "tiers": [
                    {"min_quantity": t.min_quantity, "unit_price_usd": str(t.unit_price_usd)}
                    for t in line.tiers.all()
                ],
            }
            for line in _lines_of(quotation)
        ],
        "created_at": quotation.created_at,
        "accepted_at": quotation.accepted_at,
    }


def _buyer_people(organization: Organization) -> list[User]:
    """Who orders for the buyer: told of quotations received."""
    members = organization_members(organization=organization)
    return [m.user for m in members.filter(role__in=[Role.OWNER, Role.ADMIN, Role.BUYER])]


def _tell(
    people: Sequence[User],
    organization: Organization,
    *,
    kind: str,
    template: str,
    context: dict[str, Any],
    link: str,
) -> None:
    for user in people:
        notification_send(
            email=user.email,
            recipient=user,
            organization=organization,
            kind=kind,
            template=f"deals/quotations/email/{template}",
            context=context,
            link=link,
        )


def _request_context(rfq: QuotationRequest) -> dict[str, Any]:
    return {
        "request": rfq.number,
        "title": rfq.title,
        "buyer": rfq.buyer.name,
        "quantity": rfq.quantity,
        "incoterm": rfq.incoterm,
        "port": str(rfq.destination_port) if rfq.destination_port else "",
        "needed_by": rfq.needed_by,
        "description": rfq.description,
    }


def _quotation_context(quotation: Quotation) -> dict[str, Any]:
    return {
        **_request_context(quotation.request),
        "quotation": quotation.number,
        "merchant": quotation.merchant.name,
        "valid_until": quotation.valid_until,
        "lead_time_days": quotation.lead_time_days,
        "moq": quotation.moq,
    }


# --- Requests ----------------------------------------------------------------------------------


def _decimal_or_none(value: Any, *, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", "")).quantize(CENT)
    except (InvalidOperation, ValueError, TypeError):
        raise QuotationRequestInvalid(_("Enter a price in US dollars."), field=field) from None
    if amount < CENT:
        raise QuotationRequestInvalid(_("Enter a price above zero."), field=field)
    return amount


def _checked_files(files: Sequence[IO[bytes]]) -> list[tuple[Any, str]]:
    if len(files) > MAX_FILES:
        raise QuotationRequestInvalid(
            _("Attach at most %(n)s files.") % {"n": MAX_FILES}, field="files"
        )
    checked = []
    for upload in files:
        try:
            checked.append((upload, document_check(upload)))  # type: ignore[arg-type]
        except DocumentRejected as error:
            name = getattr(upload, "name", "")
            raise QuotationRequestInvalid(f"{name}: {error.message}", field="files") from None
    return checked


@transaction.atomic
def quotation_request_create(
    *,
    organization: Organization,
    title: str,
    quantity: int,
    acting_user: User,
    description: str = "",
    product: Product | None = None,
    category: Category | None = None,
    target_unit_price_usd: Any = None,
    destination_port: Port | None = None,
    incoterm: str = Incoterm.FOB,
    needed_by: date | None = None,
    files: Sequence[IO[bytes]] = (),
) -> QuotationRequest:
    """The buyer asks for quotations on a quantity of a product or of goods in a category.
    The merchants it reaches are told (mail and ``quotation_request.opened``). Refused with
    ``quotation_request_invalid`` (bad input, files that are not PDF/PNG/JPEG),
    ``permission_denied``."""
    _buyer_required(organization, acting_user)
    title = (title or "").strip()
    if not title:
        raise QuotationRequestInvalid(_("Say what you are looking for."), field="title")
    if len(title) > 200:
        raise QuotationRequestInvalid(_("Keep the title to 200 characters."), field="title")
    description = (description or "").strip()
    if len(description) > 4000:
        raise QuotationRequestInvalid(
            _("Keep the details to 4000 characters."), field="description"
        )
    if product is not None and not Product.objects.public().filter(pk=product.pk).exists():
        raise QuotationRequestInvalid(_("This product is not on sale."), field="product")
    if product is None and category is None:
        raise QuotationRequestInvalid(
            _("Choose a product or a category, so the right merchants see the request."),
            field="category",
        )
    try:
        quantity = int(quantity)
    except (TypeError, ValueError):
        quantity = 0
    if quantity < 1:
        raise QuotationRequestInvalid(_("Ask for at least one unit."), field="quantity")
    if incoterm not in Incoterm.values:
        raise QuotationRequestInvalid(_("Choose an Incoterm."), field="incoterm")
    if needed_by is not None and needed_by < timezone.localdate():
        raise QuotationRequestInvalid(_("The date needed by has passed."), field="needed_by")
    price = _decimal_or_none(target_unit_price_usd, field="target_unit_price_usd")
    checked = _checked_files(files)
    rfq = QuotationRequest(
        buyer=organization,
        number=_new_number("RFQ"),
        title=title,
        description=description,
        product=product,
        category=category or (product.category if product else None),
        quantity=quantity,
        target_unit_price_usd=price,
        destination_port=destination_port,
        incoterm=incoterm,
        needed_by=needed_by,
        created_by=acting_user,
    )
    rfq.save()
    for upload, content_type in checked:
        stored = QuotationRequestFile(
            buyer=organization,
            request=rfq,
            original_name=str(getattr(upload, "name", "file"))[:200],
            content_type=content_type,
            size=getattr(upload, "size", 0) or 0,
        )
        upload.seek(0)
        stored.file.save("file", ContentFile(upload.read()), save=False)
        stored.save()
    audit(
        actor=acting_user,
        organization=organization,
        action="quotation_request.opened",
        target=rfq,
        changes={"quantity": quantity, "files": len(checked)},
    )
    payload = quotation_request_payload(rfq)
    link = _link("deals:quotation_request", rfq.number)
    context = _request_context(rfq)
    for merchant in merchants_reached(rfq):
        webhook_emit(organization=merchant, event="quotation_request.opened", payload=payload)
        _tell(
            organization_staff(organization=merchant),
            merchant,
            kind="deals.quotation_request_opened",
            template="request_opened",
            context=context,
            link=link,
        )
    return rfq


def _request_locked(rfq: QuotationRequest, organization: Organization) -> QuotationRequest:
    if organization.kind == Organization.Kind.MERCHANT:
        requests = QuotationRequest.objects.open_to(organization)
    else:
        requests = QuotationRequest.objects.visible_to(organization)
    return found(requests.select_for_update(of=("self",)).select_related("buyer"), pk=rfq.pk)


@transaction.atomic
def quotation_request_close(*, rfq: QuotationRequest, acting_user: User) -> QuotationRequest:
    """The buyer closes an open request: it takes no more quotations and the standing ones
    are set aside. Refused with ``illegal_transition`` unless open."""
    _buyer_required(rfq.buyer, acting_user)
    rfq = _request_locked(rfq, rfq.buyer)
    transition_apply(
        REQUEST_TRANSITIONS,
        "close",
        rfq,
        acting_user=acting_user,
        organization=rfq.buyer,
        audit_action="quotation_request.closed",
        changes={"closed_at": timezone.now()},
        error=IllegalQuotationTransition,
    )
    standing = (
        Quotation.objects.visible_to(rfq.buyer)
        .filter(request=rfq, status=S.SUBMITTED)
        .select_for_update()
        .order_by("pk")
    )
    for quotation in standing:
        transition_apply(
            QUOTATION_TRANSITIONS,
            "decline",
            quotation,
            acting_user=acting_user,
            organization=rfq.buyer,
            audit_action="quotation.declined",
            error=IllegalQuotationTransition,
        )
    return rfq


# --- Quotations --------------------------------------------------------------------------------


@dataclass
class QuotedLine:
    """One line of a quotation as the merchant writes it: a SKU, the quantity that goes to the
    cart on acceptance, and (from quantity, unit price USD) tiers."""

    sku_id: int
    quantity: int
    tiers: list[tuple[int, Decimal]]


def _checked_lines(merchant: Organization, lines: Sequence[QuotedLine], moq: int) -> list:
    if not lines:
        raise QuotationInvalid(_("Quote at least one SKU."), field="lines")
    if len(lines) > MAX_LINES:
        raise QuotationInvalid(_("Quote at most %(n)s SKUs.") % {"n": MAX_LINES}, field="lines")
    skus = {
        sku.pk: sku
        for sku in SKU.objects.public().filter(
            organization=merchant, pk__in=[int(line.sku_id) for line in lines]
        )
    }
    checked: list[tuple[SKU, int, list[tuple[int, Decimal]]]] = []
    seen: set[int] = set()
    for line in lines:
        sku = skus.get(int(line.sku_id))
        if sku is None:
            raise QuotationInvalid(_("Quote only your own SKUs of active listings."), field="lines")
        if sku.pk in seen:
            raise QuotationInvalid(
                _("%(code)s is quoted twice: one line per SKU.") % {"code": sku.code},
                field="lines",
            )
        seen.add(sku.pk)
        quantity = int(line.quantity)
        if quantity < moq:
            raise QuotationInvalid(
                _("The quantity of %(code)s is below the quotation's MOQ of %(moq)s.")
                % {"code": sku.code, "moq": moq},
                field="lines",
            )
        if quantity % sku.case_pack:
            raise QuotationInvalid(
                _("%(code)s is sold in cases of %(pack)s: quote a whole number of cases.")
                % {"code": sku.code, "pack": sku.case_pack},
                field="lines",
            )
        tiers = sorted((int(q), Decimal(p)) for q, p in line.tiers)
        if not tiers or len(tiers) > MAX_TIERS:
            raise QuotationInvalid(
                _("Give %(code)s one to %(n)s price tiers.") % {"code": sku.code, "n": MAX_TIERS},
                field="lines",
            )
        if len({q for q, _p in tiers}) != len(tiers):
            raise QuotationInvalid(
                _("Two tiers of %(code)s start at the same quantity.") % {"code": sku.code},
                field="lines",
            )
        if tiers[0][0] > moq:
            raise QuotationInvalid(
                _("The first price tier of %(code)s must start at or below the MOQ.")
                % {"code": sku.code},
                field="lines",
            )
        if any(price < CENT or q < 1 for q, price in tiers):
            raise QuotationInvalid(
                _("Every tier of %(code)s needs a quantity and a price above zero.")
                % {"code": sku.code},
                field="lines",
            )
        checked.append((sku, quantity, [(q, price.quantize(CENT)) for q, price in tiers]))
    return checked


@transaction.atomic
def quotation_submit(
    *,
    rfq: QuotationRequest,
    merchant: Organization,
    lines: Sequence[QuotedLine],
    moq: int,
    lead_time_days: int,
    valid_until: date,
    acting_user: User,
    note: str = "",
) -> Quotation:
    """A merchant answers a request open to it with its quotation (one standing quotation per
    merchant and request); the buyer is told (mail and ``quotation.received``). Refused with
    ``quotation_invalid``, ``quotation_request_not_open``, ``not_found`` (a request not open
    to the merchant), ``permission_denied``."""
    _merchant_required(merchant, acting_user)
    rfq = _request_locked(rfq, merchant)
    if rfq.status != R.OPEN:
        raise QuotationRequestNotOpen(_("This request no longer takes quotations."))
    try:
        moq, lead_time_days = int(moq), int(lead_time_days)
    except (TypeError, ValueError):
        raise QuotationInvalid(_("Enter whole numbers for the MOQ and lead time.")) from None
    if moq < 1:
        raise QuotationInvalid(_("The MOQ is at least one unit."), field="moq")
    if not 0 <= lead_time_days <= 365:
        raise QuotationInvalid(
            _("Give a lead time between 0 and 365 days."), field="lead_time_days"
        )
    if valid_until < timezone.localdate():
        raise QuotationInvalid(_("The last day has already passed."), field="valid_until")
    note = (note or "").strip()
    if len(note) > 2000:
        raise QuotationInvalid(_("Keep the note to 2000 characters."), field="note")
    checked = _checked_lines(merchant, lines, moq)
    if (
        Quotation.objects.visible_to(merchant)
        .filter(request=rfq, merchant=merchant, status__in=[S.SUBMITTED, S.ACCEPTED, S.DECLINED])
        .exists()
    ):
        raise QuotationInvalid(
            _("You have already quoted on this request: withdraw that quotation first."),
            code="quotation_exists",
        )
    quotation = Quotation.objects.create(
        request=rfq,
        buyer=rfq.buyer,
        merchant=merchant,
        number=_new_number("Q"),
        moq=moq,
        lead_time_days=lead_time_days,
        valid_until=valid_until,
        note=note,
        submitted_by=acting_user,
    )
    for sku, quantity, tiers in checked:
        line = QuotationLine.objects.create(
            quotation=quotation, buyer=rfq.buyer, merchant=merchant, sku=sku, quantity=quantity
        )
        QuotationTier.objects.bulk_create(
            [
                QuotationTier(
                    line=line,
                    buyer=rfq.buyer,
                    merchant=merchant,
                    min_quantity=q,
                    unit_price_usd=price,
                )
                for q, price in tiers
            ]
        )
    audit(
        actor=acting_user,
        organization=merchant,
        action="quotation.submitted",
        target=quotation,
        changes={"request": rfq.number, "lines": len(checked), "valid_until": str(valid_until)},
    )
    webhook_emit(
        organization=rfq.buyer, event="quotation.received", payload=quotation_payload(quotation)
    )
    _tell(
        _buyer_people(rfq.buyer),
        rfq.buyer,
        kind="deals.quotation_received",
        template="quotation_received",
        context=_quotation_context(quotation),
        link=_link("deals:quotation_request", rfq.number),
    )
    return quotation


def _quotation_locked(quotation: Quotation, organization: Organization) -> Quotation:
    return (
        Quotation.objects.visible_to(organization)
        .select_for_update(of=("self",))
        .select_related("request", "merchant", "buyer")
        .get(pk=quotation.pk)
    )


@transaction.atomic
def quotation_withdraw(*, quotation: Quotation, acting_user: User) -> Quotation:
    """The merchant takes back a quotation that still stands. Refused with
    ``illegal_transition`` once accepted, set aside or withdrawn."""
    _merchant_required(quotation.merchant, acting_user)
    quotation = _quotation_locked(quotation, quotation.merchant)
    transition_apply(
        QUOTATION_TRANSITIONS,
        "withdraw",
        quotation,
        acting_user=acting_user,
        organization=quotation.merchant,
        audit_action="quotation.withdrawn",
        error=IllegalQuotationTransition,
    )
    return quotation


@transaction.atomic
def quotation_accept(*, quotation: Quotation, acting_user: User) -> Quotation:
    """The buyer accepts a standing quotation on its open request: its lines go to the cart at
    the quoted prices until the end of its last day, the other quotations are not chosen, the
    request is awarded and the merchant told (``quotation.accepted``). Refused with
    ``quotation_expired``, ``illegal_transition``, ``product_unavailable`` (a quoted SKU no
    longer on sale; nothing is changed), ``permission_denied``."""
    buyer = quotation.buyer
    _buyer_required(buyer, acting_user)
    # The request first, then its quotations by primary key: the one order every writer takes.
    rfq = _request_locked(quotation.request, buyer)
    quotations = list(
        Quotation.objects.visible_to(buyer)
        .filter(request=rfq)
        .select_for_update(of=("self",))
        .select_related("merchant")
        .order_by("pk")
    )
    chosen = next(q for q in quotations if q.pk == quotation.pk)
    transition_apply(
        REQUEST_TRANSITIONS,
        "award",
        rfq,
        acting_user=acting_user,
        organization=buyer,
        audit_action="quotation_request.awarded",
        changes={"closed_at": timezone.now()},
        audit_changes={"quotation": chosen.number},
        error=IllegalQuotationTransition,
        save=False,
    )
    if chosen.status == S.SUBMITTED and quotation_expired(chosen):
        raise QuotationExpired(
            _("Quotation %(number)s expired on %(date)s: ask the merchant for a new one.")
            % {"number": chosen.number, "date": chosen.valid_until.isoformat()}
        )
    transition_apply(
        QUOTATION_TRANSITIONS,
        "accept",
        chosen,
        acting_user=acting_user,
        organization=buyer,
        audit_action="quotation.accepted",
        changes={"accepted_at": timezone.now(), "accepted_by": acting_user},
        error=IllegalQuotationTransition,
    )
    rfq.save()
    until = quoted_until(chosen.valid_until)
    for line in _lines_of(chosen):
        tiers = [(t.min_quantity, t.unit_price_usd) for t in line.tiers.all()]
        cart_add_quoted(
            organization=buyer,
            sku_id=line.sku_id,
            quantity=line.quantity,
            tiers=tiers,
            moq=chosen.moq,
            quotation_number=chosen.number,
            valid_until=until,
            acting_user=acting_user,
        )
    others = [q for q in quotations if q.pk != chosen.pk and q.status == S.SUBMITTED]
    for other in others:
        transition_apply(
            QUOTATION_TRANSITIONS,
            "decline",
            other,
            acting_user=acting_user,
            organization=buyer,
            audit_action="quotation.declined",
            error=IllegalQuotationTransition,
        )
    chosen.request = rfq
    webhook_emit(
        organization=chosen.merchant, event="quotation.accepted", payload=quotation_payload(chosen)
    )
    link = _link("deals:quotation_request", rfq.number)
    _tell(
        organization_staff(organization=chosen.merchant),
        chosen.merchant,
        kind="deals.quotation_accepted",
        template="quotation_accepted",
        context=_quotation_context(chosen),
        link=link,
    )
    for other in others:
        other.request = rfq
        _tell(
            organization_staff(organization=other.merchant),
            other.merchant,
            kind="deals.quotation_not_chosen",
            template="quotation_not_chosen",
            context=_quotation_context(other),
            link=link,
        )
    return chosen
