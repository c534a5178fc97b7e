"""Forms of the buying-again pages; the services check everything again."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SavedListForm(forms.Form):
    name = forms.CharField(label=_("List name"), max_length=100)


class QuickOrderForm(forms.Form):
    lines = forms.CharField(
        label=_("SKU code and quantity, one per line"),
        widget=forms.Textarea(
            attrs={"rows": 8, "placeholder": "MAPLE-500,48\ngreat-lakes/SYRUP-1L,24"}
        ),
        max_length=20000,
        help_text=_(
            "A comma, semicolon, tab or space between code and quantity. Where several "
            "merchants use a code, write the merchant first: merchant/CODE."
        ),
    )


class SaveToListForm(forms.Form):
    sku = forms.IntegerField(widget=forms.HiddenInput)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1)
    list_name = forms.CharField(label=_("List"), max_length=100)
    next = forms.CharField(required=False, widget=forms.HiddenInput)
