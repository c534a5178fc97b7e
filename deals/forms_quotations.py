"""Forms of the quotation pages; the services check everything again (files by their content,
SKUs against the merchant's own listings, tiers against the MOQ)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Category
from catalog.selectors import category_tree
from network.forms import LongSelect
from orders.forms import MultiplePhotoField, MultiplePhotoInput
from orders.models import Incoterm
from shipping.models import Port

TIERS_PER_LINE = 3


class QuotationRequestForm(forms.Form):
    title = forms.CharField(
        label=_("What you are looking for"),
        max_length=200,
        help_text=_("For example: maple syrup 500 ml glass bottles, private label."),
    )
    description = forms.CharField(
        label=_("Details"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Specifications, packaging, labelling, certificates you need."),
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.all(),
        required=False,
        help_text=_("Merchants selling in this category see your request."),
    )
    quantity = forms.IntegerField(
        label=_("Quantity (units)"),
        min_value=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    target_unit_price_usd = forms.DecimalField(
        label=_("Target unit price (US$)"),
        required=False,
        min_value=0.01,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    destination_port = forms.ModelChoiceField(
        label=_("Destination port"), queryset=Port.objects.all(), required=False
    )
    incoterm = forms.ChoiceField(label=_("Incoterm"), choices=Incoterm.choices, initial="FOB")
    needed_by = forms.DateField(
        label=_("Needed by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    files = MultiplePhotoField(
        label=_("Files"),
        required=False,
        widget=MultiplePhotoInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
        help_text=_("Up to 5 drawings, specifications or photos: PDF, PNG or JPEG."),
    )

    def __init__(self, *args, product=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.product = product
        tree = category_tree()
        self.fields["category"].choices = [("", "—")] + [
            (node.pk, "\u2003" * depth + node.name) for node, depth in tree.flat()
        ]
        if product is not None:
            self.fields["category"].help_text = _(
                "Leave empty to ask only about this product and its category."
            )


class QuotationForm(forms.Form):
    moq = forms.IntegerField(
        label=_("Minimum order quantity"),
        min_value=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    lead_time_days = forms.IntegerField(
        label=_("Lead time (days)"),
        min_value=0,
        max_value=365,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    valid_until = forms.DateField(
        label=_("Valid until"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["valid_until"].initial = timezone.localdate() + timedelta(days=14)


class QuotationLineForm(forms.Form):
    """One SKU of the quotation with up to three price tiers."""

    # Every quotable SKU of the merchant, on every line: written in one pass (LongSelect), as
    # Django's option templates made the quotation page the slowest of the site (111 ms).
    sku = forms.TypedChoiceField(label=_("SKU"), coerce=int, required=False, widget=LongSelect)
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, skus=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sku"].choices = [("", "—")] + [
            (sku.pk, f"{sku.code} · {sku.product.title}") for sku in skus
        ]
        for n in range(1, TIERS_PER_LINE + 1):
            self.fields[f"tier_{n}_quantity"] = forms.IntegerField(
                label=_("From quantity"),
                min_value=1,
                required=False,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )
            self.fields[f"tier_{n}_price"] = forms.DecimalField(
                label=_("Unit price (US$)"),
                min_value=0.01,
                max_digits=12,
                decimal_places=2,
                required=False,
                widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
            )

    def tier_fields(self):
        return [
            (self[f"tier_{n}_quantity"], self[f"tier_{n}_price"])
            for n in range(1, TIERS_PER_LINE + 1)
        ]

    def clean(self):
        data = super().clean()
        if data.get("sku") and not data.get("quantity"):
            self.add_error("quantity", _("Enter the quantity quoted."))
        tiers = []
        for n in range(1, TIERS_PER_LINE + 1):
            quantity, price = data.get(f"tier_{n}_quantity"), data.get(f"tier_{n}_price")
            if (quantity is None) != (price is None):
                self.add_error(f"tier_{n}_price", _("Give each tier a quantity and a price."))
            elif quantity is not None:
                tiers.append((quantity, price))
        if data.get("sku") and not tiers:
            self.add_error("tier_1_price", _("Give at least one price tier."))
        data["tiers"] = tiers
        return data


QuotationLineFormSet = forms.formset_factory(QuotationLineForm, extra=3, max_num=20)
