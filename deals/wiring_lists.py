"""Registrations of this part of deals (filled in as it is built)."""


def register() -> None:
    return None
