"""Sections of a merchant's public profile that later apps own (the catalogue's listings). Each
registers its renderer in ``AppConfig.ready()``, so this app never imports a later one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

from network.models import Organization


@dataclass(frozen=True)
class ProfileSection:
    render: Callable[[HttpRequest, Organization], str | None]  # HTML, or None to show nothing
    order: int = 100


_SECTIONS: list[ProfileSection] = []


def register_profile_section(section: ProfileSection) -> None:
    if section not in _SECTIONS:
        _SECTIONS.append(section)


def profile_sections_for(request: HttpRequest, organization: Organization) -> list[str]:
    sections = sorted(_SECTIONS, key=lambda s: s.order)
    return [html for html in (s.render(request, organization) for s in sections) if html]
