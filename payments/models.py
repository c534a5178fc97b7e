"""Trade assurance: what the buyer pays the network, what the network holds in escrow per merchant
order, and what it pays on to the merchant once the goods arrive as described.

- **Ledger.** Every money movement is one ``LedgerTransaction`` whose ``Posting`` amounts sum to
  zero (a PostgreSQL constraint trigger checks it at commit), in USD. A posting is signed: debit
  positive, credit negative. Balances are sums of postings, never stored.
- **Payment plans** (one per merchant order) say what is due when, from the purchase order's
  terms; a ``PurchaseOrderPayment`` carries the purchase order's bank transfer reference.
- **Bank statements** (camt.053 / camt.054) are imported once per message; each entry once per
  bank reference, whichever message reported it, and is matched to a purchase order, a payout,
  or waits in the operators' queue.
- **Claims** on a merchant order freeze its escrow until decided.
- **Payouts**: a weekly run pays each merchant's released funds to its confirmed bank account in
  one pain.001 file; the statement's debit marks a payout paid."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from network.models import Organization
from network.storage import private_storage
from network.tenancy import PartyManager
from orders.models import MerchantOrder, PurchaseOrder

MONEY = {"max_digits": 14, "decimal_places": 2}
USD = "USD"


# --- Ledger ------------------------------------------------------------------------------------


class AccountKind(models.TextChoices):
    # The network's own accounts (no organisation):
    BANK = "bank", _("Collection bank account")
    SUSPENSE = "suspense", _("Unmatched receipts")
    COMMISSION = "commission", _("Network commission")
    PAYOUTS_IN_TRANSIT = "payouts_in_transit", _("Payouts sent, not yet debited")
    REFUNDS = "refunds", _("Refunds to transfer")
    # One per buyer: money received and not yet applied to an order (the buyer's credit).
    BUYER = "buyer", _("Buyer credit")
    # One per merchant order: the buyer's money held until the goods arrive as described.
    ESCROW = "escrow", _("Escrow")
    # One per merchant: released funds owed to the merchant, paid out weekly.
    MERCHANT = "merchant", _("Merchant payable")


# Debit-normal accounts read their balance as the sum of postings; the others (what the network
# owes someone, or has earned) as minus that sum, so every balance shown is positive.
DEBIT_NORMAL = (AccountKind.BANK,)
# Accounts whose balance may never go below zero (checked by the database at commit).
NEVER_NEGATIVE = (
    AccountKind.BUYER,
    AccountKind.ESCROW,
    AccountKind.MERCHANT,
    AccountKind.REFUNDS,
    AccountKind.PAYOUTS_IN_TRANSIT,
    AccountKind.SUSPENSE,
    AccountKind.COMMISSION,
)


class LedgerAccount(models.Model):
    """An account of the ledger. ``organization`` is the party it belongs to (a buyer, a
    merchant, or for escrow the merchant whose order it holds, with ``buyer`` the other party);
    the network's own accounts have neither and are seen by operators only."""

    kind = models.CharField(_("account"), max_length=20, choices=AccountKind.choices)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    buyer = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    merchant_order = models.OneToOneField(
        MerchantOrder,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="escrow_account",
    )
    currency = models.CharField(max_length=3, default=USD)
    created_at = models.DateTimeField(default=timezone.now)

    objects = PartyManager.of("organization", "buyer", operators=True)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints = [
            # One network account per kind, one buyer or merchant account per organisation, one
            # escrow account per merchant order.
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(organization__isnull=True),
                name="ledgeraccount_one_network_account",
            ),
            models.UniqueConstraint(
                fields=["kind", "organization"],
                condition=Q(kind__in=["buyer", "merchant"]),
                name="ledgeraccount_one_per_party",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="escrow", merchant_order__isnull=False, organization__isnull=False)
                    | Q(kind__in=["buyer", "merchant"], organization__isnull=False)
                    | Q(
                        kind__in=[
                            "bank",
                            "suspense",
                            "commission",
                            "payouts_in_transit",
                            "refunds",
                        ],
                        organization__isnull=True,
                    )
                ),
                name="ledgeraccount_kind_parties",
            ),
            models.CheckConstraint(condition=Q(currency="USD"), name="ledgeraccount_usd"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.organization_id or '-'}:{self.merchant_order_id or '-'}"


