"""What people find in their mailbox: every notification mailed to them, whether it came alone
or listed with others in one mail (``X-Notification-Count``, see network.services.notifications)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core import mail


@dataclass(frozen=True)
class Mailed:
    to: list[str]
    subject: str
    body: str


def mailed() -> list[Mailed]:
    """Each notification in ``mail.outbox``, in the order they were mailed and listed."""
    notifications = []
    for message in mail.outbox:
        count = int(message.extra_headers.get("X-Notification-Count", 0))
        if not count:
            notifications.append(Mailed(message.to, message.subject, message.body))
            continue
        # Item n starts at a line "n. <subject>"; its text runs until item n + 1 or the end.
        starts = []
        position = 0
        for n in range(1, count + 1):
            found = re.compile(rf"^{n}\. (.*)$", re.M).search(message.body, position)
            assert found, f"item {n} of {count} is not listed in {message.body!r}"
            starts.append(found)
            position = found.end()
        for index, found in enumerate(starts):
            end = starts[index + 1].start() if index + 1 < len(starts) else len(message.body)
            body = message.body[found.end() : end].strip()
            notifications.append(Mailed(message.to, found.group(1), body))
    return notifications
