"""Test set-up: PostgreSQL (embedded unless DATABASE_URL is set), Celery eager, mail in memory.

Embedded services that this run started are stopped again when it ends. Under pytest-xdist
(``make test`` runs ``pytest -n``) every worker process has a test database of its own, and the
embedded servers are started once, by the controller, and shared by its workers."""

from __future__ import annotations

import contextlib
import os

import pytest

from network import devservices

pytest_plugins = ["tests.carrier_process", "tests.prism", "tests.pgbouncer", "tests.objectstore"]

os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
_STARTED: list[str] = []
_OWN_DATABASE: list = []  # the settings and name of this process's test database, once made


def pytest_configure(config):
    # pytest-django has loaded the settings by now, which started the embedded servers if no URL
    # was set; the URLs go into the environment of the processes this one starts. The xdist
    # controller runs this before it starts its workers: they find both URLs set and use the
    # controller's servers rather than starting their own.
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"], _fresh = devservices.start_postgres()
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"], _fresh = devservices.start_redis()
    # Noted now: the tests of network.devservices start servers of their own later.
    _STARTED.extend(
        name for name, folder in devservices.started_here if folder == devservices.data_dir()
    )


def pytest_sessionfinish(session, exitstatus):
    if _OWN_DATABASE:
        _drop_own_test_database(*_OWN_DATABASE)
    # Only the controller process of a run stops what it started.
    if hasattr(session.config, "workerinput"):
        return
    if "postgres" in _STARTED:
        devservices.stop_postgres()
    if "redis" in _STARTED:
        devservices.stop_redis()


# Tests that take half a minute or more each, longest kinds first: started before the rest, so
# that under xdist the other workers run the short tests alongside them, instead of one worker
# finishing the run alone with a drill picked up at the end. ``make test`` hands out whole files
# in this order (``--dist loadfile --no-loadscope-reorder``), one to each worker as it frees up:
# ``--dist load`` gave the first worker a first chunk of a quarter of its share, consecutive
# tests, which held every long one, and the others then had nothing to take from it.
LONG_RUNNING = ("slow", "drill", "browser")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    skip_as_failure(outcome.get_result())


def skip_as_failure(report) -> None:
    """Under ``make test`` (``TESTS_FAIL_ON_SKIP=1``), which installs Chromium, PgBouncer and
    HAProxy and has the standards beside it, a test skipped for something missing is a failure
    that names it: a run that skipped the browser or PgBouncer tests must not pass as green."""
    if os.environ.get("TESTS_FAIL_ON_SKIP") != "1" or not report.skipped:
        return
    if hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = f"skipped under make test, which provides what every test needs: {reason}"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        marked = [n for n, name in enumerate(LONG_RUNNING) if item.get_closest_marker(name)]
        return min(marked, default=len(LONG_RUNNING))

    items.sort(key=rank)


def pytest_itemcollected(item):
    # schemathesis names its items after their API operation ("test_…[GET /api/v1/…]"), but
    # pytest 9 builds a node id from the parametrisation, which they lack, so all 36 had the test
    # function's own id: reports could not tell them apart, nor could xdist's by-id schedulers.
    if hasattr(item, "operation_label") and not item.nodeid.endswith(f"::{item.name}"):
        item._id = item.parent.id.child(item.name).with_params(None)


