"""Money display for the catalogue: USD with a CNY estimate from the operators' rate."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.http import QueryDict

register = template.Library()


@register.filter
def cny(amount, rate) -> str:
    """``amount`` USD in CNY at ``rate`` (an ExchangeRate), rounded to the fen; "" without."""
    if amount in (None, "") or rate is None:
        return ""
    value = (Decimal(amount) * rate.rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{value:,.2f}"


@register.filter
def item(mapping, key):
    """``mapping[key]``, or None: per-row figures a view keeps beside a shared list."""
    return mapping.get(key) if mapping else None


@register.filter
def usd(amount) -> str:
    if amount in (None, ""):
        return ""
    return f"{Decimal(amount):,.2f}"


@register.filter
def signed_usd(amount) -> str:
    """Dollars with the sign before the currency (−US$204.00); nothing for none or zero."""
    if amount in (None, "") or Decimal(amount) == 0:
        return ""
    value = Decimal(amount)
    return f"{'−' if value < 0 else ''}US${abs(value):,.2f}"


@register.simple_tag
def query_with(current: dict, **changes) -> str:
    """The current filters with ``changes`` applied (a value of None removes the key); the page
    number always resets."""
    query = QueryDict(mutable=True)
    for key, value in current.items():
        if key != "page":
            query[key] = value
    for key, value in changes.items():
        if value in (None, "") and key in query:
            del query[key]
        elif value not in (None, ""):
            query[key] = value
    return "?" + query.urlencode()
