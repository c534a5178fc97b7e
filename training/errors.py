"""Refusals of the training app, each with a stable code for the API."""

from __future__ import annotations

from network import transitions as network_transitions
from network.errors import DomainError, PermissionDenied


class RegistrationClosed(DomainError):
    code = "registration_closed"
    status = 409


class AlreadyRegistered(DomainError):
    code = "already_registered"
    status = 409


class SeatLimitReached(DomainError):
    code = "organization_seat_limit"
    status = 409


class IllegalTransition(network_transitions.IllegalTransition):
    """A seminar's or registration's status does not allow the action."""


class OfferInvalid(DomainError):
    code = "offer_invalid"
    status = 410


class NotAllowed(PermissionDenied):
    """The acting person may not do this (code ``permission_denied``, 403)."""


class FeedbackInvalid(DomainError):
    code = "feedback_invalid"
