"""``{{ value|when }}``: a date and time in the reader's language and zone, the zone named;
``|when:"date"`` for the day alone, ``|when:"time"`` for the time alone. A built-in (see
TEMPLATES in settings), so templates need not load it. See ``network.dates``."""

from django import template

from network.dates import format_local

register = template.Library()


@register.filter(expects_localtime=True)
def when(value, part: str = "datetime") -> str:
    # expects_localtime: the template engine has moved ``value`` to the reader's zone already,
    # unless a filter before this one chose another (a seminar's venue).
    return format_local(value, part)
