"""Failed passwords: who is locked, who is slowed down, who is told, and who may unlock.

- Axes locks a (username, address) pair after LOGIN_FAILURE_LIMIT failures, so guesses from
  one address never lock the owner out from theirs.
- Guesses spread over many addresses are slowed down per username instead: once a username
  has LOGIN_SLOWDOWN_AFTER failures, each further attempt from an address the owner has not
  signed in from must wait a delay that doubles with every failure (at most
  LOGIN_SLOWDOWN_MAX_SECONDS). Addresses with a successful sign-in (axes' access log) are
  exempt, so the owner keeps working while someone else guesses.
- The owner is e-mailed when a pair is locked; administrators unlock through
  `account_unlock` (Django admin action, `manage.py unlock_user`), which is ledgered.
- Under /api/ a lockout is a JSON 429, like every other refusal of the API.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from axes.models import AccessLog
from axes.utils import reset as axes_reset
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from governance.accounts.models import User
from governance.core.errorpages import is_api
from governance.core.ratelimit import client_address
from governance.ledger.services import ledger_append

logger = logging.getLogger(__name__)


def _cooloff_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def _username_key(username: str) -> str:
    digest = hashlib.sha256(username.casefold().encode()).hexdigest()[:32]
    return f"login-slowdown:{digest}"


# --- slow-down per username -------------------------------------------------------------


def _delay(failures: int) -> int:
    over = failures - settings.LOGIN_SLOWDOWN_AFTER
    if over < 0:
        return 0
    return int(min(2**over, settings.LOGIN_SLOWDOWN_MAX_SECONDS))


def _familiar(username: str, address: str) -> bool:
    return AccessLog.objects.filter(username=username, ip_address=address).exists()


def slowdown_wait(username: str, address: str) -> int:
    """Seconds this address must still wait before its next password for `username`."""
    state = cache.get(_username_key(username))
    if not state:
        return 0
    wait = int(state["last"] + _delay(state["failures"]) - time.time() + 0.999)
    if wait <= 0 or _familiar(username, address):
        return 0
    return wait


def record_failure(username: str) -> None:
    key = _username_key(username)
    state = cache.get(key) or {"failures": 0, "last": 0.0}
    state = {"failures": state["failures"] + 1, "last": time.time()}
    # Forgotten a cool-off period after the last failure, like axes' own counts.
    cache.set(key, state, timeout=_cooloff_seconds())


class UsernameSlowdownBackend:
    """Refuses to check a password while its username is slowed down for this address.

    Listed after axes' backend and before the one that checks passwords. A refusal raises
    PermissionDenied, which Django reports as a failed login without asking later backends.
    No `get_user`: sessions must never name this backend (Django picks the first that has one).
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, **kwargs: Any
    ) -> None:
        if request is None or not username:
            return None
        wait = slowdown_wait(username, client_address(request))
        if wait:
            request.login_wait_seconds = wait  # type: ignore[attr-defined]
            raise PermissionDenied("slowed down")
        # The password goes on to be checked: a failure now is a real guess and counts.
        request.login_password_checked = True  # type: ignore[attr-defined]
        return None


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **_: Any
) -> None:
    username = credentials.get("username")
    if username and getattr(request, "login_password_checked", False):
        record_failure(username)


def wait_message(seconds: int) -> str:
    return (
        "Too many failed sign-ins for this account from different places. "
        f"Wait {seconds} seconds before trying again from this address."
    )


# --- telling the owner ------------------------------------------------------------------


def on_locked_out(
    sender: Any, request: Any, username: str | None, ip_address: str, **_: Any
) -> None:
    """E-mail the account's owner once per locked address and cool-off period."""
    if not username:
        return
    user = User.objects.filter(username=username, is_active=True).exclude(email="").first()
    if user is None:
        return
    once = f"login-lockout-mail:{_username_key(username)}:{ip_address}"
    if not cache.add(once, True, timeout=_cooloff_seconds()):
        return  # axes signals again for every attempt during the lockout
    minutes = _cooloff_seconds() // 60
    send_mail(
        subject="Sign-ins to your account were locked for one address",
        message=(
            f"Hello {user.get_short_name() or user.get_username()},\n\n"
            f"{settings.AXES_FAILURE_LIMIT} wrong passwords were given for your account "
            f"({username}) from the address {ip_address}. Sign-ins from that address are "
            f"refused for {minutes} minutes; other addresses are not affected.\n\n"
            "If this was not you, tell an administrator, who can also lift the lock.\n\n"
            f"{settings.SITE_URL}\n"
        ),
        from_email=None,
        recipient_list=[user.email],
        fail_silently=True,  # a mail outage must not turn a refused sign-in into an error
    )


# --- responses --------------------------------------------------------------------------

LOCKED_MESSAGE = (
    "Too many failed password attempts for this account from your address. "
    "Try again later or ask an administrator to unlock it."
)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: JSON 429 under /api/, the lockout page elsewhere."""
    retry_after = str(_cooloff_seconds())
    if is_api(request):
        response: HttpResponse = JsonResponse(
            {"detail": LOCKED_MESSAGE, "code": "locked_out", "retry_after": int(retry_after)},
            status=429,
        )
    else:
        response = render(
            request, settings.AXES_LOCKOUT_TEMPLATE, {"message": LOCKED_MESSAGE}, status=429
        )
    response["Retry-After"] = retry_after
    return response


# --- unlocking --------------------------------------------------------------------------


def account_unlock(*, user: User, actor: User | None, reason: str = "") -> int:
    """Lift every lockout and slow-down on a person's account; returns the cleared records."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        cleared = axes_reset(username=locked.get_username())
        ledger_append(
            actor=actor,
            action="user.unlocked",
            subject=locked,
            data={"username": locked.get_username(), "cleared": cleared, "reason": reason},
        )
    cache.delete(_username_key(locked.get_username()))
    return cleared
