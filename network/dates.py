"""Dates and times as people read them: one format per language (``network/formats/<language>``,
Django's FORMAT_MODULE_PATH), in the reader's time zone, which a time always names.

    en       Dec 6, 2026, 7:16 PM CST          zh-hans  2026年12月6日 19:16 北京时间

Templates use the ``when`` filter (``{{ value|when }}``, ``|when:"date"``, ``|when:"time"``);
Python code that writes text, such as mail, uses ``when()`` here."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from django.utils import formats, timezone
from django.utils.translation import get_language

# What Chinese readers call the zones they meet here; any other zone goes by its abbreviation
# (JST, GMT) or its offset from UTC.
_BEIJING, _EASTERN, _CENTRAL = "北京时间", "美国东部时间", "美国中部时间"
_MOUNTAIN, _PACIFIC = "美国山地时间", "美国太平洋时间"
CHINESE_ZONE_NAMES = {
    "Asia/Shanghai": _BEIJING,
    "Asia/Chongqing": _BEIJING,
    "Asia/Harbin": _BEIJING,
    "PRC": _BEIJING,
    "Asia/Hong_Kong": "香港时间",
    "Asia/Taipei": "台北时间",
    "America/New_York": _EASTERN,
    "America/Detroit": _EASTERN,
    "America/Indiana/Indianapolis": _EASTERN,
    "America/Kentucky/Louisville": _EASTERN,
    "US/Eastern": _EASTERN,
    "US/Michigan": _EASTERN,
    "America/Chicago": _CENTRAL,
    "US/Central": _CENTRAL,
    "America/Denver": _MOUNTAIN,
    "America/Boise": _MOUNTAIN,
    "America/Phoenix": _MOUNTAIN,
    "US/Mountain": _MOUNTAIN,
    "US/Arizona": _MOUNTAIN,
    "America/Los_Angeles": _PACIFIC,
    "US/Pacific": _PACIFIC,
    "America/Anchorage": "阿拉斯加时间",
    "US/Alaska": "阿拉斯加时间",
    "Pacific/Honolulu": "夏威夷时间",
    "US/Hawaii": "夏威夷时间",
}

PARTS = {"datetime": "DATETIME_FORMAT", "date": "DATE_FORMAT", "time": "TIME_FORMAT"}


def _chinese() -> bool:
    return (get_language() or "").lower().startswith("zh")


def zone_label(moment: datetime) -> str:
    """The name of ``moment``'s zone for the reader: 北京时间 / CST, 美国东部时间 / EST."""
    key = getattr(moment.tzinfo, "key", None) or moment.tzname() or "UTC"
    if _chinese() and key in CHINESE_ZONE_NAMES:
        return CHINESE_ZONE_NAMES[key]
    abbreviation = moment.tzname() or ""
    if abbreviation.isalpha():
        return abbreviation
    return _offset(moment.utcoffset() or timedelta(0))


def _offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign, minutes = ("-" if minutes < 0 else "+"), abs(minutes)
    hours, minutes = divmod(minutes, 60)
    return f"UTC{sign}{hours}" + (f":{minutes:02d}" if minutes else "")


def format_local(value, part: str = "datetime") -> str:
    """``value`` as it stands (no change of zone) in the reader's language: a date, a time, or
    both; a time with its zone's name. Empty for None."""
    if value is None or value == "":
        return ""
    if part not in PARTS:
        raise ValueError(f"part must be one of {', '.join(PARTS)}, not {part!r}")
    if not isinstance(value, datetime):
        if isinstance(value, date):  # a calendar day: no time, no zone
            return formats.date_format(value, "DATE_FORMAT")
        return str(value)
    text = formats.date_format(value, PARTS[part])
    if part == "date" or timezone.is_naive(value):
        return text
    return f"{text} {zone_label(value)}"


def when(value, part: str = "datetime", *, zone: tzinfo | None = None) -> str:
    """``value`` in ``zone`` (the reader's current zone by default), formatted as
    ``format_local`` does."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value, zone)
    return format_local(value, part)


def span(start: datetime, end: datetime, *, zone: tzinfo | None = None) -> str:
    """ "start – end" with the zone named once, and the end's date only when it differs."""
    start, end = timezone.localtime(start, zone), timezone.localtime(end, zone)
    end_part = "time" if start.date() == end.date() else "datetime"
    return (
        f"{formats.date_format(start, 'DATETIME_FORMAT')} – "
        f"{formats.date_format(end, PARTS[end_part])} {zone_label(end)}"
    )