@pytest.fixture(autouse=True)
def _one_concurrency_test_at_a_time(request):
    """A concurrency test holds 40 connections, and PostgreSQL allows 100 by default: two at once
    (on two xdist workers, or in two runs against one server) would pass that. So they take turns,
    holding a lock on a file named after the database server.

    (Not an ``xdist_group``: with pytest 9.2, xdist 3.8 no longer groups, pytest-xdist#1386.)"""
    if not request.node.get_closest_marker("concurrency"):
        yield
        return
    import fcntl
    import tempfile

    from django.db import connection

    server = f"{connection.settings_dict['HOST'] or 'local'}-{connection.settings_dict['PORT']}"
    lock_path = os.path.join(tempfile.gettempdir(), f"network-tests-connections-{server}.lock")
    with open(lock_path, "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        yield


@pytest.fixture(autouse=True)
def _tasks_may_wait_for_results():
    """Celery runs an eager task inside ``denied_join_result()``, which sets one process-wide
    flag and puts back the value it found. Tests that place orders from several threads at once
    run eager tasks side by side, and one thread can put back "inside a task" after the other
    has cleared it: every later test in that process that calls ``.get()`` on a result was then
    refused ("Never call result.get() within a task!"). No test runs inside a task, so each one
    starts with the flag cleared."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
    yield


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """A test database of its own per process (a run, or each xdist worker of a run), so that
    they never fight over one; the databases that killed runs left behind are dropped first."""
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    _drop_abandoned_test_databases(settings_dict)
    settings_dict["TEST"]["NAME"] = f"test_network_{os.getpid()}"
    _OWN_DATABASE[:] = [dict(settings_dict), settings_dict["TEST"]["NAME"]]
    _clone_migrated_template(settings_dict, settings_dict["TEST"]["NAME"])


@pytest.fixture(scope="session")
def django_db_keepdb():
    """The test database exists before pytest-django looks (cloned from the migrated template,
    see ``_clone_migrated_template``): it is kept, checked by ``migrate`` (nothing to apply),
    and dropped by ``pytest_sessionfinish``. Where the clone failed, it is created as usual."""
    return True


def _migrations_digest() -> str:
    """A digest of every migration file: a template is reused only by the code it was made by."""
    import hashlib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(root.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def migrated_template_name() -> str:
    """The database this run's migrations made, which every test database is a copy of."""
    return f"test_network_template_{_migrations_digest()}"


def _clone_migrated_template(settings_dict, name: str) -> None:
    """Migrating a new database costs half a CPU minute, once per xdist worker. Instead, the
    first worker migrates a template database named after the migrations' digest (under a file
    lock, while the others wait) and every worker clones it with ``CREATE DATABASE … TEMPLATE``
    in well under a second. Templates of other migrations are dropped when nothing uses them."""
    import fcntl
    import subprocess
    import sys
    import tempfile
    from pathlib import Path
    from urllib.parse import urlparse, urlunparse

    import psycopg2

    template = migrated_template_name()
    server = f"{settings_dict['HOST'] or 'local'}-{settings_dict['PORT']}"
    lock_path = os.path.join(tempfile.gettempdir(), f"network-tests-template-{server}.lock")
    with open(lock_path, "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        connection = _server_connection(settings_dict)
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT datname FROM pg_database WHERE datname LIKE 'test_network_template_%%'"
                )
                templates = {row[0] for row in cursor.fetchall()}
                for stale in templates - {template}:
                    with contextlib.suppress(psycopg2.Error):
                        cursor.execute(f'DROP DATABASE IF EXISTS "{stale}"')
                if template not in templates:
                    cursor.execute(f'CREATE DATABASE "{template}"')
                    url = urlparse(os.environ["DATABASE_URL"])
                    environ = {
                        **os.environ,
                        "DATABASE_URL": urlunparse(url._replace(path=f"/{template}")),
                        "PGOPTIONS": "-c synchronous_commit=off",
                    }
                    migrated = subprocess.run(
                        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
                        cwd=Path(__file__).resolve().parent.parent,
                        env=environ,
                        check=False,
                    )
                    if migrated.returncode != 0:
                        cursor.execute(f'DROP DATABASE IF EXISTS "{template}"')
                        return  # pytest-django creates and migrates the database itself
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
                cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                # A test database is thrown away: its commits need not wait for the disk
                # (a commit costs ~0.1 ms instead of 3–4 ms here; a crash loses nothing needed).
                cursor.execute(f'ALTER DATABASE "{name}" SET synchronous_commit TO off')
        finally:
            connection.close()


def _server_connection(settings_dict):
    import psycopg2

    connection = psycopg2.connect(
        host=settings_dict["HOST"],
        port=settings_dict["PORT"] or 5432,
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"] or None,
        dbname="postgres",
    )
    connection.autocommit = True
    return connection


def _drop_own_test_database(settings_dict, name: str) -> None:
    """pytest-django drops the test database at the end, but not while another session is still
    connected to it (a thread's connection that outlived its test); then it goes here."""
    connection = _server_connection(settings_dict)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() and connection.server_version >= 130000:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        connection.close()


def _drop_abandoned_test_databases(settings_dict) -> None:
    import psutil
    import psycopg2

    connection = _server_connection(settings_dict)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT datname FROM pg_database WHERE datname ~ '^test_network_[0-9]+$'"
            )
            for (name,) in cursor.fetchall():
                # A database whose pid is alive (this run's other workers among them) is kept.
                if not psutil.pid_exists(int(name.rsplit("_", 1)[1])):
                    # Without FORCE: a database still in use (another host's run) stays.
                    with contextlib.suppress(psycopg2.Error):
                        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        connection.close()


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    # One process-local cache per test: rate-limit counters never leak between tests, and a
    # running laptop instance sharing the Redis server is left alone.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.SITE_URL = "http://testserver"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    # Uploads go to the folders above even where S3_* is set on the machine; the object-store
    # tests switch to their own buckets.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "private": {"BACKEND": "network.storage.PrivateFileSystemStorage"},
    }
    # PBKDF2's million rounds cost a quarter of a CPU second per user made or signed in, which
    # was most of the suite's time; what a test checks of a password is the same under MD5.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _default_language_and_time_zone():
    """Each test starts in the site's default language and time zone. A request made with the
    test client activates its reader's language and zone on this thread, and nothing on a
    server's request path puts them back, so without this a Chinese reader's page would leave
    the next test's messages in Chinese."""
    from django.conf import settings
    from django.utils import timezone, translation

    translation.activate(settings.LANGUAGE_CODE)
    timezone.deactivate()
    yield
    translation.activate(settings.LANGUAGE_CODE)
    timezone.deactivate()


