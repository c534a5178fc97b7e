"""An attendee's rating and comment, once, after the seminar has ended."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from network.models import User
from network.services import audit
from training.errors import FeedbackInvalid, NotAllowed
from training.models import Feedback, Registration
from training.services.attendance import certificate_available
from training.services.core import _lock_registration


@transaction.atomic
def feedback_submit(
    *, registration: Registration, rating: int, comment: str, acting_user: User
) -> Feedback:
    """Store an attendee's rating and comment, once, after the seminar ended."""
    if registration.user_id != acting_user.pk:
        raise NotAllowed(_("Only the attendee can give feedback on their seminar."))
    registration = _lock_registration(registration.pk, organization=registration.organization)
    if not certificate_available(registration):
        raise FeedbackInvalid(_("Feedback opens to attendees once the seminar has ended."))
    organization = registration.organization
    if Feedback.objects.visible_to(organization).filter(registration=registration).exists():
        raise FeedbackInvalid(_("You have already given feedback on this seminar."))
    feedback = Feedback(
        registration=registration,
        seminar=registration.seminar,
        organization=organization,
        rating=rating,
        comment=comment.strip(),
    )
    # Checked just above, under the registration's lock; the database holds the constraints.
    feedback.full_clean(validate_unique=False, validate_constraints=False)
    feedback.save()
    audit(
        actor=acting_user,
        organization=registration.organization,
        action="registration.feedback_given",
        target=registration,
        changes={"rating": rating},
    )
    return feedback
