"""What deals registers with the apps below it, one function per part so each stays in its own
module: messages (header entry, unread count), quotations (header entry) and lists."""

from __future__ import annotations


def register_all() -> None:
    from deals import wiring_lists, wiring_messages, wiring_quotations

    wiring_messages.register()
    wiring_quotations.register()
    wiring_lists.register()
