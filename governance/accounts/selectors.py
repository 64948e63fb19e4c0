"""Reads of accounts for the user administration pages and the SCIM endpoints."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from governance.accounts.models import User
from governance.accounts.permissions import Perm, can


def users_managed(user: Any) -> QuerySet[User]:
    """Every account, with its role grants, for people who manage accounts (none otherwise)."""
    if not can(user, Perm.USER_MANAGE):
        return User.objects.none()
    return User.objects.prefetch_related("role_grants")


def user_managed(user: Any, pk: Any) -> User:
    """One account for the administration page; User.DoesNotExist for anyone else."""
    return users_managed(user).get(pk=pk)
