"""Domain errors: services raise them, pages show their message, the API returns their code."""

from __future__ import annotations


class DomainError(Exception):
    """A refused action, with a message for people and a stable code for machines."""

    code = "invalid"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, **details) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details


class PermissionDenied(DomainError):
    """The acting person's role (or organisation kind) does not allow the action."""

    code = "permission_denied"
    status = 403
