from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from catalog.errors import ImageRejected
from catalog.images import process_upload
from catalog.landed_cost import suggested_tariff_codes, tariff_in_force
from catalog.models import SKU, ImportJob, LedgerReason, Product
from catalog.selectors import SORTS, BrowseFilters, CategoryTree
from merchants.us_states import STATE_CHOICES
from network.fields import IntegerFormField


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        depth = getattr(obj, "depth", 0)
        return ("— " * depth) + obj.name


def _taken(instance: Product | SKU, field: str, value: str) -> bool:
    """Whether another row of the instance's merchant already uses ``value`` for ``field`` (a
    code unique per merchant), so the form reports it with its other errors; the service checks
    again under its lock."""
    organization_id = instance.organization_id
    if not value or not organization_id:
        return False
    rows = type(instance).objects.filter(organization_id=organization_id, **{field: value})
    return rows.exclude(pk=instance.pk).exists()


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = [
            "title_en",
            "title_zh_hans",
            "brand",
            "category",
            "reference",
            "description_en",
            "description_zh_hans",
            "hs_code",
            "country_of_origin",
            "lead_time_days",
            "weight_kg",
            "length_cm",
            "width_cm",
            "height_cm",
            "msrp_usd",
        ]
        widgets = {
            "description_en": forms.Textarea(attrs={"rows": 4}),
            "description_zh_hans": forms.Textarea(attrs={"rows": 4}),
            "hs_code": forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "1702200000"}),
            "title_zh_hans": forms.TextInput(attrs={"lang": "zh-Hans"}),
        }

    def __init__(self, *args, tree: CategoryTree | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        hs_code = self.fields["hs_code"]
        # Room for the dots and spaces people type (1702.20.0000); clean_hs_code drops them.
        self.fields["hs_code"] = forms.CharField(
            label=hs_code.label,
            required=False,
            max_length=16,
            help_text=_(
                "Harmonized System code, 6 to 10 digits. A draft can be saved without it; "
                "a listing cannot be published without it."
            ),
            widget=hs_code.widget,
        )
        # Not required to save, yet not optional either: the label says so (catalog/_field.html).
        self.fields["hs_code"].needed_to_publish = True
        self.fields["reference"].required = False
        self.fields["reference"].help_text = _(
            "Your own product or style number; left blank, we make one up."
        )
        if tree is not None:
            ordered = []
            for node, depth in tree.flat():
                node.depth = depth
                ordered.append(node)
            field = CategoryChoiceField(
                queryset=self.fields["category"].queryset,
                label=self.fields["category"].label,
            )
            field.choices = [("", "---------")] + [
                (node.pk, field.label_from_instance(node)) for node in ordered
            ]
            self.fields["category"] = field

    def clean_reference(self) -> str:
        # The reference is unique per merchant; checked here too, so that a taken reference
        # is reported together with every other error of the form (the service re-checks).
        reference = self.cleaned_data.get("reference") or ""
        if _taken(self.instance, "reference", reference):
            raise ValidationError(
                _("You already have a product with the reference %(reference)s.")
                % {"reference": reference}
            )
        return reference

    def clean_hs_code(self) -> str:
        # People write HS codes with dots and spaces (1702.20.0000); the digits are what count.
        return (self.cleaned_data.get("hs_code") or "").replace(".", "").replace(" ", "")


class SKUForm(forms.ModelForm):
    on_hand = IntegerFormField(label=_("Stock on hand"), min_value=0, initial=0)
    low_stock_threshold = IntegerFormField(
        label=_("Low-stock threshold"),
        min_value=0,
        initial=0,
        help_text=_("We alert you when the stock available falls to this level."),
    )

    class Meta:
        model = SKU
        fields = [
            "code",
            "variant_en",
            "variant_zh_hans",
            "case_pack",
            "moq",
            "case_gross_weight_kg",
            "case_length_cm",
            "case_width_cm",
            "case_height_cm",
            "sample_price_usd",
            "sample_limit_per_buyer",
            "cn_tariff_code",
        ]

    def __init__(self, *args, with_stock: bool = True, hs_code: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if not with_stock:
            del self.fields["on_hand"]
            del self.fields["low_stock_threshold"]
        # Optional here: left empty, the SKU keeps its limit (one sample for a new SKU).
        self.fields["sample_limit_per_buyer"].required = False
        # The tariff lines in force under the product's HS-6, offered as the code's choices.
        self.tariff_suggestions = suggested_tariff_codes(hs_code)
        field = self.fields["cn_tariff_code"]
        field.widget.attrs.update({"list": "tariff-suggestions", "inputmode": "numeric"})
        if self.tariff_suggestions:
            field.help_text = _("Suggested from the HS code %(hs)s: %(codes)s.") % {
                "hs": hs_code,
                "codes": ", ".join(
                    f"{line.code} ({line.description})" for line in self.tariff_suggestions
                ),
            }
            if not self.instance.pk and len(self.tariff_suggestions) == 1:
                field.initial = self.tariff_suggestions[0].code
        else:
            field.help_text = _("8 digits, from the network's China tariff table.")

    def clean_sample_limit_per_buyer(self) -> int:
        return (
            self.cleaned_data.get("sample_limit_per_buyer") or self.instance.sample_limit_per_buyer
        )

    def clean_cn_tariff_code(self) -> str:
        code = self.cleaned_data.get("cn_tariff_code") or ""
        if code and tariff_in_force(code) is None:
            raise ValidationError(
                _("%(code)s is not in the network's China tariff table.") % {"code": code}
            )
        return code

    def clean_code(self) -> str:
        # Unique per merchant: reported with the form's other errors (the service re-checks).
        code = self.cleaned_data.get("code") or ""
        if _taken(self.instance, "code", code):
            raise ValidationError(
                _("You already have a SKU with the code %(code)s.") % {"code": code}
            )
        return code

    def clean(self):
        cleaned = super().clean()
        sizes = [cleaned.get(name) for name in CASE_SIZE_FIELDS]
        if any(size is not None for size in sizes) and any(size is None for size in sizes):
            raise ValidationError(
                _("Give the case's length, width and height together, or none of them.")
            )
        return cleaned


CASE_SIZE_FIELDS = ("case_length_cm", "case_width_cm", "case_height_cm")


class TierForm(forms.Form):
    min_quantity = IntegerFormField(label=_("From quantity"), min_value=1)
    unit_price_usd = forms.DecimalField(
        label=_("Unit price (USD)"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )


class BaseTierFormSet(forms.BaseFormSet):
    def tiers(self) -> list[tuple[int, Decimal]]:
        return [
            (form.cleaned_data["min_quantity"], form.cleaned_data["unit_price_usd"])
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not self.tiers():
            raise ValidationError(_("Add at least one price tier."))


TierFormSet = forms.formset_factory(
    TierForm, formset=BaseTierFormSet, extra=0, can_delete=True, max_num=10, validate_max=True
)


def tier_formset(data=None, *, initial=None, extra: int = 3):
    formset_class = forms.formset_factory(
        TierForm,
        formset=BaseTierFormSet,
        extra=extra,
        can_delete=True,
        max_num=10,
        validate_max=True,
    )
    return formset_class(data, initial=initial, prefix="tiers")


class ImageForm(forms.Form):
    image = forms.FileField(
        label=_("Image"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("JPEG, PNG or WebP, at least 200 × 200 pixels, up to 8 MB."),
    )
    alt_text = forms.CharField(label=_("Short description"), max_length=200, required=False)

    def clean_image(self):
        # The picture itself is checked with the form's other fields, not after the product
        # is written, so that one submission reports every error.
        upload = self.cleaned_data.get("image")
        if upload:
            try:
                process_upload(upload)
            except ImageRejected as error:
                raise ValidationError(error.message) from None
            finally:
                upload.seek(0)
        return upload


class StockForm(forms.Form):
    on_hand = IntegerFormField(label=_("On hand"), min_value=0)
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[
            (r.value, r.label)
            for r in (
                LedgerReason.COUNT,
                LedgerReason.RECEIVED,
                LedgerReason.DAMAGED,
                LedgerReason.CORRECTION,
            )
        ],
        initial=LedgerReason.COUNT,
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet"),
        help_text=_("CSV (UTF-8) or XLSX, one row per SKU, in the export's columns."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    all_or_nothing = forms.BooleanField(
        label=_("All or nothing: import nothing if any row has an error"),
        required=False,
        initial=True,
    )


class BrowseForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    category = forms.CharField(required=False, max_length=80)
    state = forms.ChoiceField(
        label=_("Merchant's state"), required=False, choices=[("", _("Any state"))]
    )
    price_min = forms.DecimalField(
        label=_("Unit price from (USD)"), required=False, min_value=0, max_digits=12
    )
    price_max = forms.DecimalField(
        label=_("Unit price to (USD)"), required=False, min_value=0, max_digits=12
    )
    max_moq = IntegerFormField(label=_("Largest MOQ"), required=False, min_value=1)
    brand = forms.CharField(label=_("Brand"), required=False, max_length=120)
    merchant = forms.SlugField(label=_("Merchant"), required=False, max_length=80)
    in_stock = forms.BooleanField(label=_("In stock only"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=list(SORTS.items()))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("Any state")), *STATE_CHOICES]

    def filters(self) -> BrowseFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return BrowseFilters(
            query=(data.get("q") or "").strip(),
            category=data.get("category") or "",
            state=data.get("state") or "",
            price_min=data.get("price_min"),
            price_max=data.get("price_max"),
            max_moq=data.get("max_moq"),
            brand=(data.get("brand") or "").strip(),
            merchant=data.get("merchant") or "",
            in_stock=bool(data.get("in_stock")),
            sort=data.get("sort") or "",
        )


class ManageFilterForm(forms.Form):
    q = forms.CharField(label=_("Search your products"), required=False, max_length=100)
    state = forms.ChoiceField(label=_("Listing state"), required=False)
    low_stock = forms.BooleanField(label=_("Low stock only"), required=False)

    def __init__(self, *args, **kwargs):
        from catalog.models import ListingState

        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("All states")), *ListingState.choices]


FORMAT_CHOICES = ImportJob.Format.choices
