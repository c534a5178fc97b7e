"""Permissions that come from a person's role rather than from rows in auth's tables."""

from __future__ import annotations

from django.contrib.auth.backends import BaseBackend

from network.permissions import user_administers_network


class NetworkAdministratorBackend(BaseBackend):
    """Owners and admins of the operator organisation hold every model permission, so the
    admin lets them view and change all records. It authenticates nobody: signing in stays
    with the account login and its second factor."""

    def has_perm(self, user_obj, perm, obj=None) -> bool:
        return user_administers_network(user_obj)

    def has_module_perms(self, user_obj, app_label) -> bool:
        return user_administers_network(user_obj)
