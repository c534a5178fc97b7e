"""Forms of the operators' China tariff table."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import TariffLine
from catalog.services.tariffs import TARIFF_FIELDS

TARIFF_FILE_MAX_BYTES = 2 * 1024 * 1024


class TariffLineForm(forms.ModelForm):
    class Meta:
        model = TariffLine
        fields = TARIFF_FIELDS
        widgets = {"effective_from": forms.DateInput(attrs={"type": "date"})}


class TariffFilterForm(forms.Form):
    q = forms.CharField(label=_("Code, HS-6 or description"), required=False, max_length=100)
    positive_list = forms.BooleanField(label=_("Positive list only"), required=False)
    all_rows = forms.BooleanField(label=_("Show past and scheduled rows"), required=False)


class TariffImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "A header row, then one row per line: code, hs6, description_en, "
            "description_zh_hans, mfn_duty_percent, additional_duty_percent, "
            "consumption_tax_percent, vat_percent, cross_border_positive_list (yes/no), "
            "effective_from (YYYY-MM-DD). All rows or none are saved."
        ),
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > TARIFF_FILE_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("Save the file as CSV in UTF-8.")) from None
