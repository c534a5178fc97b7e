"""Forms of the claim pages; the services check everything again (amounts against escrow,
photos by their content)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from orders.forms import MultiplePhotoField, MultiplePhotoInput
from payments.models import Claim, ClaimReason


class ClaimForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("What is wrong"), choices=ClaimReason.choices, widget=forms.RadioSelect
    )
    description = forms.CharField(
        label=_("Describe the problem"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Which products, how many units, what you see."),
    )
    amount_usd = forms.DecimalField(
        label=_("Amount to refund (US$)"),
        min_value=0.01,
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    photos = MultiplePhotoField(
        label=_("Photos"),
        required=False,
        widget=MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("1 to 6 photos, JPEG, PNG or WebP, at most 8 MB each."),
    )
    refund_method = forms.ChoiceField(
        label=_("Refund as"),
        choices=Claim.RefundMethod.choices,
        initial=Claim.RefundMethod.CREDIT,
        widget=forms.RadioSelect,
    )
    refund_account_name = forms.CharField(label=_("Account holder"), max_length=140, required=False)
    refund_account_number = forms.CharField(
        label=_("Account number or IBAN"), max_length=40, required=False
    )
    refund_bank_bic = forms.CharField(label=_("Bank SWIFT/BIC"), max_length=14, required=False)


class RespondForm(forms.Form):
    """The merchant's answer."""

    ACTIONS = (
        ("accept", _("Accept: refund the amount claimed")),
        ("offer", _("Offer a partial refund")),
        ("dispute", _("Dispute: the network's operators decide")),
    )
    action = forms.ChoiceField(label=_("Your answer"), choices=ACTIONS, widget=forms.RadioSelect)
    offer_usd = forms.DecimalField(
        label=_("Refund offered (US$)"),
        required=False,
        min_value=0.01,
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    text = forms.CharField(
        label=_("Message to the buyer and the operators"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DecideForm(forms.Form):
    """An operator's decision."""

    OUTCOMES = (("refund", _("Refund the buyer")), ("reject", _("Reject the claim")))
    outcome = forms.ChoiceField(label=_("Decision"), choices=OUTCOMES, widget=forms.RadioSelect)
    refund_usd = forms.DecimalField(
        label=_("Refund (US$)"),
        required=False,
        min_value=0.01,
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    refund_method = forms.ChoiceField(
        label=_("Refund as"), choices=Claim.RefundMethod.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Reasons, for both parties"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
