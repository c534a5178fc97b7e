"""Forms of the bank transfer pages: the operators' statement upload, match, return and credit
limit."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from payments.camt import MAX_BYTES


class StatementUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Bank statement (camt.053 or camt.054 XML)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xml,application/xml,text/xml"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload


class EntryMatchForm(forms.Form):
    purchase_order = forms.CharField(
        label=_("Purchase order number"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class EntryReturnForm(forms.Form):
    note = forms.CharField(label=_("Why it goes back"), max_length=500)


class CreditLimitForm(forms.Form):
    limit_usd = forms.DecimalField(
        label=_("Credit limit (USD)"),
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
    )
