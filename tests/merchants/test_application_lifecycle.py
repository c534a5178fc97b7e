"""The application's state machine: every transition, legal and illegal, with its audit
record and notification."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_scopes import scopes_disabled

from merchants import services
from merchants.errors import ApplicationIncomplete, IllegalTransition
from merchants.models import ApplicationStatus as S
from merchants.models import MerchantApplication, Strike
from merchants.selectors import merchant_can_trade
from network.models import AuditEvent
from network.services import PermissionDenied
from tests.merchants.conftest import make_application

pytestmark = pytest.mark.django_db


def _call(action, application, user):
    calls = {
        "submit": lambda: services.application_submit(application=application, acting_user=user),
        "start_review": lambda: services.application_start_review(
            application=application, acting_user=user
        ),
        "approve": lambda: services.application_approve(application=application, acting_user=user),
        "request_changes": lambda: services.application_request_changes(
            application=application, reason="Sign the W-9.", acting_user=user
        ),
        "reject": lambda: services.application_reject(
            application=application, reason="Not a US company.", acting_user=user
        ),
        "suspend": lambda: services.merchant_suspend(
            organization=application.organization, reason="Counterfeits.", acting_user=user
        ),
        "reinstate": lambda: services.merchant_reinstate(
            organization=application.organization, acting_user=user
        ),
    }
    return calls[action]()


CASES = [(action, source) for action in services.TRANSITIONS for source in S.values]


@pytest.mark.parametrize(("action", "source"), CASES)
def test_every_transition_is_allowed_only_from_its_states(
    action, source, merchant_org, merchant_owner, operator
):
    application = make_application(
        merchant_org, status=source, **{c: True for c in MerchantApplication.CHECKLIST}
    )
    user = merchant_owner if action == "submit" else operator
    rule = services.TRANSITIONS[action]
    sources, target = rule.from_statuses, rule.to_status
    if source in sources:
        _call(action, application, user)
        with scopes_disabled():
            application.refresh_from_db()
            assert application.status == target
            event = AuditEvent.objects.get(action=f"merchant_application.{action}")
        assert event.changes["status"] == [source, target]
        assert event.actor == user
    else:
        with pytest.raises(IllegalTransition) as error:
            _call(action, application, user)
        assert error.value.code == "illegal_transition"
        with scopes_disabled():
            application.refresh_from_db()
        assert application.status == source


def test_an_incomplete_application_cannot_be_submitted(merchant_org, merchant_owner):
    application = make_application(merchant_org, with_documents=False, ein="", categories=[])
    with pytest.raises(ApplicationIncomplete) as error:
        services.application_submit(application=application, acting_user=merchant_owner)
    assert "EIN" in error.value.message
    assert "W-9 form" in error.value.message
    assert "product categories" in error.value.message
    with scopes_disabled():
        application.refresh_from_db()
    assert application.status == S.DRAFT


def test_submitting_tells_the_applicant_and_the_operators(
    merchant_org, merchant_owner, operator, django_capture_on_commit_callbacks
):
    application = make_application(merchant_org)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(application=application, acting_user=merchant_owner)
    recipients = {message.to[0]: message.subject for message in mail.outbox}
    assert recipients["owner@maple.example"].startswith("We received the application")
    assert recipients["reviewer@network.example"].startswith("New merchant application")


def test_a_resubmission_after_changes_is_marked_and_clears_the_checklist(
    merchant_org, merchant_owner, operator
):
    application = make_application(merchant_org, status=S.IN_REVIEW, check_identity=True)
    services.application_request_changes(
        application=application, reason="Sign the W-9.", acting_user=operator
    )
    with scopes_disabled():
        application.refresh_from_db()
    assert application.decision_reason == "Sign the W-9."
    services.application_submit(application=application, acting_user=merchant_owner)
    with scopes_disabled():
        application.refresh_from_db()
    assert application.status == S.SUBMITTED
    assert application.check_identity is False
    assert application.decision_reason == ""


def test_approval_needs_the_whole_checklist(merchant_org, operator):
    application = make_application(
        merchant_org,
        status=S.IN_REVIEW,
        check_identity=True,
        check_ein=True,
        check_documents=True,
        check_brands=True,
    )
    with pytest.raises(ApplicationIncomplete, match="checklist"):
        services.application_approve(application=application, acting_user=operator)
    services.application_update_checklist(
        application=application, checks={"check_categories": True}, acting_user=operator
    )
    services.application_approve(application=application, acting_user=operator)
    with scopes_disabled():
        application.refresh_from_db()
    assert application.status == S.APPROVED
    assert application.badges == ["verified"]
    assert merchant_can_trade(organization=merchant_org)


def test_a_merchant_cannot_decide_its_own_application(merchant_org, merchant_owner):
    application = make_application(merchant_org, status=S.SUBMITTED)
    with pytest.raises(PermissionDenied):
        services.application_start_review(application=application, acting_user=merchant_owner)


def test_a_reason_is_required_to_reject(merchant_org, operator):
    from django.core.exceptions import ValidationError

    application = make_application(merchant_org, status=S.IN_REVIEW)
    with pytest.raises(ValidationError):
        services.application_reject(application=application, reason="  ", acting_user=operator)


@pytest.mark.parametrize("status", S.values)
def test_only_an_approved_merchant_can_trade(status, merchant_org):
    make_application(merchant_org, status=status)
    assert merchant_can_trade(organization=merchant_org) is (status == S.APPROVED)


def test_the_third_active_strike_suspends_and_expired_ones_do_not_count(
    merchant_org, merchant_owner, operator
):
    make_application(merchant_org, status=S.APPROVED)
    old = services.strike_issue(
        organization=merchant_org, reason="Fake listing", source="takedown-1", acting_user=operator
    )
    with scopes_disabled():
        Strike.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=1))
    services.strike_issue(
        organization=merchant_org, reason="Copied images", source="takedown-2", acting_user=operator
    )
    services.strike_issue(
        organization=merchant_org,
        reason="Trademark misuse",
        source="takedown-3",
        acting_user=operator,
    )
    assert merchant_can_trade(organization=merchant_org)  # two active, one expired
    services.strike_issue(
        organization=merchant_org, reason="Counterfeit", source="takedown-4", acting_user=operator
    )
    assert not merchant_can_trade(organization=merchant_org)
    with scopes_disabled():
        application = MerchantApplication.objects.get(organization=merchant_org)
    assert application.status == S.SUSPENDED
    assert application.suspension_reason == "3 active strikes within twelve months."


def test_badges_are_awarded_once(merchant_org):
    make_application(merchant_org, status=S.APPROVED, badges=["verified"])
    for _ in range(2):
        services.merchant_award_badge(
            organization=merchant_org, badge="seminar_graduate", acting_user=None
        )
    with scopes_disabled():
        application = MerchantApplication.objects.get(organization=merchant_org)
        assert application.badges == ["seminar_graduate", "verified"]
        assert AuditEvent.objects.filter(action="merchant.badge_awarded").count() == 1


def test_saving_a_step_validates_the_ein_and_the_3pl_address(merchant_org, merchant_owner):
    from django.core.exceptions import ValidationError

    application = services.application_start(organization=merchant_org, acting_user=merchant_owner)
    with pytest.raises(ValidationError) as error:
        services.application_save_step(
            application=application,
            step="company",
            values={"ein": "07-1234567"},
            acting_user=merchant_owner,
        )
    assert "No EIN starts with 07" in str(error.value)
    with pytest.raises(ValidationError) as error:
        services.application_save_step(
            application=application,
            step="fulfilment",
            values={"fulfilment": "3pl", "fulfilment_address": ""},
            acting_user=merchant_owner,
        )
    assert "3PL" in str(error.value)
    with scopes_disabled():
        application.refresh_from_db()
    assert application.ein == "" and application.fulfilment == ""


def test_a_move_not_in_the_table_is_refused_by_the_shared_mechanism(
    merchant_org, merchant_owner, operator
):
    from network import transitions

    application = make_application(merchant_org, status=S.REJECTED)
    with pytest.raises(transitions.IllegalTransition) as error:
        services.application_approve(application=application, acting_user=operator)
    assert error.value.code == "illegal_transition"
    assert str(error.value) == "You cannot approve an application that is Rejected."
    with scopes_disabled():
        application.refresh_from_db()
    assert application.status == S.REJECTED