@pytest.fixture(autouse=True)
def _celery_eager():
    from network.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield


@pytest.fixture
def tenant_scope_off():
    from django_scopes import scopes_disabled

    with scopes_disabled():
        yield


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Data migrations seed reference data (the category tree), which emptying keeps; should a
    test have removed some of it, it is put back for the tests that use the database."""
    database_fixtures = {"db", "transactional_db", "live_server", "django_db_setup"}
    if not (
        request.node.get_closest_marker("django_db")
        or database_fixtures & set(request.fixturenames)
    ):
        yield
        return
    request.getfixturevalue("transactional_db" if _is_transactional(request) else "db")
    restore_reference_data()
    yield


def restore_reference_data() -> None:
    """The whole category tree as its data migration seeds it: every slug of it, not just some
    category (a factory's lone "maple-syrup" is not the tree the demo needs)."""
    import importlib

    from django.apps import apps

    from catalog.models import Category

    seeding = importlib.import_module("catalog.migrations.0002_seed_categories")
    slugs = [
        slug
        for parent, _en, _zh, children in seeding.TREE
        for slug in (parent, *(child for child, _child_en, _child_zh in children))
    ]
    if Category.objects.filter(slug__in=slugs).count() != len(slugs):
        seeding.seed(apps, None)


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


@pytest.fixture(scope="module")
def demo_seeded_for_module(request, django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo network (``seed_demo``, of the module's ``DEMO_APPS`` when it names them),
    seeded once for all the module's tests rather than once per test: each test still runs in
    its own transaction, rolled back to the seeded state. The database is emptied again after
    the module, as a transactional test leaves it. Seeded with the per-test settings (cache in
    memory, files in a folder of its own)."""
    from django.test import override_settings

    folder = tmp_path_factory.mktemp("demo")
    apps = getattr(request.module, "DEMO_APPS", None)
    with (
        django_db_blocker.unblock(),
        override_settings(
            CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            CELERY_TASK_ALWAYS_EAGER=True,
            SITE_URL="http://testserver",
            PRIVATE_MEDIA_ROOT=folder / "private",
            MEDIA_ROOT=folder / "media",
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
    ):
        from tests.site_pages import seed_demo

        # Seeded before any test's own fixtures (``_reference_data``) have run.
        restore_reference_data()
        seed_demo(apps)
    yield
    with django_db_blocker.unblock():
        from django.db import connection

        empty_tables(connection)


# Reference data that only migrations write: the content types and permissions (which Django
# itself recreates after a flush) and the category tree (``catalog/migrations/0002``). Emptied
# with the rest, the tree was back only inside each later test's own rolled-back transaction,
# and a module's demo seeded before that found none.
KEPT_BY_EMPTYING = frozenset({"django_content_type", "auth_permission", "catalog_category"})


def empty_tables(connection) -> None:
    """What a transactional test leaves behind, gone: one ``TRUNCATE`` of the tables that hold
    rows. Django's flush truncates every table (some two hundred, each a new file on disk) and
    then recreates the content types and permissions with some 160 statements; here those
    two tables are kept as the migrations left them, and an empty table is not touched."""
    tables = [
        name
        for name in connection.introspection.django_table_names(
            only_existing=True, include_views=False
        )
        if name not in KEPT_BY_EMPTYING
    ]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            " UNION ALL ".join(
                # Table names from the models, quoted: no input reaches this statement.
                f"SELECT %s WHERE EXISTS (SELECT 1 FROM {quote(name)})"  # noqa: S608
                for name in tables
            ),
            tables,
        )
        holding = [row[0] for row in cursor.fetchall()]
        if holding:
            cursor.execute(f"TRUNCATE {', '.join(quote(name) for name in holding)} CASCADE")


@pytest.fixture(scope="session", autouse=True)
def _transactional_tests_empty_only_what_they_filled():
    """Transactional tests (``transaction=True``, the live server, the drills) end with
    ``empty_tables`` instead of Django's flush of every table: the same empty database for the
    next test, in a fraction of the time."""
    from django.db import connections
    from django.test.testcases import TransactionTestCase

    def _fixture_teardown(self):
        for alias in self._databases_names(include_mirrors=False):
            empty_tables(connections[alias])

    original = TransactionTestCase._fixture_teardown
    TransactionTestCase._fixture_teardown = _fixture_teardown
    yield
    TransactionTestCase._fixture_teardown = original
