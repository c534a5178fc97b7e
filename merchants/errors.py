from django.utils.translation import gettext_lazy as _

from network import transitions as network_transitions
from network.errors import DomainError


class MerchantNotApproved(DomainError):
    """Raised by any service that needs an approved, non-suspended merchant."""

    code = "merchant_not_approved"
    status = 403

    def __init__(self, message=None, **details):
        super().__init__(
            str(message or _("Only approved merchants in good standing can do this.")), **details
        )


class IllegalTransition(network_transitions.IllegalTransition):
    """An application's status does not allow the action."""


class ApplicationIncomplete(DomainError):
    code = "application_incomplete"


class DocumentRejected(DomainError):
    code = "document_rejected"
