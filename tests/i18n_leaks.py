"""English that a Chinese reader would see on a page: the words of its text and of the
attributes people read (title, placeholder, aria-label, alt, an input button's value), outside
script, style, code and pre — less what may stay English:

- data people wrote in one language only (a merchant's English title with no Chinese one, a
  company's or a person's name, an address, a reason typed by an operator): pass it as
  ``allowed``, phrases as they are stored; ``database_allow_list()`` collects it from the
  database's free-text fields;
- codes: any token with a digit in it (SKUs, order and booking numbers, HS codes, dates in
  figures), e-mail addresses, URLs and paths, file extensions, time-zone identifiers;
- what the page marks as written in another language (``lang="en"``: a listing's original
  English title under its Chinese one, the language switcher's "EN");
- ``FIXED_ALLOWED`` and ``FIXED_PHRASES``: ISO codes, units, trade terms and brands every
  page may show, and an example of an English search.

    english_words(html, allowed)                       the English words left on one page
    pages_with_english(client, urls, allowed=...)      {url: words} for any list of URLs
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable
from html.parser import HTMLParser

# Codes, units and names that stay as they are in Chinese text.
FIXED_ALLOWED = frozenset(
    {
        # ISO currencies and the network's own abbreviations of them
        "USD",
        "CNY",
        "US",  # "US$8.50" reads as a currency; the $ and figures are codes already
        # file formats, protocols and standards
        "SKU",
        "SKUs",
        "PDF",
        "CSV",
        "XLSX",
        "API",
        "DCSA",
        "HS",
        "ISO",
        "UTC",
        "TOTP",
        "QR",
        "URL",
        "EIN",
        "USPTO",
        "ERP",
        "HMAC",
        "Webhook",
        # Incoterms® 2020 and shipping units
        "Incoterms",
        "EXW",
        "FCA",
        "FAS",
        "FOB",
        "CFR",
        "CIF",
        "CPT",
        "CIP",
        "DAP",
        "DPU",
        "DDP",
        "TEU",
        # units
        "kg",
        "cm",
        "ml",
        "mm",
        "MB",  # file sizes: Chinese writes megabytes as MB too
        # the switcher's language code
        "EN",
        # time-zone abbreviations a time is shown with
        "CST",
        "CDT",
        "EST",
        "EDT",
        "MST",
        "MDT",
        "PST",
        "PDT",
        "AKST",
        "AKDT",
        "HST",
        "GMT",
    }
)

FIXED_PHRASES = frozenset(
    {
        "maple syrup",  # the search box's example: an English query works too
        "Network-Signature",  # the name of a request header
    }
)

SKIPPED_ELEMENTS = frozenset({"script", "style", "code", "pre", "template"})
VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
BUTTON_INPUTS = frozenset({"submit", "button", "reset"})

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(?:https?://|www\.)\S+|(?<![\w])/[\w./?=&%#:+-]*")
# A file's extension (".ics", ".xlsx") is a code.
_EXTENSION = re.compile(r"(?<![\w])\.[A-Za-z]{2,5}\b")
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
# Identifiers of time zones (Asia/Shanghai, UTC, PRC) are codes a person picks from a list.
TIME_ZONE_IDS = frozenset(zoneinfo.available_timezones())
_ZONE = re.compile(
    r"\b(?:Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Brazil|Canada|Chile|Etc|"
    r"Europe|Indian|Mexico|Pacific|US)/[A-Za-z_/+-]+"
)


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skipping = 0
        # Open elements that carry a lang attribute: (tag, written in another language).
        self.languages: list[tuple[str, bool]] = []
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_ELEMENTS:
            self.skipping += 1
            return
        if self.skipping:
            return
        values = dict(attrs)
        if values.get("lang") is not None and tag not in VOID_ELEMENTS:
            self.languages.append((tag, not values["lang"].lower().startswith("zh")))
        if self.foreign:
            return
        if tag == "input" and (values.get("type") or "text").lower() == "hidden":
            return
        for name in READ_ATTRIBUTES:
            if values.get(name):
                self.chunks.append(values[name])
        # An input button's value is its label (a <button>'s value is only sent, not shown).
        is_input_button = tag == "input" and (values.get("type") or "").lower() in BUTTON_INPUTS
        if is_input_button and values.get("value"):
            self.chunks.append(values["value"])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in SKIPPED_ELEMENTS:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_ELEMENTS and self.skipping:
            self.skipping -= 1
        elif self.languages and self.languages[-1][0] == tag:
            self.languages.pop()

    @property
    def foreign(self) -> bool:
        return any(foreign for _tag, foreign in self.languages)

    def handle_data(self, data: str) -> None:
        if not self.skipping and not self.foreign and data.strip():
            self.chunks.append(data)


def visible_text(html: str) -> list[str]:
    """The pieces of text a person reads on the page, in order."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return [" ".join(chunk.split()) for chunk in parser.chunks]


