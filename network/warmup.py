"""What a web worker does once as it starts, so that its first requests cost what every later
one does: import every page's code (the URLconf), build the URL reversal tables and load the
translations of every language, and compile the project's templates.

Left to the first requests, this work made the first visit of each page in each worker take
one to two seconds (an operator's review, start and approve, each answered by a worker that had
not yet served that page). It touches no database, cache or broker."""

from __future__ import annotations

import contextlib
import logging
import time

from django.conf import settings
from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
from django.urls import NoReverseMatch, URLResolver, get_resolver, reverse
from django.utils import translation
from phonenumber_field.phonenumber import PhoneNumber

logger = logging.getLogger(__name__)

TEMPLATE_SUFFIXES = (".html", ".txt")
# A number of each region the network's people are in: US merchants, Chinese buyers.
PHONE_NUMBERS = ["+13135550100", "+8657187654321"]


def warm() -> float:
    """Do the start-up work above; the seconds it took."""
    started = time.perf_counter()
    resolver = get_resolver()  # reading its patterns imports every app's URLconf and views
    for code, _name in settings.LANGUAGES:
        with translation.override(code):  # loads the language's catalogues
            _reversal_tables(resolver)
    for number in PHONE_NUMBERS:  # the first number of a region compiles its patterns
        str(PhoneNumber.from_string(number))
    engine = engines["django"].engine
    for folder in engine.dirs:
        for path in sorted(folder.rglob("*")):
            if path.suffix not in TEMPLATE_SUFFIXES:
                continue
            try:
                engine.get_template(path.relative_to(folder).as_posix())
            except (TemplateDoesNotExist, TemplateSyntaxError, UnicodeDecodeError):
                continue  # a fragment that only compiles where it is included is compiled there
    seconds = time.perf_counter() - started
    logger.info("Web worker warmed in %.2f s", seconds)
    return seconds


def _reversal_tables(resolver: URLResolver) -> None:
    """Build the reversal tables ``reverse()`` uses in the active language: the root's, and the
    one it builds (and keeps) for each namespace on the first reversal of a name in it."""
    resolver.reverse_dict  # noqa: B018 - reading it builds it
    for name in _one_name_per_namespace(resolver).values():
        # A name that takes arguments is not reversed, but its table is built all the same.
        with contextlib.suppress(NoReverseMatch):
            reverse(name)


def _one_name_per_namespace(resolver: URLResolver, prefix: str = "") -> dict[str, str]:
    """{namespace path: one URL name in it, qualified}, for every namespace under ``resolver``."""
    names: dict[str, str] = {}
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            names = {**_one_name_per_namespace(pattern, inner), **names}
        elif prefix and pattern.name:
            names.setdefault(prefix, prefix + pattern.name)
    return names
