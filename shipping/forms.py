"""Forms of the shipping pages."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from network.fields import IntegerFormField
from shipping import selectors
from shipping.equipment import EQUIPMENT_TYPES, normalize_equipment_code
from shipping.models import Carrier, Lane, Sailing
from shipping.validators import validate_hs_code

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def equipment_field_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} · {e.label} ({e.aliases[0]})") for code, e in EQUIPMENT_TYPES.items()]


def _split(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,;\n]+", value or "") if part.strip()]


class EquipmentField(forms.ChoiceField):
    """A choice of ISO 6346 code that also accepts the trade's shorthand (40HC → 45G1)."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return value
        try:
            return normalize_equipment_code(value)
        except ValidationError as error:
            raise ValidationError(error.messages[0], code="invalid_equipment") from error


class SailingSearchForm(forms.Form):
    origin = forms.ChoiceField(label=_("From"))
    destination = forms.ChoiceField(label=_("To"))
    departure_from = forms.DateField(
        label=_("Departing from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    departure_to = forms.DateField(
        label=_("Departing by"), widget=forms.DateInput(attrs={"type": "date"})
    )
    equipment = EquipmentField(label=_("Equipment"), choices=equipment_field_choices)

    def __init__(self, data=None, **kwargs):
        today = timezone.localdate()
        defaults = {
            "departure_from": today.isoformat(),
            "departure_to": (today + timedelta(weeks=10)).isoformat(),
            "equipment": "45G1",
        }
        if data is not None:
            data = {**defaults, **{k: v for k, v in data.items() if v}}
        super().__init__(data, **kwargs)
        any_port = [("", _("Any port"))]
        self.fields["origin"].choices = any_port + [
            (p.un_locode, f"{p.name} ({p.un_locode})") for p in selectors.ports_of_loading()
        ]
        self.fields["destination"].choices = any_port + [
            (p.un_locode, f"{p.name} ({p.un_locode})") for p in selectors.ports_of_discharge()
        ]
        self.fields["origin"].required = self.fields["destination"].required = False

    def clean(self):
        data = super().clean()
        start, end = data.get("departure_from"), data.get("departure_to")
        if start and end and end < start:
            self.add_error("departure_to", _("The window must end after it starts."))
        if start and end and (end - start).days > 180:
            self.add_error("departure_to", _("Search at most 180 days at a time."))
        return data


class BookingForm(forms.Form):
    units = IntegerFormField(label=_("Containers"), min_value=1, max_value=500, initial=1)
    commodity_description = forms.CharField(
        label=_("Commodity"),
        max_length=550,
        help_text=_("What the containers carry, as on the commercial invoice."),
    )
    hs_codes = forms.CharField(
        label=_("HS codes"),
        help_text=_("6 to 10 digits each, separated by commas."),
    )
    gross_weight_kg = IntegerFormField(
        label=_("Gross cargo weight (kg)"),
        min_value=1,
        help_text=_("All containers together, without the containers' tare."),
    )
    shipper_name = forms.CharField(label=_("Shipper"), max_length=70)
    shipper_address = forms.CharField(
        label=_("Shipper address"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )
    consignee_name = forms.CharField(label=_("Consignee"), max_length=70)
    consignee_address = forms.CharField(
        label=_("Consignee address"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )
    order_references = forms.CharField(
        label=_("Merchant orders carried"),
        required=False,
        help_text=_("Optional: order numbers, separated by commas."),
    )

    def clean_hs_codes(self) -> list[str]:
        codes = [code.replace(".", "") for code in _split(self.cleaned_data["hs_codes"])]
        if not codes:
            raise ValidationError(_("Give at least one HS code."))
        if len(codes) > 10:
            raise ValidationError(_("Give at most 10 HS codes."))
        for code in codes:
            validate_hs_code(code)
        return codes

    def clean_order_references(self) -> list[str]:
        references = _split(self.cleaned_data["order_references"])
        for reference in references:
            if len(reference) > 35:
                raise ValidationError(
                    _("An order number has at most 35 characters: %(ref)s") % {"ref": reference}
                )
        return references


class AmendForm(forms.Form):
    units = IntegerFormField(label=_("Containers"), min_value=1, max_value=500)
    gross_weight_kg = IntegerFormField(label=_("Gross cargo weight (kg)"), min_value=1)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"), required=False, max_length=500, widget=forms.TextInput
    )


class CarrierForm(forms.ModelForm):
    class Meta:
        model = Carrier
        fields = [
            "scac",
            "name",
            "adapter",
            "service_contract_reference",
            "free_cancellation_days",
            "cancellation_fee_per_container",
            "tracking_url_template",
            "is_active",
        ]
        widgets = {
            "tracking_url_template": forms.URLInput(
                attrs={"placeholder": "https://www.maersk.com/tracking/{number}"}
            )
        }


# What a carrier's published schedule decides: shown, never edited, on its sailings.
SCHEDULE_FIELDS = (
    "carrier",
    "service_code",
    "vessel_name",
    "vessel_imo",
    "voyage_number",
    "port_of_loading",
    "port_of_discharge",
    "etd",
    "eta",
    "documentation_cutoff",
    "cargo_cutoff",
)


class SailingForm(forms.ModelForm):
    """A sailing with, for each equipment type, an optional price and forwarder price. On a
    sailing from a carrier's schedule only the network's part (allocation, booking window,
    publication, prices) is edited."""

    class Meta:
        model = Sailing
        fields = [
            *SCHEDULE_FIELDS,
            "capacity_teu",
            "capacity_weight_kg",
            "booking_opens_at",
            "booking_closes_at",
            "is_published",
        ]
        widgets = {
            name: DATETIME_WIDGET
            for name in (
                "etd",
                "eta",
                "documentation_cutoff",
                "cargo_cutoff",
                "booking_opens_at",
                "booking_closes_at",
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.Meta.widgets:
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"]
        if self.from_schedule:
            # Disabled fields take the instance's value whatever is posted.
            for name in SCHEDULE_FIELDS:
                self.fields[name].disabled = True
        existing = {}
        if self.instance.pk:
            existing = {rate.equipment_code: rate for rate in self.instance.rates.all()}
        for code, equipment in EQUIPMENT_TYPES.items():
            rate = existing.get(code)
            self.fields[f"price_{code}"] = forms.DecimalField(
                label=_("%(code)s price (USD)") % {"code": code},
                required=False,
                min_value=Decimal("0"),
                max_digits=12,
                decimal_places=2,
                initial=rate.price if rate else None,
            )
            self.fields[f"forwarder_{code}"] = forms.DecimalField(
                label=_("%(code)s forwarder price (USD)") % {"code": code},
                required=False,
                min_value=Decimal("0"),
                max_digits=12,
                decimal_places=2,
                initial=rate.forwarder_price if rate else None,
            )
            self.fields[f"price_{code}"].equipment = equipment

    @property
    def from_schedule(self) -> bool:
        return self.instance.source == Sailing.Source.SCHEDULE

    def editable_fields(self):
        """The fields an operator fills in (a schedule sailing's dates are the carrier's)."""
        return [
            self[name]
            for name in self.Meta.fields
            if not (self.from_schedule and name in SCHEDULE_FIELDS)
        ]

    def rate_fields(self):
        return [
            (code, self[f"price_{code}"], self[f"forwarder_{code}"]) for code in EQUIPMENT_TYPES
        ]

    def clean(self):
        data = super().clean()
        if self.from_schedule:
            # The schedule's values exactly as stored (a form field would drop the seconds).
            data.update({name: getattr(self.instance, name) for name in SCHEDULE_FIELDS})
        rates = []
        for code in EQUIPMENT_TYPES:
            price, forwarder = data.get(f"price_{code}"), data.get(f"forwarder_{code}")
            if price is None and forwarder is None:
                continue
            if price is None or forwarder is None:
                self.add_error(f"price_{code}", _("Give both prices, or neither."))
                continue
            rates.append((code, price, forwarder))
        if not rates and not self.errors:
            raise ValidationError(_("Offer at least one equipment type with a price."))
        data["rates"] = rates
        return data


class LaneForm(forms.ModelForm):
    """A new lane: a US port of loading and a port of discharge abroad."""

    class Meta:
        model = Lane
        fields = ["port_of_loading", "port_of_discharge"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["port_of_loading"].queryset = selectors.ports_of_loading()
        self.fields["port_of_discharge"].queryset = selectors.ports_of_discharge()
