"""Forms of brand protection: the brand registry, reports, decisions, takedowns and appeals."""

from django import forms
from django.utils.translation import gettext_lazy as _

from moderation.models import ReportReason, TrademarkOffice


class TakedownForm(forms.Form):
    category = forms.ChoiceField(label=_("Problem"), choices=(), required=False)
    reason = forms.CharField(
        label=_("Reason given to the merchant"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = ReportReason.choices
        self.fields["category"].initial = ReportReason.COUNTERFEIT


class BrandForm(forms.Form):
    name = forms.CharField(label=_("Brand"), max_length=120)
    trademark_office = forms.ChoiceField(label=_("Trademark office"), choices=())
    trademark_number = forms.CharField(
        label=_("Trademark registration number"),
        max_length=20,
        help_text=_("As printed on the registration certificate."),
    )
    evidence = forms.FileField(
        label=_("Registration certificate"),
        help_text=_("PDF, PNG or JPEG; only the network's operators see it."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trademark_office"].choices = TrademarkOffice.choices


class BrandEditForm(BrandForm):
    """A brand's data as its owner corrects it; the certificate is kept unless replaced."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].required = False
        self.fields["evidence"].help_text = _(
            "Leave empty to keep the current certificate. PDF, PNG or JPEG; only the network's "
            "operators see it."
        )


class BrandGrantForm(forms.Form):
    reseller = forms.SlugField(
        label=_("Reseller's merchant handle"),
        help_text=_("The last part of the reseller's profile address on the network."),
    )
    expires_at = forms.DateField(
        label=_("Authorised until"), widget=forms.DateInput(attrs={"type": "date"})
    )


class ReportForm(forms.Form):
    reason = forms.ChoiceField(label=_("What is wrong with this listing?"), choices=())
    details = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you noticed, order numbers, links to the genuine product."),
    )
    evidence = forms.FileField(
        label=_("Evidence"),
        required=False,
        help_text=_("A photo or PDF (at most 10 MB); only you and the network's operators see it."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = ReportReason.choices
        self.fields["reason"].widget = forms.RadioSelect(choices=ReportReason.choices)
        self.fields["reason"].initial = ReportReason.COUNTERFEIT


class ReportInformationForm(forms.Form):
    details = forms.CharField(
        label=_("More information"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    evidence = forms.FileField(
        label=_("Evidence"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("take_down", _("Take the listing down (adds a strike)")),
            ("dismiss", _("Dismiss the report")),
            ("request_info", _("Ask the reporter for more information")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason (kept on record and sent to those concerned)"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AppealForm(forms.Form):
    statement = forms.CharField(
        label=_("Why the takedown is wrong"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("You can appeal a takedown once; another operator decides."),
    )


class AppealDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("uphold", _("Uphold the takedown")),
            ("overturn", _("Overturn it: revoke the strike and restore the listing")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class BrandDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("verify", _("Verify")), ("reject", _("Reject"))], widget=forms.HiddenInput
    )
    reason = forms.CharField(label=_("Note"), required=False, max_length=1000)
