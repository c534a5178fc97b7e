"""Property-based fuzzing of the whole API from its own OpenAPI schema (schemathesis): whatever
a client sends, the API never answers 5xx, and what it answers matches the schema."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from network import services
from network.models import ApiScope, Organization, Role
from tests.factories import OrganizationFactory, member

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture
def keep_the_test_connection():
    """The WSGI handler closes the database connection after each request, which would end
    the test's transaction; Django's own test client unhooks the same signal."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_headers(keep_the_test_connection):
    merchant = OrganizationFactory(name="Fuzz Merchant", kind=Organization.Kind.MERCHANT)
    owner = member(merchant, Role.OWNER)
    _key, raw = services.api_key_create(
        organization=merchant, name="fuzz", scopes=list(ApiScope.values), acting_user=owner
    )
    return {"Authorization": f"Bearer {raw}"}


@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_never_fails_and_answers_by_its_schema(case, api_headers):
    case.call_and_validate(
        headers=api_headers, checks=[not_a_server_error, response_schema_conformance]
    )
