"""Operators and staff pass their second factor in every session, whichever way they sign in:
the admin's login is the account login, and a session that signed in without the code reaches
no operator page, no admin page and no operator API until it gives one."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.totp.internal.auth import yield_hotp_counters_from_time as counters
from django.urls import reverse

from network.management.commands.totp_code import current_totp_code
from network.models import Organization, Role, User
from tests.factories import (
    PASSWORD,
    OrganizationFactory,
    UserFactory,
    member,
    operator,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def support(db):
    """An operator with access to the admin, as support staff have it."""
    user = operator(Role.STAFF, email="support@network.example")
    user.is_staff = True
    user.save()
    return user


def _code(user) -> str:
    return current_totp_code(Authenticator.objects.get(user=user, type="totp"))


def _is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_admin_login_is_the_account_login_which_asks_for_the_code(client, support):
    # The admin's own password form is gone: a password sent there signs nobody in.
    response = client.post(
        reverse("admin:login"), {"username": support.email, "password": PASSWORD}, follow=True
    )
    assert not _is_signed_in(client)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    for page in [reverse("admin:index"), reverse("exchange_rates")]:
        assert reverse("account_login") in client.get(page, follow=True).redirect_chain[-1][0]

    # The admin sends a visitor to the account login, which returns them to the admin after the
    # password and the code, and not before.
    response = client.get(reverse("admin:index"), follow=True)
    login_url = response.redirect_chain[-1][0]
    assert login_url.startswith(reverse("account_login")) and "next=" in login_url
    response = client.post(login_url, {"login": support.email, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("mfa_authenticate")
    assert not _is_signed_in(client)
    assert client.get(reverse("admin:index")).status_code == 302

    response = client.post(reverse("mfa_authenticate"), {"code": _code(support)}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:index")
    assert response.status_code == 200
    assert client.get(reverse("exchange_rates")).status_code == 200


def test_staff_signing_in_at_the_account_login_set_up_totp_before_the_admin(client):
    # Staff status alone, no operator organisation: the second factor is still required.
    clerk = UserFactory(email="clerk@network.example", is_staff=True)
    response = client.post(
        reverse("account_login") + "?next=" + reverse("admin:index"),
        {"login": clerk.email, "password": PASSWORD},
        follow=True,
    )
    assert _is_signed_in(client)
    # Straight to setting up TOTP (which asks for the password once more first).
    assert response.redirect_chain[1][0].startswith(reverse("mfa_activate_totp"))
    assert response.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("mfa_activate_totp"))


def test_a_session_signed_in_without_the_code_is_refused_until_it_gives_one(client, support):
    # As Django's login() or the old admin form would leave it: signed in, no code given.
    client.force_login(support)
    for page in [reverse("exchange_rates"), reverse("admin:index"), reverse("members")]:
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith(reverse("mfa_reauthenticate")), page
    response = client.get(reverse("api-applications"))
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"
    # Nor may it change what protects the account.
    for page in [reverse("account_change_password"), reverse("mfa_deactivate_totp")]:
        assert client.get(page)["Location"].startswith(reverse("mfa_reauthenticate")), page

    response = client.get(reverse("admin:index"), follow=True)
    code_page = response.redirect_chain[-1][0]
    response = client.post(code_page, {"code": _code(support)}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:index")
    assert response.status_code == 200
    assert client.get(reverse("exchange_rates")).status_code == 200
    assert client.get(reverse("api-applications")).status_code == 200


def test_a_superuser_from_createsuperuser_sets_up_totp_before_the_admin(client):
    root = User.objects.create_superuser("root@network.example", PASSWORD)
    client.force_login(root)
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("mfa_activate_totp"))
    # Setting up TOTP asks for the password once more first.
    response = client.post(response.redirect_chain[-1][0], {"password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("mfa_activate_totp"))
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("mfa_activate_totp"))

    secret = response.context["form"].secret
    code = format_hotp_value(hotp_value(secret, next(iter(counters()))))
    client.post(reverse("mfa_activate_totp"), {"code": code})
    assert Authenticator.objects.filter(user=root, type="totp").exists()
    # The code just given proves the new authenticator: the admin opens without another.
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "Records of every organisation" in response.content.decode()


def test_a_signed_in_person_without_staff_status_is_refused_the_admin(client):
    buyer = member(OrganizationFactory(kind=Organization.Kind.BUYER), Role.OWNER)
    client.force_login(buyer)
    assert client.get(reverse("admin:login")).status_code == 403
    response = client.get(reverse("admin:index"), follow=True)
    assert response.status_code == 403
