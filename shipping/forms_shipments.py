"""The form of a new shipment: which packed merchant orders, and what they travel on."""

from __future__ import annotations

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from orders.models import MerchantOrder
from shipping.models import Booking, ConsolidationContainer, SpaceRequest


class MerchantOrderChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: MerchantOrder) -> str:
        purchase_order = obj.purchase_order
        reference = purchase_order.buyer_reference or purchase_order.number
        return f"{obj.number} · {obj.buyer.name} · PO {reference}"


def _sailing_label(sailing) -> str:
    return (
        f"{sailing.carrier.name} · {sailing.vessel_name} {sailing.voyage_number} → "
        f"{sailing.port_of_discharge.name}, "
        f"{date_format(sailing.etd, 'SHORT_DATE_FORMAT')}"
    )


class ShipmentForm(forms.Form):
    merchant_orders = MerchantOrderChoiceField(
        label=_("Packed merchant orders"),
        queryset=MerchantOrder.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Orders of one buyer travel on one shipment."),
    )
    carried_on = forms.ChoiceField(
        label=_("Travels on"),
        widget=forms.RadioSelect,
        help_text=_(
            "One of your whole-container bookings, your space in a shared container, or a "
            "shared container where space sized to the goods is booked for you."
        ),
    )
    no_dangerous_goods = forms.BooleanField(
        label=_("The goods contain no dangerous goods"),
        required=False,
        help_text=_("A shared container takes no dangerous goods."),
    )

    def __init__(
        self,
        *args,
        merchant_orders,
        bookings: list[Booking],
        spaces: list[SpaceRequest],
        containers: list[ConsolidationContainer],
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["merchant_orders"].queryset = merchant_orders
        self._bookings = {f"booking:{b.reference}": b for b in bookings}
        self._spaces = {f"space:{s.reference}": s for s in spaces}
        self._containers = {f"container:{c.reference}": c for c in containers}
        choices: list = []
        if bookings:
            choices.append(
                (
                    _("My whole-container bookings"),
                    [
                        (
                            key,
                            f"{b.reference} · {b.units} × {b.equipment_code} · "
                            f"{_sailing_label(b.sailing)}",
                        )
                        for key, b in self._bookings.items()
                    ],
                )
            )
        if spaces:
            choices.append(
                (
                    _("My space in shared containers"),
                    [
                        (
                            key,
                            f"{s.reference} · {s.volume_m3} m³, {s.weight_kg} kg · "
                            f"{s.container.reference} · {_sailing_label(s.container.sailing)}",
                        )
                        for key, s in self._spaces.items()
                    ],
                )
            )
        if containers:
            choices.append(
                (
                    _("Book space in a shared container"),
                    [
                        (key, f"{c.reference} · {c.fill_percent}% · {_sailing_label(c.sailing)}")
                        for key, c in self._containers.items()
                    ],
                )
            )
        self.fields["carried_on"].choices = choices

    def clean(self) -> dict:
        cleaned = super().clean()
        choice = cleaned.get("carried_on", "")
        cleaned["booking"] = self._bookings.get(choice)
        cleaned["space_request"] = self._spaces.get(choice)
        cleaned["container"] = self._containers.get(choice)
        if cleaned["container"] is not None and not cleaned.get("no_dangerous_goods"):
            self.add_error(
                "no_dangerous_goods",
                _("Confirm the goods contain no dangerous goods to ship in a shared container."),
            )
        return cleaned
