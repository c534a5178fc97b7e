"""A pg_dump / pg_restore round trip of the demo data into a fresh database."""

import psycopg2
import pytest
from django.core.management import call_command
from django.db import connection

from network import backup
from network.models import Membership, Organization, User

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_the_demo_data_survives_a_dump_and_restore(tmp_path):
    call_command("seed_demo", apps="network,merchants")
    counts = (Organization.objects.count(), User.objects.count(), Membership.objects.count())
    settings_dict = connection.settings_dict
    url = (
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:"
        f"{settings_dict['PORT']}/{settings_dict['NAME']}"
    )
    dump_file = backup.dump(database_url=url, target=tmp_path / "network.dump")
    assert dump_file.stat().st_size > 10_000

    scratch = f"{settings_dict['NAME']}_restore"
    admin = psycopg2.connect(
        host=settings_dict["HOST"],
        port=settings_dict["PORT"],
        user=settings_dict["USER"],
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        cursor.execute(f'CREATE DATABASE "{scratch}"')
    try:
        backup.restore(database_url=url.rsplit("/", 1)[0] + f"/{scratch}", source=dump_file)
        restored = psycopg2.connect(
            host=settings_dict["HOST"],
            port=settings_dict["PORT"],
            user=settings_dict["USER"],
            dbname=scratch,
        )
        with restored.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT count(*) FROM network_organization),"
                " (SELECT count(*) FROM network_user),"
                " (SELECT count(*) FROM network_membership)"
            )
            assert cursor.fetchone() == counts
        restored.close()
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        admin.close()