def _phrases_pattern(texts: list[str], allowed: Iterable[str]) -> re.Pattern | None:
    joined = "\n".join(texts)
    present = {phrase for phrase in allowed if phrase and phrase in joined}
    if not present:
        return None
    ordered = sorted(present, key=len, reverse=True)
    return re.compile("|".join(re.escape(phrase) for phrase in ordered))


def english_words(html: str, allowed: Iterable[str] = ()) -> list[str]:
    """The English words a reader sees on ``html`` outside the allowed phrases, codes and
    ``FIXED_ALLOWED``, each once, in the order they first appear."""
    texts = visible_text(html)
    # Stored values are matched as they read on the page, whitespace folded.
    allowed = {" ".join(str(phrase).split()) for phrase in allowed} | FIXED_PHRASES
    phrases = _phrases_pattern(texts, allowed)
    found: dict[str, None] = {}
    for text in texts:
        if text in TIME_ZONE_IDS:
            continue
        if phrases is not None:
            text = phrases.sub(" ", text)
        for pattern in (_EMAIL, _URL, _ZONE, _EXTENSION):
            text = pattern.sub(" ", text)
        for token in text.split():
            if any(ch.isdigit() for ch in token):
                continue
            for word in _LATIN_WORD.findall(token):
                if word not in FIXED_ALLOWED:
                    found.setdefault(word, None)
    return list(found)


def pages_with_english(client, urls: Iterable[str], *, allowed: Iterable[str] = ()) -> dict:
    """{url: English words} for the HTML pages among ``urls`` that show any, fetched with
    ``client`` (signed in as the reader). Redirects and files that are not HTML are skipped."""
    allowed = set(allowed)
    leaks = {}
    for url in urls:
        response = client.get(url)
        if 300 <= response.status_code < 400:
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        words = english_words(response.content.decode(), allowed)
        if words:
            leaks[url] = words
    return leaks


# --- The allow-list from the database ----------------------------------------------------------

# Text the network writes itself (mail, audit records, stored answers): never data to allow.
GENERATED_MODELS = frozenset(
    {
        "network.Notification",
        "network.AuditEvent",
        "network.IdempotencyRecord",
        "network.WebhookDelivery",
        "payments.LedgerTransaction",
        "catalog.ImportJob",
    }
)
APPS = (
    "network",
    "merchants",
    "catalog",
    "moderation",
    "orders",
    "shipping",
    "payments",
    "training",
    "deals",
)


def database_allow_list() -> set[str]:
    """Every free-text value people stored (names, addresses, titles, reasons, codes) — the
    text fields without choices of the project's models — except an English text whose Chinese
    counterpart (``<name>_zh_hans``, or ``<base>_zh_hans`` for ``<base>_en``) is filled in: the
    Chinese one is what a Chinese reader should see."""
    from django.apps import apps
    from django.db import models
    from django_scopes import scopes_disabled

    allowed: set[str] = set()
    with scopes_disabled():
        for app in APPS:
            for model in apps.get_app_config(app).get_models():
                if model._meta.label in GENERATED_MODELS:
                    continue
                fields = [
                    f
                    for f in model._meta.get_fields()
                    if isinstance(f, models.CharField | models.TextField)
                    and not f.choices
                    and "password" not in f.name
                    and "hash" not in f.name
                ]
                names = {f.name for f in model._meta.get_fields()}
                for row in model.objects.values(*{f.name for f in fields} | _chinese(names)):
                    for field in fields:
                        chinese = _chinese_of(field.name, names)
                        if chinese and row.get(chinese):
                            continue
                        allowed.update(_phrases(str(row[field.name] or "")))
    return allowed


def _phrases(value: str) -> set[str]:
    """The value, and each of its lines as a page may show them one by one (a seminar's
    speakers, its agenda without the times)."""
    value = value.strip()
    if not value:
        return set()
    phrases = {value}
    for line in value.splitlines():
        line = line.strip()
        if line:
            phrases.add(line)
            phrases.add(_LEADING_TIME.sub("", line))
    return phrases


_LEADING_TIME = re.compile(r"^\d{1,2}[:.]\d{2}\s+")


def _chinese_of(name: str, names: set[str]) -> str | None:
    for candidate in (f"{name.removesuffix('_en')}_zh_hans", f"{name}_zh_hans"):
        if candidate in names:
            return candidate
    return None


def _chinese(names: set[str]) -> set[str]:
    return {name for name in names if name.endswith("_zh_hans")}
