"""What one test leaves in the process or the database does not reach the next."""

from __future__ import annotations

import pytest
from celery._state import _set_task_join_will_block
from django.db import connection
from django_scopes import scopes_disabled

from catalog.models import Category, Product
from network.tasks import idempotency_records_prune
from tests.catalog.factories import merchant, product
from tests.conftest import empty_tables

pytestmark = pytest.mark.django_db(transaction=True)


def test_emptying_after_a_transactional_test_keeps_the_category_tree_and_nothing_else():
    """The demo files its products under the tree the migrations seed: a module's demo, seeded
    before any test's own fixtures run, found no tree when emptying had taken it too."""
    tree = Category.objects.count()
    organization, owner = merchant("Great Lakes Maple Co.")
    product(organization, owner)
    empty_tables(connection)
    with scopes_disabled():
        assert not Product.objects.exists()
    assert Category.objects.count() == tree
    assert Category.objects.filter(slug="maple-syrup", parent__slug="food").exists()


# The two tests below run in this order in one process (``make test`` hands out whole files).
def test_a_test_that_leaves_the_flag_of_running_inside_a_task_set():
    # As two threads' eager tasks can leave Celery's process-wide flag (see conftest).
    _set_task_join_will_block(True)


def test_the_next_test_can_still_wait_for_a_tasks_result():
    assert idempotency_records_prune.apply().get() == 0


def test_under_make_test_a_skipped_test_is_a_failure_that_says_why(monkeypatch):
    from _pytest.reports import TestReport

    from tests.conftest import skip_as_failure

    def skipped() -> TestReport:
        reason = "PgBouncer is not available (/usr/sbin/pgbouncer)"
        return TestReport(
            "t.py::test", ("t.py", 1, "test"), {}, "skipped", ("t.py", 1, reason), "setup"
        )

    monkeypatch.delenv("TESTS_FAIL_ON_SKIP", raising=False)
    report = skipped()
    skip_as_failure(report)
    assert report.skipped

    monkeypatch.setenv("TESTS_FAIL_ON_SKIP", "1")
    report = skipped()
    skip_as_failure(report)
    assert report.failed
    assert "PgBouncer is not available" in str(report.longrepr)
