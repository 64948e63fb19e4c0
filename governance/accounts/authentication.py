from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.db import connection
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from governance.accounts.models import ApiToken, RoleGrant, User

# Writing last_used_at on every call would turn each gate query into a write; once an hour
# is enough to tell which tokens are still in use.
LAST_USED_RESOLUTION = dt.timedelta(hours=1)

# Every API call starts here, and pipelines call the gate many times a minute, so the token,
# its user and the user's roles come back in one statement (one row per role grant) instead
# of two ORM queries: building the ORM query cost more than running it. The user's other
# fields stay deferred and load on first use.
_TOKEN_USER_ROLES_SQL = f"""
    SELECT u.id, u.username, u.first_name, u.last_name, u.email,
           u.is_active, u.is_staff, u.is_superuser,
           t.id AS token_id, t.scopes AS token_scopes,
           CASE WHEN t.last_used_at IS NULL OR t.last_used_at < %s THEN 1 ELSE 0 END
               AS token_use_unrecorded,
           CASE WHEN t.expires_at IS NOT NULL AND t.expires_at <= %s THEN 1 ELSE 0 END
               AS token_expired,
           g.role AS granted_role
    FROM {ApiToken._meta.db_table} t
    JOIN {User._meta.db_table} u ON u.id = t.user_id
    LEFT JOIN {RoleGrant._meta.db_table} g ON g.user_id = u.id
    WHERE t.key_hash = %s AND t.revoked_at IS NULL
"""  # noqa: S608 - table names from the models' metadata, values are parameters


class HashedTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, looked up by the key's SHA-256.

    The token it returns (`request.auth`) carries its scopes, which `TokenScopes` checks
    against what the view accepts; an expired token is refused here, with a 401 that says so.
    """

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        digest = hashlib.sha256(key.encode()).hexdigest()
        now = timezone.now()
        adapt = connection.ops.adapt_datetimefield_value
        recorded_since, at = adapt(now - LAST_USED_RESOLUTION), adapt(now)
        # Each row is a User carrying the token's columns and one granted role.
        rows: list[Any] = list(
            User.objects.raw(_TOKEN_USER_ROLES_SQL, [recorded_since, at, digest])
        )
        if not rows:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        user = rows[0]
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        if user.token_expired:
            raise exceptions.AuthenticationFailed(
                "This token has expired; ask for a new one (the profile page or "
                "manage.py create_api_token)."
            )
        # Fills the `roles` cached property, so permission checks ask no further query.
        user.__dict__["roles"] = frozenset(row.granted_role for row in rows if row.granted_role)
        token_pk = ApiToken._meta.get_field("id").to_python(user.token_id)
        token = ApiToken.from_db(
            ApiToken.objects.db,
            ["id", "user_id", "key_hash", "scopes"],
            [token_pk, user.pk, digest, user.token_scopes],
        )
        token.user = user
        if user.token_use_unrecorded:
            ApiToken.objects.filter(pk=token_pk).update(last_used_at=now)
        return user, token
