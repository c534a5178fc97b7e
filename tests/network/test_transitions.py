"""The shared state machine: a move in the table is made and audited, any other is refused
with a clear message and the code ``illegal_transition``."""

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy
from django_scopes import scopes_disabled

from network.models import AuditEvent, Organization
from network.transitions import IllegalTransition, transition, transition_apply
from tests.factories import OrganizationFactory, operator

pytestmark = pytest.mark.django_db

St = Organization.Status
TABLE = {
    "suspend": transition(gettext_lazy("suspend"), {St.ACTIVE}, St.SUSPENDED),
    "close": transition(gettext_lazy("close"), {St.ACTIVE, St.SUSPENDED}, St.CLOSED),
}


def _apply(action, organization, user):
    return transition_apply(
        TABLE,
        action,
        organization,
        acting_user=user,
        organization=organization,
        audit_action=f"organization.{action}",
    )


def test_a_move_in_the_table_is_saved_and_audited():
    organization = OrganizationFactory(status=St.ACTIVE)
    user = operator()
    _apply("suspend", organization, user)
    organization.refresh_from_db()
    assert organization.status == St.SUSPENDED
    with scopes_disabled():
        event = AuditEvent.objects.get(action="organization.suspend")
    assert event.actor == user
    assert event.changes["status"] == ["active", "suspended"]


def test_a_move_not_in_the_table_is_refused_with_its_code_and_nothing_changes():
    organization = OrganizationFactory(status=St.CLOSED)
    with translation.override("en"), pytest.raises(IllegalTransition) as error:
        _apply("suspend", organization, operator())
    assert error.value.code == "illegal_transition"
    assert error.value.status == 409
    assert error.value.message == "You cannot suspend this while it is Closed."
    organization.refresh_from_db()
    assert organization.status == St.CLOSED
    with scopes_disabled():
        assert not AuditEvent.objects.filter(action="organization.suspend").exists()


def test_the_refusal_is_translated():
    organization = OrganizationFactory(status=St.CLOSED)
    with translation.override("zh-hans"), pytest.raises(IllegalTransition) as error:
        _apply("suspend", organization, operator())
    assert "You cannot" not in error.value.message
