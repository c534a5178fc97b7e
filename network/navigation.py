"""The header's navigation. Each app registers its entries in ``AppConfig.ready()`` so the base
template never needs to know which apps exist."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavEntry:
    label: str  # a lazy translation
    url_name: str
    kinds: tuple[str, ...]  # organisation kinds that see it; () = everyone signed in
    order: int = 100
    public: bool = False  # also shown to anonymous visitors


_ENTRIES: list[NavEntry] = []


def register(entry: NavEntry) -> None:
    if entry not in _ENTRIES:
        _ENTRIES.append(entry)


def entries_for(request) -> list[tuple[str, str, bool]]:
    """(label, url, is_current) for this request's person and organisation."""
    organization = getattr(request, "organization", None)
    signed_in = request.user.is_authenticated
    items = []
    for entry in sorted(_ENTRIES, key=lambda e: e.order):
        for_this_organization = not entry.kinds or (
            organization is not None and organization.kind in entry.kinds
        )
        if not (entry.public or (signed_in and for_this_organization)):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        items.append((str(entry.label), url, request.path.startswith(url) and url != "/"))
    return items
