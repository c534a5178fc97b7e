"""Fixtures of the shipping tests: an approved merchant with its people, an outsider, a
sailing, the carrier process (answering at once), and an operator with a second factor."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django_scopes import scopes_disabled

from network.models import Organization, Role
from tests.factories import OrganizationFactory, member
from tests.shipping.factories import SailingFactory, approve


@pytest.fixture(autouse=True)
def carrier_process_answering(carrier_server):
    """The carrier process answers at once, accepts everything and never fails, unless a test
    says otherwise (``carrier_server.config(...)``)."""
    return carrier_server


@pytest.fixture
def no_scopes():
    with scopes_disabled():
        yield


@pytest.fixture
def maple(db):
    organization = OrganizationFactory(name="Great Lakes Maple Co.", slug="great-lakes-maple-co")
    approve(organization)
    return organization


@pytest.fixture
def owner(maple):
    return member(maple, Role.OWNER, full_name="Dana Whitfield")


@pytest.fixture
def teammate(maple):
    return member(maple, Role.STAFF, full_name="Priya Natarajan")


@pytest.fixture
def viewer(maple):
    return member(maple, Role.VIEWER, full_name="Vera Viewer")


@pytest.fixture
def rival(db):
    organization = OrganizationFactory(name="Cascadia Botanicals", slug="cascadia-botanicals")
    approve(organization, legal_name="Cascadia Botanicals Inc.")
    return organization


@pytest.fixture
def outsider(rival):
    return member(rival, Role.OWNER, full_name="Oscar Outsider")


@pytest.fixture
def sailing(db):
    return SailingFactory()


@pytest.fixture
def operator(db):
    organization = OrganizationFactory(
        name="Network Operations", slug="network-operations", kind=Organization.Kind.OPERATOR
    )
    user = member(organization, Role.STAFF, full_name="Sam Reviewer")
    TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    return user
