from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from network.forms import LongSelect
from training.models import Seminar, Topic

DATETIME_FIELDS = ("start_at", "end_at", "registration_opens_at", "registration_closes_at")


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class SeminarForm(forms.ModelForm):
    """An operator's seminar. Dates and times are typed as the wall-clock time of the seminar's
    own time zone (the venue's, for an in-person seminar), whatever the operator's own."""

    join_url = forms.URLField(
        label=_("join link"),
        required=False,
        assume_scheme="https",
        help_text=_("Shown only to confirmed attendees of an online seminar."),
    )

    class Meta:
        model = Seminar
        fields = [
            "title",
            "topic",
            "language",
            "summary",
            "format",
            "venue",
            "address",
            "city",
            "join_url",
            "time_zone",
            "start_at",
            "end_at",
            "capacity",
            "seats_per_organization",
            "registration_opens_at",
            "registration_closes_at",
            "speakers",
            "agenda",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "speakers": forms.Textarea(attrs={"rows": 3}),
            "agenda": forms.Textarea(attrs={"rows": 8}),
            "format": forms.RadioSelect,
            "time_zone": LongSelect,
            **{name: LocalDateTimeInput() for name in DATETIME_FIELDS},
        }
        help_texts = {
            "start_at": _("In the seminar's time zone."),
            "end_at": _("In the seminar's time zone."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        if instance.pk:
            tz = instance.tz
            for name in DATETIME_FIELDS:
                value = getattr(instance, name)
                if value is not None:
                    self.initial[name] = timezone.make_naive(value, tz)
        for name in DATETIME_FIELDS:
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]

    def clean(self):
        cleaned = super().clean()
        try:
            tz = zoneinfo.ZoneInfo(cleaned.get("time_zone") or "UTC")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return cleaned
        for name in DATETIME_FIELDS:
            value = cleaned.get(name)
            if value is not None:
                # The field made the typed time aware in the operator's zone; read it again as
                # the seminar's wall-clock time.
                cleaned[name] = timezone.make_aware(timezone.make_naive(value), tz)
        return cleaned

    def _post_clean(self):
        # The model is validated by the service, with the converted times.
        pass

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class SeminarFilterForm(forms.Form):
    topic = forms.ChoiceField(
        label=_("Topic"), required=False, choices=[("", _("All topics")), *Topic.choices]
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("All languages")), *settings.LANGUAGES],
    )
    format = forms.ChoiceField(
        label=_("Format"),
        required=False,
        choices=[("", _("In person and online")), *Seminar.Format.choices],
    )


class MaterialForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    file = forms.FileField(label=_("File"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.TRAINING_MATERIAL_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB.")
                % {"mb": settings.TRAINING_MATERIAL_MAX_BYTES // 2**20}
            )
        return upload


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Your rating"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class CheckInSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Check-in code, name, email or organisation"),
        required=False,
        max_length=200,
    )
