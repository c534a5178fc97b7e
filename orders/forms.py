"""Forms of wholesale ordering pages."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import SKU
from network.fields import IntegerFormField
from orders.models import (
    DeliveryType,
    Incoterm,
    MerchantOrderSettings,
    PaymentTerms,
    ReceiptProblem,
)


class AddToCartForm(forms.Form):
    sku = IntegerFormField(widget=forms.HiddenInput, column=SKU._meta.pk)
    quantity = IntegerFormField(label=_("Quantity (units)"), min_value=1, max_value=10_000_000)
    # The product page's "order a sample" form: sample units, outside the MOQ and case pack.
    sample = forms.BooleanField(required=False, widget=forms.HiddenInput)


class CartLineForm(forms.Form):
    quantity = IntegerFormField(label=_("Quantity (units)"), min_value=0, max_value=10_000_000)


class CheckoutForm(forms.Form):
    checkout_token = forms.UUIDField(widget=forms.HiddenInput)
    delivery_type = forms.ChoiceField(
        label=_("Deliver to"), choices=DeliveryType.choices, initial=DeliveryType.BONDED
    )
    delivery_location = forms.CharField(
        label=_("Delivery location"),
        max_length=200,
        help_text=_("e.g. Ningbo Meishan bonded warehouse, or the port of Shanghai (CNSHA)."),
    )
    incoterm = forms.ChoiceField(
        label=_("Incoterm"), choices=Incoterm.choices, initial=Incoterm.FOB
    )
    payment_terms = forms.ChoiceField(
        label=_("Payment terms"),
        choices=PaymentTerms.choices,
        initial=PaymentTerms.PREPAID,
        help_text=_("Recorded on the order; payment is settled with each merchant."),
    )
    buyer_reference = forms.CharField(
        label=_("Your PO reference"),
        max_length=35,
        required=False,
        help_text=_("Your own purchase order number; it is printed on the order."),
    )
    notes = forms.CharField(
        label=_("Notes for the merchants"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    travel_together = forms.BooleanField(
        label=_("Ship together"),
        required=False,
        help_text=_(
            "Put every merchant's goods of this order in the same shared container while it "
            "has room, so they arrive together."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            # A fresh token per rendering: a double submit of this page places one order.
            self.initial["checkout_token"] = uuid.uuid4()


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class ShipForm(forms.Form):
    carrier_name = forms.CharField(
        label=_("Carrier"),
        max_length=100,
        required=False,
        help_text=_("e.g. Maersk, UPS Freight, FedEx"),
    )
    booking_reference = forms.CharField(
        label=_("Booking reference"),
        max_length=60,
        required=False,
        help_text=_(
            "One of your organisation's bookings under Shipping (or the carrier's reference "
            "for it); its carrier is the shipment's carrier."
        ),
    )
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=60, required=False)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("carrier_name") and not cleaned.get("booking_reference"):
            self.add_error(
                "carrier_name", _("Name the carrier that takes the goods, or give a booking.")
            )
        return cleaned


class MerchantOrderSettingsForm(forms.ModelForm):
    class Meta:
        model = MerchantOrderSettings
        fields = ["minimum_order_value_usd"]

    def clean_minimum_order_value_usd(self) -> Decimal:
        value = self.cleaned_data["minimum_order_value_usd"]
        if value is None:
            return Decimal("0.00")
        return value


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several files in one field (a list, possibly empty)."""

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultiplePhotoField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class ReceiptProblemForm(forms.Form):
    """What the buyer says is wrong with goods that arrived; the photos are checked by the
    service (their content, not their names)."""

    kind = forms.ChoiceField(
        label=_("What is wrong"),
        choices=ReceiptProblem.Kind.choices,
        widget=forms.RadioSelect,
    )
    description = forms.CharField(
        label=_("Describe the problem"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Which products, how many units, what you see."),
    )
    photos = MultiplePhotoField(
        label=_("Photos"),
        required=False,
        widget=MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("1 to 6 photos, JPEG, PNG or WebP, at most 8 MB each."),
    )
