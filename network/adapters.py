"""django-allauth glue: account mail goes out through the notification task after commit, rate
limits count by the client's address as the proxies in front of us report it, and a right
second-factor code does not reset an address's count of failed sign-ins."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.core import context
from allauth.core.internal import ratelimit
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from network.branding import mail_site
from network.models import User


@dataclass(frozen=True)
class NetworkSite:
    """What allauth's mail calls ``current_site``: the network's name, in the mail's language,
    and the host of its address (``SITE_NAME``, ``SITE_URL``)."""

    name: str
    domain: str


def network_site() -> NetworkSite:
    # SITE_NAME is the English name; its translation is the header's.
    return NetworkSite(name=gettext(settings.SITE_NAME), domain=urlsplit(settings.SITE_URL).netloc)


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        from network.services import notification_send

        user = context.get("user")
        if not isinstance(user, User):
            user = User.objects.filter(email__iexact=email).first()
        language = user.language if user else translation.get_language()
        # allauth's own send_mail adds the site its mail greets and signs with; so do we.
        context = {"email": email, "current_site": mail_site(), **context}
        with translation.override(language):
            # allauth's own send_mail, which this replaces, is where current_site came from.
            context = {"email": email, "current_site": network_site(), **context}
            message = self.render_mail(template_prefix, email, context)
        with transaction.atomic():
            notification_send(
                email=email,
                recipient=user,
                kind=template_prefix.rsplit("/", 1)[-1],
                template="network/email/account",
                context={"subject": message.subject, "body": message.body},
                language=language,
            )

    def save_user(self, request, user, form, commit=True):
        # The language a person signed up in is the language of their mail and pages.
        user.language = translation.get_language() or "en"
        if user.language not in ("en", "zh-hans"):
            user.language = "en"
        return super().save_user(request, user, form, commit)

    def get_client_ip(self, request) -> str:
        try:
            return super().get_client_ip(request)
        except ImproperlyConfigured:
            # Fewer X-Forwarded-For entries than TRUSTED_PROXY_COUNT: the request did not come
            # through all of our proxies, so the address that connected is the one to count.
            return request.META["REMOTE_ADDR"]


class _SecondFactorCodeCheck:
    """allauth's check of a second-factor code, counted as a failed sign-in per account and per
    address, except that a right code takes back only its own try (as a right password does).
    allauth wipes both counts instead, so anyone with an authenticator of their own could reset
    the failure budget of the address they guess passwords from."""

    def clean_code(self) -> str:
        usage = ratelimit.consume(
            context.request,
            app="allauth.account",
            action="login_failed",
            key=f"mfa-auth-user-{self.user.pk}",
        )
        if not usage:
            raise get_account_adapter().validation_error("too_many_login_attempts")
        code = self.cleaned_data["code"]
        failed_authenticator = None
        # WebAuthn cannot check a typed code.
        for authenticator in Authenticator.objects.filter(user=self.user).exclude(
            type=Authenticator.Type.WEBAUTHN
        ):
            if failed_authenticator is None or authenticator.type == Authenticator.Type.TOTP:
                failed_authenticator = authenticator
            if authenticator.wrap().validate_code(code):
                authenticator.user = self.user
                self.authenticator = authenticator
                usage.rollback()
                return code
        if failed_authenticator is not None:
            self._emit_authentication_failed(failed_authenticator)
        raise get_mfa_adapter().validation_error("incorrect_code")


class SecondFactorForm(_SecondFactorCodeCheck, AuthenticateForm):
    """The code asked for at sign-in."""


class SecondFactorReauthenticateForm(_SecondFactorCodeCheck, ReauthenticateForm):
    """The code asked for again later in a session."""
