from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from network.models import (
    ROLES_BY_KIND,
    TIME_ZONE_CHOICES,
    ApiScope,
    Organization,
    Role,
    WebhookEvent,
)


class LongSelect(forms.Select):
    """A select of hundreds of options (the time zones), written in one pass over its choices:
    Django renders three templates per option (about 0.4 ms each, 200 ms for the time zones),
    and even one template looping over them spent 100 ms a page. Options carry no attributes
    of their own, and the choices are not grouped."""

    def render(self, name, value, attrs=None, renderer=None):
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        selected = set(self.format_value(value))
        options = "".join(
            f'<option value="{escape(choice)}"{" selected" if str(choice) in selected else ""}>'
            f"{escape(label)}</option>"
            for choice, label in self.choices
        )
        return mark_safe(f'<select name="{escape(name)}"{attributes}>{options}</select>')  # noqa: S308 - escaped above


def form_add_validation_error(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the field it names when the form has
    that field, otherwise above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


COUNTRY_CHOICES = [
    ("US", _("United States")),
    ("CN", _("China")),
    ("HK", _("Hong Kong SAR")),
    ("TW", _("Taiwan")),
    ("SG", _("Singapore")),
]


class OrganizationCreateForm(forms.Form):
    name = forms.CharField(label=_("Organisation name"), max_length=200)
    kind = forms.ChoiceField(
        label=_("I am joining as"),
        choices=[
            (Organization.Kind.MERCHANT, _("A US merchant that sells wholesale")),
            (Organization.Kind.BUYER, _("A Taobao Global store that buys wholesale")),
        ],
        widget=forms.RadioSelect,
    )
    country = forms.ChoiceField(label=_("Country"), choices=COUNTRY_CHOICES, initial="US")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == Organization.Kind.MERCHANT and cleaned.get("country") != "US":
            self.add_error("country", _("Merchants in the network are US companies."))
        return cleaned


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.value, r.label) for r in ROLES_BY_KIND[organization.kind]]
        self.fields["role"].initial = (
            Role.BUYER if organization.kind == Organization.Kind.BUYER else Role.STAFF
        )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.value, r.label) for r in ROLES_BY_KIND[organization.kind]]


class PreferencesForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False, widget=LongSelect)

    def __init__(self, *args, default_time_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        # Empty: the person's default, which follows them if they join a buyer organisation.
        automatic = _("Automatic: %(zone)s") % {"zone": default_time_zone}
        self.fields["time_zone"].choices = [("", automatic), *TIME_ZONE_CHOICES]


class ExchangeRateForm(forms.Form):
    rate = forms.DecimalField(
        label=_("CNY per 1 USD"), max_digits=12, decimal_places=6, min_value=Decimal("0.000001")
    )
    effective_date = forms.DateField(
        label=_("Effective date"), widget=forms.DateInput(attrs={"type": "date"})
    )


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What uses this key, e.g. “ERP stock sync”.")
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=ApiScope.choices, widget=forms.CheckboxSelectMultiple
    )


class WebhookEndpointForm(forms.Form):
    # Checked by the service (scheme, public address), which words each refusal precisely.
    url = forms.CharField(
        label=_("Endpoint URL"),
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://erp.example.com/network-hooks"}),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )
