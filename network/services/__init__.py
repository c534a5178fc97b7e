"""Every write of the platform core. Each is atomic, audited, and mails only after commit.

- ``core``: audit, users, organisations, memberships, invitations, exchange rates;
- ``notifications``: a message to one person and the task that mails it;
- ``integrations``: API keys, webhook endpoints and deliveries (with their tasks).
"""

from network.services.core import *  # noqa: F403
from network.services.core import (  # noqa: F401 - the names other apps import
    InvitationInvalid,
    MembershipInvalid,
    PermissionDenied,
    audit,
)
from network.services.integrations import *  # noqa: F403
from network.services.notifications import (  # noqa: F401
    notification_deliver,
    notification_mail_batch,
    notification_mark_read,
    notification_send,
)
