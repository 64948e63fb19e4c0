"""The token exchange and ID-token checks, on mozilla-django-oidc's backend.

The library does the code exchange (with the PKCE verifier), reads the provider's signing
keys and userinfo; this subclass takes its endpoints from discovery and checks every claim
the library leaves alone (issuer, audience, authorised party, expiry), each refusal with a
message a person can act on.
"""

from __future__ import annotations

from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import absolutify, import_from_settings

from governance.accounts.sso import provider

# Settings the library reads that come from the discovery document instead.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
# Clocks of the provider and this server may differ a little.
LEEWAY_SECONDS = 60


class TokenRefused(Exception):
    """The provider's answer cannot be trusted; the message says why."""


def discovered_setting(attr: str, *args: Any) -> Any:
    if attr in DISCOVERED:
        return provider.metadata().get(DISCOVERED[attr], *args)
    return import_from_settings(attr, *args)


class SsoBackend(OIDCAuthenticationBackend):
    get_settings = staticmethod(discovered_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Django builds every configured backend for each password sign-in; the provider's
        # endpoints are discovered only when a provider sign-in uses them (properties below).
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.UserModel = get_user_model()

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:
        return str(discovered_setting("OIDC_OP_TOKEN_ENDPOINT"))

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str | None:
        return discovered_setting("OIDC_OP_USER_ENDPOINT", None)

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:
        return str(discovered_setting("OIDC_OP_JWKS_ENDPOINT"))

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        # Listed in AUTHENTICATION_BACKENDS only so that sessions started by the sign-in
        # callback (which verifies the provider's answer itself and calls `login`) load
        # their user; a password attempt passing through Django's backends finds nobody.
        return None

    def get_user(self, user_id: Any) -> Any:
        # The library's get_user also returns inactive people; Django's refuses them.
        return ModelBackend.get_user(self, user_id)

    def exchange(
        self, request: HttpRequest, *, code: str, nonce: str, code_verifier: str | None
    ) -> dict[str, Any]:
        """Trade the code for tokens and return the ID token's verified claims, with userinfo."""
        self.request = request
        payload = {
            "client_id": self.OIDC_RP_CLIENT_ID,
            "client_secret": self.OIDC_RP_CLIENT_SECRET,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": absolutify(request, reverse(settings.OIDC_AUTHENTICATION_CALLBACK_URL)),
        }
        if code_verifier:
            payload["code_verifier"] = code_verifier
        try:
            tokens = self.get_token(payload)
        except (requests.RequestException, ValueError) as exc:
            raise TokenRefused(
                f"{provider.provider_name()} did not accept the sign-in code (it may have been "
                "used already or expired). Start again."
            ) from exc
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise TokenRefused("The provider answered without an ID token.")
        claims = self.verify_token(id_token, nonce=nonce)
        return {**self._userinfo(tokens.get("access_token"), claims), **claims}

    def _userinfo(self, access_token: Any, claims: dict[str, Any]) -> dict[str, Any]:
        if not access_token or not self.OIDC_OP_USER_ENDPOINT:
            return {}
        try:
            info = self.get_userinfo(access_token, None, claims)
        except (requests.RequestException, ValueError, SuspiciousOperation, TokenRefused):
            return {}  # the ID token's own claims are used
        # OpenID Connect Core §5.3.2: userinfo about someone else must not be used.
        return info if isinstance(info, dict) and info.get("sub") == claims["sub"] else {}

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """Check the ID token's signature and every claim that binds it to this sign-in."""
        document = provider.metadata()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenRefused("The provider's ID token is not a signed token.") from exc
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise TokenRefused(
                f"The ID token is signed with {header.get('alg')!r}, not the expected "
                f"{self.OIDC_RP_SIGN_ALGO} (OIDC_SIGN_ALGO)."
            )
        try:
            key = self.retrieve_matching_jwk(token)
        except (SuspiciousOperation, requests.RequestException, KeyError) as exc:
            raise TokenRefused(
                "The ID token is signed with a key the provider does not publish."
            ) from exc
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=document["issuer"],
                leeway=LEEWAY_SECONDS,
                options={"require": ["iss", "aud", "sub", "exp", "iat"]},
            )
        except jwt.InvalidSignatureError as exc:
            raise TokenRefused(
                "The ID token's signature does not match the provider's published key: "
                "it was not issued by the provider."
            ) from exc
        except jwt.InvalidAudienceError as exc:
            raise TokenRefused(
                "The ID token was issued for another application (its audience is not "
                f"{self.OIDC_RP_CLIENT_ID})."
            ) from exc
        except jwt.InvalidIssuerError as exc:
            raise TokenRefused(
                f"The ID token was issued by someone other than {document['issuer']}."
            ) from exc
        except jwt.ExpiredSignatureError as exc:
            raise TokenRefused("The ID token has expired. Start again.") from exc
        except jwt.PyJWTError as exc:
            raise TokenRefused(f"The ID token is not valid: {exc}.") from exc
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise TokenRefused("The ID token was issued to another party (azp).")
        if kwargs.get("nonce") is None or claims.get("nonce") != kwargs["nonce"]:
            raise TokenRefused(
                "The ID token does not belong to this sign-in attempt (nonce mismatch). "
                "Start again."
            )
        return claims
