from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from governance.accounts.models import ApiToken

# Writing last_used_at on every call would turn each gate query into a write; once an hour
# is enough to tell which tokens are still in use.
LAST_USED_RESOLUTION = dt.timedelta(hours=1)


class HashedTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, looked up by the key's SHA-256."""

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        digest = hashlib.sha256(key.encode()).hexdigest()
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=digest, revoked_at__isnull=True)
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
