"""The header's navigation. Each app registers its entries in ``AppConfig.ready()`` so the base
template never needs to know which apps exist."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, get_urlconf, resolve, reverse


@dataclass(frozen=True)
class NavEntry:
    """A link in the header. It shows only to people its view lets in: a view decorated with
    ``organization_required`` answers that itself (its ``allows``), so the link and the page
    never disagree; ``kinds`` can only narrow who the link is for."""

    label: str  # a lazy translation
    url_name: str
    kinds: tuple[str, ...]  # organisation kinds the link is for; () = everyone signed in
    order: int = 100
    public: bool = False  # also shown to anonymous visitors
    # A number shown beside the label (unread messages, say), 0 for none; called only for
    # people the link shows to.
    badge: Callable[[HttpRequest], int] | None = None


_ENTRIES: list[NavEntry] = []


def register(entry: NavEntry) -> None:
    if entry not in _ENTRIES:
        _ENTRIES.append(entry)


_TARGETS: dict[tuple[str | None, str], tuple[str, Callable]] = {}


def _target(url_name: str) -> tuple[str, Callable]:
    """(url, view function) of ``url_name``, resolved once per URL configuration."""
    key = (get_urlconf(), url_name)
    if key not in _TARGETS:
        url = reverse(url_name)
        _TARGETS[key] = (url, resolve(url).func)
    return _TARGETS[key]


def link_for(request: HttpRequest, url_name: str) -> str:
    """The URL of ``url_name`` if its view lets this request in, else "" (also when no app
    provides it), so a page links only where the link works."""
    try:
        url, view = _target(url_name)
    except NoReverseMatch:
        return ""
    allows = getattr(view, "allows", None)
    return url if allows is None or allows(request) else ""


def entries_for(request) -> list[tuple[str, str, bool, int]]:
    """(label, url, is_current, badge) for this request's person and organisation."""
    organization = getattr(request, "organization", None)
    signed_in = request.user.is_authenticated
    items: list[tuple[str, str, int]] = []
    for entry in sorted(_ENTRIES, key=lambda e: e.order):
        for_this_organization = not entry.kinds or (
            organization is not None and organization.kind in entry.kinds
        )
        if not (entry.public or (signed_in and for_this_organization)):
            continue
        url = link_for(request, entry.url_name)
        if url:
            items.append((str(entry.label), url, entry.badge(request) if entry.badge else 0))
    # Only the most specific link matching the path is current (/merchants/review/ is not
    # also /merchants/).
    matches = [url for _label, url, _n in items if url != "/" and request.path.startswith(url)]
    current = max(matches, key=len) if matches else None
    return [(label, url, url == current, badge) for label, url, badge in items]


@dataclass(frozen=True)
class HomePanel:
    """A card on the organisation's home page, rendered by the app that owns its data."""

    kinds: tuple[str, ...]
    render: Callable[[HttpRequest], str | None]  # HTML, or None to show nothing
    order: int = 100


_PANELS: list[HomePanel] = []


def register_home_panel(panel: HomePanel) -> None:
    if panel not in _PANELS:
        _PANELS.append(panel)


def home_panels_for(request: HttpRequest) -> list[str]:
    organization = request.organization
    panels = sorted(
        (p for p in _PANELS if not p.kinds or organization.kind in p.kinds),
        key=lambda p: p.order,
    )
    return [html for html in (p.render(request) for p in panels) if html]


@dataclass(frozen=True)
class WorkQueue:
    """Work waiting for operators: its size on their home page, linking to where it is done.
    Shown to those the page's view lets in, like a header link."""

    describe: Callable[[int], str]  # the count in words, e.g. "3 listing reports to moderate"
    url_name: str
    count: Callable[[], int]  # one SQL count
    fragment: str = ""  # the part of the page the queue is on
    order: int = 100


_QUEUES: list[WorkQueue] = []


def register_queue(queue: WorkQueue) -> None:
    if queue not in _QUEUES:
        _QUEUES.append(queue)


def queues_for(request: HttpRequest) -> list[tuple[str, str, int]]:
    """(words, url, count) of each queue this request may work on (one query per queue)."""
    rows = []
    for queue in sorted(_QUEUES, key=lambda q: q.order):
        url = link_for(request, queue.url_name)
        if not url:
            continue
        count = queue.count()
        rows.append(
            (queue.describe(count), url + (f"#{queue.fragment}" if queue.fragment else ""), count)
        )
    return rows
