"""Every write of the platform core. Each is atomic, audited, and mails only after commit."""

from network.services.core import *  # noqa: F403
from network.services.core import (  # noqa: F401 - the names other apps import
    InvitationInvalid,
    MembershipInvalid,
    PermissionDenied,
    audit,
    notification_send,
)
from network.services.integrations import *  # noqa: F403
