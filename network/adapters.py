"""django-allauth glue: account mail goes out through the notification task after commit."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction
from django.utils import translation

from network.models import User


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        from network.services import notification_send

        user = context.get("user")
        if not isinstance(user, User):
            user = User.objects.filter(email__iexact=email).first()
        language = user.language if user else translation.get_language()
        with translation.override(language):
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
