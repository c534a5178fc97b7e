"""Forms of a merchant's buyer price lists."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import PriceList, Product
from catalog.services.price_lists import OwnTier
from network.forms import LongSelect

MAX_OWN_TIERS = 50


class PriceListForm(forms.ModelForm):
    buyer = forms.CharField(
        label=_("Buyer organisation"),
        max_length=200,
        help_text=_("Its exact name or short name (as in its profile address)."),
        widget=forms.TextInput(attrs={"list": "known-buyers", "autocomplete": "off"}),
    )

    class Meta:
        model = PriceList
        fields = ["name", "discount_percent", "valid_from", "valid_until"]
        widgets = {
            "valid_from": forms.DateInput(attrs={"type": "date"}),
            "valid_until": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, with_buyer: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_buyer:
            del self.fields["buyer"]
        else:
            self.order_fields(["buyer"])


class PriceListEntryForm(forms.Form):
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.none(), widget=LongSelect
    )
    discount_percent = forms.DecimalField(
        label=_("Discount (%)"),
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal("99.99"),
        decimal_places=2,
        help_text=_("Leave empty to use the list's discount."),
    )
    tiers = forms.CharField(
        label=_("Own tiers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "MAPLE-500, 48, 7.10"}),
        help_text=_(
            "One per line: SKU code, from quantity, unit price in USD. They beat the discount "
            "from that quantity on."
        ),
    )

    def __init__(self, *args, products=None, **kwargs):
        super().__init__(*args, **kwargs)
        if products is not None:
            self.fields["product"].queryset = products

    def clean_tiers(self) -> list[OwnTier]:
        tiers = []
        lines = [
            line for line in (self.cleaned_data.get("tiers") or "").splitlines() if line.strip()
        ]
        if len(lines) > MAX_OWN_TIERS:
            raise forms.ValidationError(_("At most 50 tiers."))
        for number, line in enumerate(lines, start=1):
            parts = [part.strip() for part in line.replace(";", ",").split(",")]
            try:
                code, quantity, price = parts
                tiers.append(OwnTier(code, int(quantity), Decimal(price.lstrip("$"))))
            except (ValueError, InvalidOperation):
                raise forms.ValidationError(
                    _("Line %(line)s: write “SKU code, from quantity, unit price”.")
                    % {"line": number}
                ) from None
        return tiers


def tiers_text(entry) -> str:
    """An entry's own tiers as the form writes them."""
    return "\n".join(
        f"{tier.sku.code}, {tier.min_quantity}, {tier.unit_price_usd}" for tier in entry.tiers.all()
    )
