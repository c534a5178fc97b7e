"""Forms of the message pages; the services check everything again (attachments by their
content)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from deals.services.messages import MAX_BODY
from orders.forms import MultiplePhotoField, MultiplePhotoInput


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    attachments = MultiplePhotoField(
        label=_("Attachments"),
        required=False,
        widget=MultiplePhotoInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
        help_text=_("Up to 5 files: PDF, PNG or JPEG."),
    )


class ThreadForm(MessageForm):
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)

    field_order = ["subject", "body", "attachments"]
