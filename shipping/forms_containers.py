"""Forms of the shared-container pages: a merchant's space, an operator's container."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shipping.equipment import EQUIPMENT_TYPES
from shipping.forms import DATETIME_WIDGET
from shipping.models import Sailing

DEFAULT_EQUIPMENT = "45G1"
DEFAULT_CAPACITY_M3 = Decimal("58.0")  # what a 40' high cube holds once stowed


class SpaceForm(forms.Form):
    volume_m3 = forms.DecimalField(
        label=_("Volume (m³)"),
        min_value=Decimal("1.0"),
        max_digits=7,
        decimal_places=1,
        help_text=_("At least 1.0 m³, with one decimal."),
        widget=forms.NumberInput(attrs={"step": "0.1", "min": "1.0", "inputmode": "decimal"}),
    )
    weight_kg = forms.IntegerField(
        label=_("Gross weight (kg)"),
        min_value=1,
        max_value=30_000,
        widget=forms.NumberInput(attrs={"min": "1", "inputmode": "numeric"}),
    )
    no_dangerous_goods = forms.BooleanField(
        label=_("I declare that the cargo holds no dangerous goods (no IMDG class)."),
        required=True,
        error_messages={
            "required": _("A shared container takes no dangerous goods: confirm there are none.")
        },
    )


class SpaceCancelForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, give this space back."),
        required=True,
        error_messages={"required": _("Tick the box to confirm.")},
    )


def _dry_equipment_choices() -> list[tuple[str, str]]:
    return [
        (code, f"{code} · {equipment.label}")
        for code, equipment in EQUIPMENT_TYPES.items()
        if not equipment.reefer
    ]


class ContainerOpenForm(forms.Form):
    sailing = forms.ModelChoiceField(label=_("Sailing"), queryset=Sailing.objects.none())
    equipment_code = forms.ChoiceField(
        label=_("Equipment"), choices=_dry_equipment_choices, initial=DEFAULT_EQUIPMENT
    )
    capacity_m3 = forms.DecimalField(
        label=_("Usable volume (m³)"),
        min_value=Decimal("1.0"),
        max_digits=7,
        decimal_places=1,
        initial=DEFAULT_CAPACITY_M3,
    )
    capacity_kg = forms.IntegerField(
        label=_("Payload (kg)"),
        min_value=1,
        initial=EQUIPMENT_TYPES[DEFAULT_EQUIPMENT].max_payload_kg,
        help_text=_("At most the equipment's maximum payload."),
    )
    price_per_wm = forms.DecimalField(
        label=_("Price per W/M (USD)"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    forwarder_price_per_wm = forms.DecimalField(
        label=_("Forwarder's LCL price per W/M (USD)"),
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
    )
    warehouse_name = forms.CharField(label=_("Consolidation warehouse"), max_length=100)
    warehouse_address = forms.CharField(
        label=_("Warehouse address"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    receiving_cutoff = forms.DateTimeField(
        label=_("Receiving cut-off"),
        widget=DATETIME_WIDGET,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"],
        help_text=_("Before the carrier's cargo cut-off."),
    )
    fill_threshold_percent = forms.IntegerField(
        label=_("Minimum fill (%)"), min_value=1, max_value=100, initial=60
    )
    decide_days_before_deadline = forms.IntegerField(
        label=_("Decide (days before the cancellation deadline)"),
        min_value=0,
        max_value=30,
        initial=2,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        now = timezone.now()
        self.fields["sailing"].queryset = (
            Sailing.objects.filter(
                is_published=True,
                is_omitted=False,
                booking_opens_at__lte=now,
                booking_closes_at__gt=now,
                rates__equipment_code__in=[code for code, _label in _dry_equipment_choices()],
            )
            .distinct()
            .select_related("port_of_loading", "port_of_discharge")
            .order_by("etd", "pk")
        )
        self.fields["sailing"].label_from_instance = lambda sailing: (
            f"{sailing} · ETD {timezone.localtime(sailing.etd):%Y-%m-%d}"
        )


class ContainerMergeForm(forms.Form):
    into = forms.ChoiceField(label=_("Move all its space into"))
    confirm = forms.BooleanField(
        label=_("Yes, merge: every merchant with space is told the new plan."),
        required=True,
        error_messages={"required": _("Tick the box to confirm.")},
    )

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].choices = [
            (
                container.reference,
                f"{container.reference} · {container.sailing.vessel_name} "
                f"{container.sailing.voyage_number} · "
                f"{container.remaining_m3} m³ / {container.remaining_kg} kg",
            )
            for container in candidates
        ]


class ContainerReleaseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (told to the merchants)"),
        max_length=500,
        required=False,
        widget=forms.TextInput,
    )
    confirm = forms.BooleanField(
        label=_("Yes, release: the carrier booking is cancelled and every merchant is told."),
        required=True,
        error_messages={"required": _("Tick the box to confirm.")},
    )
