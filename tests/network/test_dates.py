"""One date format, one time format and one of both per language, and a time always names its
zone: "Dec 6, 2026, 7:16 PM CST" / "2026年12月6日 19:16 北京时间"."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from network.dates import span, when

MOMENT = datetime(2026, 12, 6, 11, 16, tzinfo=UTC)
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("language", "zone", "text"),
    [
        ("en", SHANGHAI, "Dec 6, 2026, 7:16 PM CST"),
        ("zh-hans", SHANGHAI, "2026年12月6日 19:16 北京时间"),
        ("en", NEW_YORK, "Dec 6, 2026, 6:16 AM EST"),
        ("zh-hans", NEW_YORK, "2026年12月6日 06:16 美国东部时间"),
        ("en", zoneinfo.ZoneInfo("UTC"), "Dec 6, 2026, 11:16 AM UTC"),
        ("zh-hans", zoneinfo.ZoneInfo("Asia/Kolkata"), "2026年12月6日 16:46 IST"),
        ("en", zoneinfo.ZoneInfo("Asia/Singapore"), "Dec 6, 2026, 7:16 PM UTC+8"),
        ("en", zoneinfo.ZoneInfo("America/St_Johns"), "Dec 6, 2026, 7:46 AM NST"),
        ("en", zoneinfo.ZoneInfo("America/Sao_Paulo"), "Dec 6, 2026, 8:16 AM UTC-3"),
    ],
)
def test_a_moment_reads_the_same_everywhere_in_a_language(language, zone, text):
    with translation.override(language), timezone.override(zone):
        assert when(MOMENT) == text
        assert Template("{{ moment|when }}").render(Context({"moment": MOMENT})) == text


def test_a_day_and_a_time_alone():
    with translation.override("en"), timezone.override(SHANGHAI):
        assert when(MOMENT, "date") == "Dec 6, 2026"
        assert when(MOMENT, "time") == "7:16 PM CST"
        assert when(date(2026, 12, 6)) == "Dec 6, 2026"
        assert when(None) == ""
    with translation.override("zh-hans"), timezone.override(SHANGHAI):
        assert when(MOMENT, "date") == "2026年12月6日"
        assert when(MOMENT, "time") == "19:16 北京时间"
        assert Template('{{ day|when:"date" }}').render(Context({"day": date(2026, 1, 9)})) == (
            "2026年1月9日"
        )


def test_the_day_is_the_readers_day():
    late = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)  # already the 7th in Shanghai
    with translation.override("en"), timezone.override(SHANGHAI):
        assert when(late, "date") == "Dec 7, 2026"


def test_a_time_in_another_zone_keeps_it():
    """A seminar's venue clock: a filter before ``when`` moved the time to the venue's zone."""
    template = Template('{% load tz %}{{ moment|timezone:"America/New_York"|when }}')
    with translation.override("zh-hans"), timezone.override(SHANGHAI):
        assert template.render(Context({"moment": MOMENT})) == "2026年12月6日 06:16 美国东部时间"


def test_a_span_names_its_zone_once():
    start, end = MOMENT, datetime(2026, 12, 6, 14, 0, tzinfo=UTC)
    with translation.override("en"):
        assert span(start, end, zone=NEW_YORK) == "Dec 6, 2026, 6:16 AM – 9:00 AM EST"
    with translation.override("zh-hans"):
        assert span(start, end, zone=SHANGHAI) == "2026年12月6日 19:16 – 22:00 北京时间"
        overnight = datetime(2026, 12, 6, 17, 0, tzinfo=UTC)
        assert span(start, overnight, zone=SHANGHAI) == (
            "2026年12月6日 19:16 – 2026年12月7日 01:00 北京时间"
        )


def test_an_english_time_has_no_periods_to_double_a_full_stop():
    with translation.override("en"), timezone.override(NEW_YORK):
        sentence = Template("Submitted on {{ moment|when }}.").render(Context({"moment": MOMENT}))
    assert sentence == "Submitted on Dec 6, 2026, 6:16 AM EST."
    assert ".." not in sentence and "a.m." not in sentence
