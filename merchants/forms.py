from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from merchants.models import (
    ApplicationStatus,
    BrandClaim,
    MerchantApplication,
    MerchantDocument,
    ProductCategory,
)
from merchants.services import STEP_FIELDS
from merchants.us_states import STATE_CHOICES
from network.fields import IntegerFormField


class StepForm(forms.ModelForm):
    """One step of the application. Fields may stay blank until submission."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            if isinstance(field.widget, forms.RadioSelect):
                # A blank model field's choices start with "---------": as a radio button it
                # would be a pre-selected non-answer. Not choosing is ticking none.
                field.choices = [(value, label) for value, label in field.choices if value != ""]


class CompanyForm(StepForm):
    class Meta:
        model = MerchantApplication
        fields = [
            "legal_name",
            "dba",
            "ein",
            "state_of_incorporation",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "website",
        ]
        widgets = {
            "ein": forms.TextInput(attrs={"placeholder": "12-3456789", "inputmode": "numeric"})
        }


class ContactForm(StepForm):
    class Meta:
        model = MerchantApplication
        fields = STEP_FIELDS["contact"]
        widgets = {
            "contact_phone": forms.TextInput(
                attrs={"placeholder": "+1 313 555 0100", "type": "tel"}
            )
        }


class BusinessForm(StepForm):
    categories = forms.MultipleChoiceField(
        label=_("Product categories"),
        choices=ProductCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = MerchantApplication
        fields = [
            "year_founded",
            "employee_band",
            "revenue_band",
            "categories",
            "export_experience",
        ]


class FulfilmentForm(StepForm):
    class Meta:
        model = MerchantApplication
        fields = STEP_FIELDS["fulfilment"]
        widgets = {
            "fulfilment": forms.RadioSelect,
            "fulfilment_address": forms.Textarea(attrs={"rows": 3}),
        }


STEP_FORMS = {
    "company": CompanyForm,
    "contact": ContactForm,
    "business": BusinessForm,
    "fulfilment": FulfilmentForm,
}


class BrandClaimForm(forms.ModelForm):
    class Meta:
        model = BrandClaim
        fields = ["name", "relationship", "trademark_number"]
        help_texts = {
            "trademark_number": _(
                "Required for a brand you own: its USPTO registration number, 7 or 8 digits."
            )
        }


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=MerchantDocument.Kind.choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, PNG or JPEG, up to 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )


class ChecklistForm(forms.ModelForm):
    class Meta:
        model = MerchantApplication
        fields = MerchantApplication.CHECKLIST


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Internal note"), widget=forms.Textarea(attrs={"rows": 3}))


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason the applicant will see"), widget=forms.Textarea(attrs={"rows": 3})
    )


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("All categories")), *ProductCategory.choices],
    )
    state = forms.CharField(label=_("State of incorporation"), required=False, max_length=2)
    older_than = IntegerFormField(
        label=_("Waiting more than (days)"), required=False, min_value=0, max_value=36_500
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("", _("Waiting for review")),
            *ApplicationStatus.choices,
            ("all", _("All")),
        ]
        self.fields["state"] = forms.ChoiceField(
            label=_("State of incorporation"),
            required=False,
            choices=[("", _("All states")), *STATE_CHOICES],
        )