class TransactionKind(models.TextChoices):
    PAYMENT_RECEIVED = "payment_received", _("Payment received")
    PAYMENT_UNMATCHED = "payment_unmatched", _("Payment received, not matched")
    PAYMENT_MATCHED = "payment_matched", _("Payment matched by an operator")
    PAYMENT_RETURNED = "payment_returned", _("Payment returned")
    FUNDS_APPLIED = "funds_applied", _("Paid into escrow")
    FUNDS_RELEASED = "funds_released", _("Released to the merchant")
    REFUND_CREDIT = "refund_credit", _("Refund as credit")
    REFUND_TRANSFER = "refund_transfer", _("Refund by transfer")
    REFUND_SENT = "refund_sent", _("Refund transfer sent")
    ORDER_ENDED = "order_ended", _("Order ended: escrow back to credit")
    PAYOUT_SENT = "payout_sent", _("Payout sent")
    PAYOUT_SETTLED = "payout_settled", _("Payout debited by the bank")


class LedgerTransaction(models.Model):
    """One money movement: its postings sum to zero. ``organization``/``merchant`` name the
    parties who see it (the buyer and the merchant of an order; one of them, or neither for the
    network's internal moves). ``idempotency_key`` makes a movement happen once: the same key
    posts nothing the second time."""

    kind = models.CharField(max_length=24, choices=TransactionKind.choices)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("buyer"),
    )
    merchant = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("merchant"),
    )
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    merchant_order = models.ForeignKey(
        MerchantOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    memo = models.CharField(_("description"), max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(_("date"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = PartyManager.of("organization", "merchant", operators=True)

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["merchant", "created_at"], name="ledgertx_merchant_created"),
            models.Index(fields=["organization", "created_at"], name="ledgertx_buyer_created"),
            models.Index(fields=["kind", "created_at"], name="ledgertx_kind_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key}"


class Posting(models.Model):
    """One leg of a transaction: a signed amount (debit +, credit −) on one account."""

    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="postings"
    )
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="postings")
    amount = models.DecimalField(**MONEY)
    # Copied from the transaction so a party's postings are read without a join.
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    merchant = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = PartyManager.of("organization", "merchant", operators=True)

    class Meta:
        ordering = ["transaction_id", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="posting_not_zero"),
        ]
        indexes = [models.Index(fields=["account", "transaction"], name="posting_account_tx")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount}"


# --- Payment plans -----------------------------------------------------------------------------


class PurchaseOrderPayment(models.Model):
    """The purchase order's bank transfer reference (ISO 11649 ``RF…``), unique on the network."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("buyer")
    )
    purchase_order = models.OneToOneField(
        PurchaseOrder, on_delete=models.CASCADE, related_name="payment"
    )
    reference = models.CharField(_("payment reference"), max_length=35, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = PartyManager.of("organization", operators=True)

    class Meta:
        verbose_name = _("purchase order payment")
        verbose_name_plural = _("purchase order payments")

    def __str__(self) -> str:
        return self.reference


class PlanKind(models.TextChoices):
    PREPAID = "prepaid", _("Prepaid: all before shipment")
    DEPOSIT = "deposit", _("Deposit at order, balance before shipment")
    NET_30 = "net30", _("Net 30 from shipment")
    NET_60 = "net60", _("Net 60 from shipment")


class PaymentPlan(models.Model):
    """What the buyer owes for one merchant order, and when: ``deposit_usd`` at order,
    ``pre_shipment_usd`` (the deposit included) before the merchant may ship, the rest by
    ``due_on`` (net terms: set when shipped). What has been paid is the escrow account's
    postings."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("buyer")
    )
    merchant = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("merchant")
    )
    merchant_order = models.OneToOneField(
        MerchantOrder, on_delete=models.CASCADE, related_name="payment_plan"
    )
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="payment_plans"
    )
    kind = models.CharField(_("payment plan"), max_length=10, choices=PlanKind.choices)
    total_usd = models.DecimalField(_("total (USD)"), **MONEY)
    deposit_usd = models.DecimalField(_("deposit (USD)"), **MONEY, default=Decimal("0.00"))
    pre_shipment_usd = models.DecimalField(_("due before shipment (USD)"), **MONEY)
    due_on = models.DateField(_("due"), null=True, blank=True)
    # Escrow released to the merchant (receipt confirmed, or the window passed with no claim).
    released_at = models.DateTimeField(null=True, blank=True)
    # The most recent time the buyer's money reached this plan's escrow in full.
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = PartyManager.of("organization", "merchant", operators=True)

    class Meta:
        verbose_name = _("payment plan")
        verbose_name_plural = _("payment plans")
        ordering = ["purchase_order_id", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(deposit_usd__gte=0)
                & Q(deposit_usd__lte=models.F("pre_shipment_usd"))
                & Q(pre_shipment_usd__lte=models.F("total_usd")),
                name="paymentplan_amounts_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merchant_order_id} {self.kind}"


class BuyerCredit(models.Model):
    """The net-terms credit limit an operator sets for a buyer: open net-terms orders (shipped
    or not, unpaid) may not exceed it."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("buyer")
    )
    limit_usd = models.DecimalField(_("credit limit (USD)"), **MONEY, default=Decimal("0.00"))
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = PartyManager.of("organization", operators=True)

    class Meta:
        verbose_name = _("buyer credit limit")
        verbose_name_plural = _("buyer credit limits")
        constraints = [
            models.CheckConstraint(condition=Q(limit_usd__gte=0), name="buyercredit_limit_min"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.limit_usd}"


# --- Bank statements ---------------------------------------------------------------------------


class BankStatement(models.Model):
    """One ISO 20022 message an operator uploaded (camt.053 statement or camt.054 notification);
    the same message (by its message id) is imported once."""

    class Kind(models.TextChoices):
        CAMT053 = "camt.053", _("Statement (camt.053)")
        CAMT054 = "camt.054", _("Notification (camt.054)")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    message_id = models.CharField(_("message id"), max_length=100, unique=True)
    account = models.CharField(_("account"), max_length=60, blank=True)
    created_on = models.DateTimeField(_("created by the bank"), null=True, blank=True)
    file = models.FileField(upload_to="bank-statements/", storage=private_storage, max_length=200)
    sha256 = models.CharField(max_length=64)
    entry_count = models.PositiveIntegerField(default=0)
    new_entry_count = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    objects = PartyManager.of(operators=True)

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return self.message_id


class BankEntry(models.Model):
    """One booked entry of the collection account. ``bank_reference`` (the bank's own
    reference, else a digest of the entry) is unique: an entry reported by a camt.054 and again
    by the day's camt.053 is credited once."""

    class Direction(models.TextChoices):
        CREDIT = "CRDT", _("Received")
        DEBIT = "DBIT", _("Sent")

    class Status(models.TextChoices):
        MATCHED = "matched", _("Matched")
        UNMATCHED = "unmatched", _("Waiting for an operator")
        RETURNED = "returned", _("Returned to the sender")
        IGNORED = "ignored", _("Not ours to match")

    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="entries")
    bank_reference = models.CharField(_("bank reference"), max_length=100, unique=True)
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    booking_date = models.DateField(_("booked"), null=True, blank=True)
    value_date = models.DateField(_("value date"), null=True, blank=True)
    remittance = models.CharField(_("remittance information"), max_length=500, blank=True)
    end_to_end_id = models.CharField(_("end-to-end id"), max_length=35, blank=True)
    counterparty = models.CharField(_("from / to"), max_length=140, blank=True)
    # The sender's account and bank, where the statement gives them: what a return goes back to.
    counterparty_account = models.CharField(_("their account"), max_length=34, blank=True)
    counterparty_bic = models.CharField(_("their bank (BIC)"), max_length=11, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    # Set when matched to a buyer's purchase order; the buyer then sees the entry.
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("buyer"),
    )
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = PartyManager.of("organization", operators=True)

    class Meta:
        verbose_name = _("bank entry")
        verbose_name_plural = _("bank entries")
        ordering = ["-booking_date", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="bankentry_amount_positive"),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="bankentry_status")]

    def __str__(self) -> str:
        return self.bank_reference


# --- Claims ------------------------------------------------------------------------------------


class ClaimReason(models.TextChoices):
    NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
    COUNTERFEIT = "counterfeit", _("Counterfeit")
    SHORT = "short", _("Quantity short")
    DAMAGED = "damaged", _("Damaged")
    LATE = "late", _("Late")


class ClaimStatus(models.TextChoices):
    AWAITING_MERCHANT = "awaiting_merchant", _("Waiting for the merchant")
    OFFERED = "offered", _("Partial refund offered")
    WITH_OPERATORS = "with_operators", _("With the network's operators")
    REFUNDED = "refunded", _("Refunded")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_CLAIM_STATUSES = (
    ClaimStatus.AWAITING_MERCHANT,
    ClaimStatus.OFFERED,
    ClaimStatus.WITH_OPERATORS,
)


class Claim(models.Model):
    """A buyer's claim on a merchant order; while open, the order's escrow is never released."""

    class RefundMethod(models.TextChoices):
        CREDIT = "credit", _("Credit for my next order")
        TRANSFER = "transfer", _("Bank transfer back to me")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("buyer")
    )
    merchant = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("merchant")
    )
    merchant_order = models.ForeignKey(
        MerchantOrder, on_delete=models.PROTECT, related_name="claims"
    )
    number = models.CharField(_("claim number"), max_length=24, unique=True)
    reason = models.CharField(_("reason"), max_length=20, choices=ClaimReason.choices)
    description = models.TextField(_("what is wrong"), max_length=2000)
    amount_usd = models.DecimalField(_("amount claimed (USD)"), **MONEY)
    refund_method = models.CharField(
        _("refund as"), max_length=10, choices=RefundMethod.choices, default=RefundMethod.CREDIT
    )
    # The buyer's bank account for a refund by transfer (name, account/IBAN, SWIFT BIC).
    refund_account_name = models.CharField(_("account holder"), max_length=140, blank=True)
    refund_account_number = models.CharField(_("account number or IBAN"), max_length=34, blank=True)
    refund_bank_bic = models.CharField(_("bank SWIFT/BIC"), max_length=11, blank=True)
    receipt_problem = models.OneToOneField(
        "orders.ReceiptProblem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="claim",
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ClaimStatus.choices,
        default=ClaimStatus.AWAITING_MERCHANT,
    )
    respond_by = models.DateTimeField(_("merchant to answer by"))
    merchant_response = models.TextField(_("merchant's answer"), max_length=2000, blank=True)
    offer_usd = models.DecimalField(_("refund offered (USD)"), **MONEY, null=True, blank=True)
    decision_note = models.TextField(_("decision"), max_length=2000, blank=True)
    refund_usd = models.DecimalField(_("refunded (USD)"), **MONEY, null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    escalated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    objects = PartyManager.of("organization", "merchant", operators=True)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_usd__gt=0), name="claim_amount_positive"),
            # One open claim per merchant order at a time.
            models.UniqueConstraint(
                fields=["merchant_order"],
                condition=Q(status__in=["awaiting_merchant", "offered", "with_operators"]),
                name="claim_one_open_per_order",
            ),
        ]
        indexes = [models.Index(fields=["status", "respond_by"], name="claim_status_respond")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CLAIM_STATUSES


def _claim_photo_path(instance: ClaimPhoto, filename: str) -> str:
    return f"claims/{instance.organization_id}/{uuid.uuid4().hex}"


class ClaimPhoto(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("buyer")
    )
    merchant = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("merchant")
    )
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(
        _("photo"), upload_to=_claim_photo_path, storage=private_storage, max_length=200
    )
    content_type = models.CharField(max_length=50)
    created_at = models.DateTimeField(default=timezone.now)

    objects = PartyManager.of("organization", "merchant", operators=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.image.name


# --- Payouts -----------------------------------------------------------------------------------


class MerchantBankAccount(models.Model):
    """Where a merchant's payouts go: a US account (ABA routing number checked, the account
    number shown only by its last four digits once saved). A new or changed account is
    ``pending`` until confirmed by a second factor or the link mailed to the owners; payouts go
    to the ``active`` one only."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        ACTIVE = "active", _("Active")
        REPLACED = "replaced", _("Replaced")

    class AccountType(models.TextChoices):
        CHECKING = "checking", _("Checking")
        SAVINGS = "savings", _("Savings")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("merchant")
    )
    holder_name = models.CharField(_("account holder"), max_length=140)
    bank_name = models.CharField(_("bank"), max_length=140, blank=True)
    routing_number = models.CharField(_("routing number (ABA)"), max_length=9)
    # Kept encrypted (see payments.payouts.bank_accounts); only the last four digits are shown.
    account_number = models.CharField(_("account number"), max_length=300)
    account_last4 = models.CharField(max_length=4)
    account_type = models.CharField(
        _("account type"), max_length=10, choices=AccountType.choices, default="checking"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    confirmation_token = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = PartyManager.of("organization", operators=True)

    class Meta:
        verbose_name = _("payout bank account")
        verbose_name_plural = _("payout bank accounts")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(status="active"),
                name="merchantbankaccount_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"…{self.account_last4}"


class PayoutRun(models.Model):
    """One weekly batch: a pain.001 file with a credit transfer per merchant (and per refund by
    transfer). ``week`` (the Monday) is unique: a run interrupted and started again completes
    the same run, paying no one twice."""

    class Status(models.TextChoices):
        BUILDING = "building", _("Being prepared")
        READY = "ready", _("File ready for the bank")
        SETTLED = "settled", _("Every payout debited")

    week = models.DateField(_("week of"), unique=True)
    message_id = models.CharField(_("message id"), max_length=35, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.BUILDING
    )
    file = models.FileField(
        upload_to="payout-files/", storage=private_storage, max_length=200, blank=True
    )
    total_usd = models.DecimalField(_("total (USD)"), **MONEY, default=Decimal("0.00"))
    payout_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    file_built_at = models.DateTimeField(null=True, blank=True)

    objects = PartyManager.of(operators=True)

    class Meta:
        verbose_name = _("payout run")
        verbose_name_plural = _("payout runs")
        ordering = ["-week"]

    def __str__(self) -> str:
        return self.message_id


class Payout(models.Model):
    """A credit transfer of one run: to a merchant (its released funds) or back to a buyer (a
    refund by transfer). ``end_to_end_id`` is unique and comes back on the bank's statement."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent to the bank")
        PAID = "paid", _("Paid")

    class Kind(models.TextChoices):
        MERCHANT = "merchant", _("Payout")
        REFUND = "refund", _("Refund")

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="payouts")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MERCHANT)
    # The party paid: a merchant (payout) or a buyer (refund); none for a transfer sent back
    # to an unknown sender.
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("paid to"),
    )
    bank_account = models.ForeignKey(
        MerchantBankAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    claim = models.OneToOneField(
        Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="refund_payout"
    )
    # A received transfer an operator sent back (unknown sender, wrong currency, …).
    returns_entry = models.OneToOneField(
        BankEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="return_payout"
    )
    amount_usd = models.DecimalField(_("amount (USD)"), **MONEY)
    end_to_end_id = models.CharField(max_length=35, unique=True)
    # Copied when the file is built: what the bank was told.
    creditor_name = models.CharField(max_length=140)
    creditor_account = models.CharField(max_length=34)
    creditor_agent = models.CharField(max_length=11)
    status = models.CharField(
        _("status"), max_length=6, choices=Status.choices, default=Status.SENT
    )
    bank_entry = models.OneToOneField(
        BankEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="payout"
    )
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    objects = PartyManager.of("organization", operators=True)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_usd__gt=0), name="payout_amount_positive"),
            # One merchant payout per merchant per run.
            models.UniqueConstraint(
                fields=["run", "organization"],
                condition=Q(kind="merchant"),
                name="payout_one_per_merchant_per_run",
            ),
        ]

    def __str__(self) -> str:
        return self.end_to_end_id
