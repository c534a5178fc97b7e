"""Seminar times as people expect them: an in-person seminar in the venue's clock, an online
one in the reader's own."""

from django import template
from django.templatetags.tz import do_timezone

from network.dates import span

register = template.Library()


@register.filter
def seminar_time(value, seminar):
    if value is None or seminar.is_online:
        return value
    return do_timezone(value, seminar.time_zone)


@register.filter
def seminar_span(seminar) -> str:
    """ "start – end zone", the end's date repeated only when the seminar runs past midnight."""
    return span(seminar.start_at, seminar.end_at, zone=None if seminar.is_online else seminar.tz)
