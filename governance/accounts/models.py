from __future__ import annotations

import uuid
from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

from governance.accounts.roles import Role
from governance.accounts.scopes import STORED_PATTERN, scopes_of


class User(AbstractUser):
    """A person. Roles are separate grants so one person can hold several, with history."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        ordering = ("username",)

    @cached_property
    def roles(self) -> frozenset[str]:
        # One query per request; views that list many users prefetch `role_grants` instead.
        return frozenset(grant.role for grant in self.role_grants.all())

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    def __str__(self) -> str:
        return self.display_name


class RoleGrant(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(max_length=32, choices=Role.choices)
    granted_at = models.DateTimeField(auto_now_add=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("user", "role"), name="rolegrant_one_per_user_role"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="rolegrant_role_known"
            ),
        ]
        ordering = ("role",)

    def __str__(self) -> str:
        return f"{self.user} as {self.get_role_display()}"


class ApiToken(models.Model):
    """An API token for CI pipelines. Only the SHA-256 of the key is stored.

    It acts for its user within its scopes (governance/accounts/scopes.py) until it is
    revoked or its expiry passes.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(
        max_length=8, help_text="First characters of the key, to recognise it"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.CharField(
        max_length=100, help_text="Space-separated scopes, sorted (e.g. 'gate:read read')"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Refused from this moment on; empty: never expires"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scopes__regex=STORED_PATTERN), name="apitoken_scopes_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def scope_set(self) -> frozenset[str]:
        return scopes_of(self.scopes)
