from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class OidcIdentity(models.Model):
    """Which provider account (issuer + subject) signs in as which person.

    The subject is the provider's stable id for the person; usernames and e-mail addresses
    can be reassigned at the provider, so they never link an account on their own.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_identities"
    )
    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=255)
    groups = models.JSONField(default=list, help_text="The groups at the last sign-in")
    created_at = models.DateTimeField(auto_now_add=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("issuer", "subject")
        constraints = [
            models.UniqueConstraint(fields=("issuer", "subject"), name="oidcidentity_unique"),
            models.UniqueConstraint(fields=("user", "issuer"), name="oidcidentity_one_per_issuer"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"
