"""Celery tasks of deals (routed to the ``notifications`` queue): each part keeps its task in
its services module and is imported here so the worker registers it."""

from deals.services.messages import message_mail

__all__ = ["message_mail"]
