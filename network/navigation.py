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


def entries_for(request) -> list[tuple[str, str, bool]]:
    """(label, url, is_current) for this request's person and organisation."""
    organization = getattr(request, "organization", None)
    signed_in = request.user.is_authenticated
    items: list[tuple[str, str]] = []
    for entry in sorted(_ENTRIES, key=lambda e: e.order):
        for_this_organization = not entry.kinds or (
            organization is not None and organization.kind in entry.kinds
        )
        if not (entry.public or (signed_in and for_this_organization)):
            continue
        try:
            url, view = _target(entry.url_name)
        except NoReverseMatch:
            continue
        allows = getattr(view, "allows", None)
        if allows is not None and not allows(request):
            continue
        items.append((str(entry.label), url))
    # Only the most specific link matching the path is current (/merchants/review/ is not
    # also /merchants/).
    matches = [url for _label, url in items if url != "/" and request.path.startswith(url)]
    current = max(matches, key=len) if matches else None
    return [(label, url, url == current) for label, url in items]


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
