"""No password guessing anywhere: a few wrong passwords (or second-factor codes) lock that
account only; an address has a far larger budget, so one person's mistakes do not lock out the
others behind the same NAT or proxy; and the address is the client's only as far as our own
proxies vouch for it."""

import os
import subprocess
import sys
import time
import types

import pytest
from allauth.core.internal import ratelimit
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.test import Client
from django.urls import reverse

from network.management.commands.totp_code import current_totp_code
from network.models import Organization, Role
from tests.factories import PASSWORD, OrganizationFactory, UserFactory, member, operator

pytestmark = pytest.mark.django_db

TOO_MANY = "Too many failed login attempts"
WRONG = "The email address and/or password you specified are not correct."


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Hundreds of sign-in attempts: the hasher's cost is not what these tests are about.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clock(monkeypatch):
    """The rate limits' clock, moved on by hand instead of waiting."""
    now = [time.time()]
    monkeypatch.setattr(
        ratelimit,
        "time",
        types.SimpleNamespace(time=lambda: now[0], monotonic=time.monotonic, sleep=time.sleep),
    )

    def advance(seconds: float) -> None:
        now[0] += seconds

    return types.SimpleNamespace(advance=advance)


def _sign_in(client, email, password, *, forwarded_for=None, remote_addr="127.0.0.1"):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post(
        reverse("account_login"),
        {"login": email, "password": password},
        headers=headers,
        REMOTE_ADDR=remote_addr,
    )


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def _fail_across_accounts(client, clock, count: int, **address) -> None:
    """``count`` wrong passwords for as many different accounts (that do not exist), at a
    person's pace; each is answered as a wrong password for an existing account is."""
    for attempt in range(count):
        clock.advance(2)
        response = _sign_in(client, f"guess{attempt}@example.com", "wrong-guess", **address)
        assert WRONG in response.content.decode(), attempt


def test_thirty_wrong_passwords_lock_the_account_at_every_way_in(client):
    target = UserFactory(email="target@example.com")
    answers = [
        _sign_in(client, target.email, "wrong-guess").content.decode() for _attempt in range(30)
    ]
    assert all(WRONG in answer for answer in answers[:5])
    assert all(TOO_MANY in answer for answer in answers[5:])

    assert TOO_MANY in _sign_in(client, target.email, PASSWORD).content.decode()
    assert not _signed_in(client)
    # The admin has no password form of its own to try instead.
    client.post(reverse("admin:login"), {"username": target.email, "password": PASSWORD})
    assert not _signed_in(client)


def test_one_accounts_failures_do_not_lock_other_accounts_at_the_same_address(client):
    UserFactory(email="target@example.com")
    colleague = member(OrganizationFactory(kind=Organization.Kind.BUYER), Role.BUYER)
    # Whether the account exists or not, a wrong password gets the same answer.
    known = _sign_in(client, "target@example.com", "wrong-guess")
    unknown = _sign_in(client, "nobody@example.com", "wrong-guess")
    assert known.context["form"].errors == unknown.context["form"].errors
    assert WRONG in known.content.decode()
    for _attempt in range(30):
        _sign_in(client, "target@example.com", "wrong-guess")
    assert TOO_MANY in _sign_in(client, "target@example.com", PASSWORD).content.decode()

    response = _sign_in(client, colleague.email, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(colleague.pk)


def test_an_address_is_refused_after_many_failures_across_accounts(client, clock):
    colleague = UserFactory(email="colleague@example.com")
    _fail_across_accounts(client, clock, settings.LOGIN_FAILURES_PER_ADDRESS)

    response = _sign_in(client, colleague.email, PASSWORD)
    assert TOO_MANY in response.content.decode()
    assert not _signed_in(client)

    clock.advance(15 * 60)
    assert _sign_in(client, colleague.email, PASSWORD).status_code == 302
    assert _signed_in(client)


def test_the_second_factor_code_is_limited_per_account_not_per_address(client):
    sam = operator(Role.STAFF, email="sam@network.example")
    kim = operator(Role.STAFF, email="kim@network.example")
    _sign_in(client, sam.email, PASSWORD)
    for _attempt in range(5):
        response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
        assert "Incorrect code" in response.content.decode()
    code = current_totp_code(Authenticator.objects.get(user=sam))
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert TOO_MANY in response.content.decode()
    assert not _signed_in(client)

    # Another operator at the same address signs in as usual.
    other = Client()
    _sign_in(other, kim.email, PASSWORD)
    code = current_totp_code(Authenticator.objects.get(user=kim))
    other.post(reverse("mfa_authenticate"), {"code": code})
    assert other.session["_auth_user_id"] == str(kim.pk)


def test_a_right_code_does_not_reset_the_addresss_failures(client, clock):
    sam = operator(Role.STAFF, email="sam@network.example")
    colleague = UserFactory(email="colleague@example.com")
    _fail_across_accounts(client, clock, settings.LOGIN_FAILURES_PER_ADDRESS - 1)
    # An operator at the same address signs in with password and code, as is their right...
    clock.advance(2)
    _sign_in(client, sam.email, PASSWORD)
    clock.advance(2)
    code = current_totp_code(Authenticator.objects.get(user=sam))
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert client.session["_auth_user_id"] == str(sam.pk)
    client.logout()
    # ...which takes back their own tries but leaves the address's failures counted.
    _fail_across_accounts(client, clock, 1)
    assert TOO_MANY in _sign_in(client, colleague.email, PASSWORD).content.decode()


def test_forwarded_for_counts_only_behind_a_configured_proxy(client, clock, settings):
    colleague = UserFactory(email="colleague@example.com")
    guesser, elsewhere = "203.0.113.7", "198.51.100.9"

    # Behind one proxy of ours, X-Forwarded-For names the client: the guesser is refused while
    # another client behind the same proxy signs in.
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    _fail_across_accounts(
        client, clock, settings.LOGIN_FAILURES_PER_ADDRESS, forwarded_for=f"10.0.0.1, {guesser}"
    )
    response = _sign_in(client, colleague.email, PASSWORD, forwarded_for=guesser)
    assert TOO_MANY in response.content.decode()
    assert _sign_in(client, colleague.email, PASSWORD, forwarded_for=elsewhere).status_code == 302
    client.logout()

    # A header with fewer entries than our proxies did not come through them: the address that
    # connected counts, not the one the header claims.
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    response = _sign_in(
        client, colleague.email, PASSWORD, forwarded_for=elsewhere, remote_addr=guesser
    )
    assert TOO_MANY in response.content.decode()

    # With no proxy configured anybody can send the header: changing it escapes nothing.
    clock.advance(15 * 60)
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    _fail_across_accounts(client, clock, settings.LOGIN_FAILURES_PER_ADDRESS, forwarded_for=guesser)
    response = _sign_in(client, colleague.email, PASSWORD, forwarded_for=elsewhere)
    assert TOO_MANY in response.content.decode()
    assert not _signed_in(client)


def test_the_proxy_count_and_the_address_budget_come_from_the_environment():
    script = (
        "from django.conf import settings;"
        "print(settings.ALLAUTH_TRUSTED_PROXY_COUNT, settings.ACCOUNT_RATE_LIMITS['login_failed'])"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "network.settings",
        "TRUSTED_PROXY_COUNT": "2",
        "LOGIN_FAILURES_PER_ADDRESS": "250",
    }
    output = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True
    ).stdout
    assert output.split() == ["2", "5/5m/key,250/15m/ip"]
