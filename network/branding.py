"""The network's name as people read it: one translatable string (美国商家全球网络 in Chinese)
for the page header and footer, printed documents and the signature of every mail.
``settings.SITE_NAME`` stays the English name for machines: authenticator apps, the API schema,
carriers."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

NETWORK_NAME = _("Global US Merchants Network")


@dataclass(frozen=True)
class MailSite:
    """What account mail calls ``current_site``: our name and the host people visit."""

    name: str
    domain: str


def mail_site() -> MailSite:
    return MailSite(name=NETWORK_NAME, domain=settings.SITE_URL.split("://", 1)[-1])
