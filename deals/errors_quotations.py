"""Refusals of requests for quotation and quotations, each with a stable code for the API."""

from __future__ import annotations

from network.errors import DomainError, PermissionDenied
from network.transitions import IllegalTransition


class QuotationPermissionDenied(PermissionDenied):
    """The acting person's organisation or role may not do this."""


class QuotationRequestInvalid(DomainError):
    """A request for quotation that cannot be made as written (field named in ``field``)."""

    code = "quotation_request_invalid"


class QuotationInvalid(DomainError):
    """A quotation that cannot be submitted as written (field named in ``field``)."""

    code = "quotation_invalid"


class QuotationRequestNotOpen(DomainError):
    """The request was closed or awarded: it takes no more quotations or changes."""

    code = "quotation_request_not_open"
    status = 409


class IllegalQuotationTransition(IllegalTransition):
    """The request's or the quotation's status does not allow this (``illegal_transition``)."""
