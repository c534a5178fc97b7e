"""Accounts: sign-up with email verification, password rules, login rate limit, operator MFA."""

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core import mail
from django.urls import reverse

from network.management.commands.totp_code import current_totp_code
from network.models import Organization, Role, User
from tests.factories import PASSWORD, OrganizationFactory, UserFactory, member

pytestmark = pytest.mark.django_db


def _signup(client, email, password, confirm=None):
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": password, "password2": confirm or password},
        follow=True,
    )


def test_sign_up_sends_a_verification_mail_and_the_link_logs_in(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _signup(client, "new.merchant@example.com", "maple-syrup-from-michigan")
    assert "Verify Your Email Address" in response.content.decode()
    user = User.objects.get(email="new.merchant@example.com")
    assert not EmailAddress.objects.get(user=user).verified
    assert mail.outbox[-1].to == ["new.merchant@example.com"]
    link = re.search(r"http://testserver(/accounts/confirm-email/\S+/)", mail.outbox[-1].body)
    assert link, mail.outbox[-1].body

    response = client.post(link.group(1), follow=True)
    assert EmailAddress.objects.get(user=user).verified
    assert response.wsgi_request.user == user
    # A new person has no organisation yet, so they are asked to create one.
    assert response.redirect_chain[-1][0] == reverse("organization_create")


def test_an_unverified_person_cannot_log_in(client):
    UserFactory(email="unverified@example.com", verified=False)
    response = client.post(
        reverse("account_login"),
        {"login": "unverified@example.com", "password": PASSWORD},
        follow=True,
    )
    assert "Verify Your Email Address" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short-pass", "This password is too short. It must contain at least 12 characters."),
        ("password1234", "This password is too common."),
        ("123456789012345", "This password is entirely numeric."),
    ],
)
def test_password_rules_follow_asvs_level_2(client, password, message):
    response = _signup(client, "rules@example.com", password)
    assert message in response.content.decode()
    assert not User.objects.filter(email="rules@example.com").exists()


def test_login_is_rate_limited_after_repeated_failures(client):
    UserFactory(email="target@example.com")
    for _attempt in range(5):
        response = client.post(
            reverse("account_login"), {"login": "target@example.com", "password": "wrong-guess"}
        )
        assert "not correct" in response.content.decode()
    response = client.post(
        reverse("account_login"), {"login": "target@example.com", "password": PASSWORD}
    )
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_operator_without_totp_must_set_it_up_before_anything_else(client):
    member(
        OrganizationFactory(kind=Organization.Kind.OPERATOR),
        Role.STAFF,
        email="new.operator@example.com",
    )
    response = client.post(
        reverse("account_login"),
        {"login": "new.operator@example.com", "password": PASSWORD},
        follow=True,
    )
    # Setting up a second factor asks for the password once more, then shows the QR code.
    assert response.redirect_chain[-2][0].startswith(reverse("mfa_activate_totp"))
    assert response.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))
    response = client.post(response.redirect_chain[-1][0], {"password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("mfa_activate_totp"))
    assert "Authenticator App" in response.content.decode()
    response = client.get(reverse("members"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


def test_an_operator_with_totp_is_asked_for_the_code_at_login(client):
    operator = member(
        OrganizationFactory(kind=Organization.Kind.OPERATOR), Role.STAFF, email="ops@example.com"
    )
    TOTP.activate(operator, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    response = client.post(
        reverse("account_login"), {"login": "ops@example.com", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session

    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert "Incorrect code" in response.content.decode()
    authenticator = Authenticator.objects.get(user=operator)
    response = client.post(
        reverse("mfa_authenticate"), {"code": current_totp_code(authenticator)}, follow=True
    )
    assert response.wsgi_request.user == operator
    assert client.get(reverse("members")).status_code == 200


def test_merchants_and_buyers_are_not_forced_to_use_totp(client):
    buyer = member(OrganizationFactory(kind=Organization.Kind.BUYER), Role.BUYER)
    client.force_login(buyer)
    assert client.get(reverse("members")).status_code == 200


def test_preferences_set_language_and_time_zone(client):
    person = UserFactory()
    member(OrganizationFactory(), Role.OWNER)
    client.force_login(person)
    response = client.post(
        reverse("preferences"),
        {"full_name": "Wang Li", "language": "zh-hans", "time_zone": "Asia/Shanghai"},
        follow=True,
    )
    person.refresh_from_db()
    assert (person.full_name, person.language, person.time_zone) == (
        "Wang Li",
        "zh-hans",
        "Asia/Shanghai",
    )
    assert response.content.decode().count('lang="zh-hans"') >= 1


@pytest.mark.parametrize(
    ("language", "greeting", "thanks"),
    [
        ("en", "Hello from Global US Merchants Network!", "Thank you for using Global US"),
        ("zh-hans", "您好，这里是美国商家全球网络！", "感谢您使用美国商家全球网络！"),
    ],
)
def test_the_verification_mail_names_the_network(
    client, settings, django_capture_on_commit_callbacks, language, greeting, thanks
):
    settings.SITE_URL = "https://usmerchants.example"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    with django_capture_on_commit_callbacks(execute=True):
        _signup(client, "new.buyer@example.com", "maple-syrup-from-michigan")
    body = mail.outbox[-1].body
    assert greeting in body and thanks in body
    assert "usmerchants.example" in body
    assert "from !" not in body and "来自的" not in body
