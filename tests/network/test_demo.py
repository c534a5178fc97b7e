"""The demo data a new user sees: the launch-size network and a login for every role."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from network.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from network.models import Membership, Organization, Role, User

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_the_launch_network_and_is_idempotent():
    call_command("seed_demo", apps="network,merchants")
    counts = {
        kind: Organization.objects.filter(kind=kind).count() for kind in Organization.Kind.values
    }
    assert counts["operator"] == 1
    assert 24 <= counts["merchant"] <= 60
    assert counts["buyer"] >= 300
    users = User.objects.count()
    call_command("seed_demo", apps="network,merchants")
    assert {
        kind: Organization.objects.filter(kind=kind).count() for kind in Organization.Kind.values
    } == counts
    assert User.objects.count() == users


def test_every_role_has_a_demo_login_that_works(client):
    call_command("seed_demo", apps="network,merchants")
    roles = {
        (Organization.objects.get(slug=a.organization_slug).kind, a.role) for a in DEMO_ACCOUNTS
    }
    for kind, role in [
        ("merchant", Role.OWNER),
        ("merchant", Role.ADMIN),
        ("merchant", Role.STAFF),
        ("merchant", Role.VIEWER),
        ("buyer", Role.OWNER),
        ("buyer", Role.ADMIN),
        ("buyer", Role.BUYER),
        ("buyer", Role.VIEWER),
        ("operator", Role.OWNER),
    ]:
        assert (kind, role) in roles
    account = next(a for a in DEMO_ACCOUNTS if a.email == "buyer@example.com")
    response = client.post(
        reverse("account_login"), {"login": account.email, "password": DEMO_PASSWORD}, follow=True
    )
    assert response.wsgi_request.user.email == account.email
    assert Membership.objects.get(user__email=account.email).role == Role.BUYER
    assert "Hangzhou Westlake Global Store" in response.content.decode()


def test_seeding_holds_no_lock_on_the_servers_shared_catalogs():
    """Seeding ends with fresh statistics for the project's tables only: a bare ANALYZE also
    locked the server-wide catalogs (pg_database, pg_authid…) until the seeding transaction
    ended, and every other database's seeding waited for it."""
    from django.db import connection

    call_command("seed_demo", apps="network")  # inside this test's transaction
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_locks AS l JOIN pg_class AS c ON c.oid = l.relation "
            "WHERE l.pid = pg_backend_pid() AND c.relisshared"
        )
        assert [row[0] for row in cursor.fetchall()] == []
        cursor.execute(
            "SELECT count(*) FROM pg_locks AS l JOIN pg_class AS c ON c.oid = l.relation "
            "WHERE l.pid = pg_backend_pid() AND l.mode = 'ShareUpdateExclusiveLock' "
            "AND c.relname = 'network_organization'"
        )
        assert cursor.fetchone()[0] == 1  # the project's own tables were analysed
