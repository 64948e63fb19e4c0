"""Ending a person's sign-ins on the server, for deactivation and for sign-in providers."""

from __future__ import annotations

import logging
from importlib import import_module
from typing import Any

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)


def sessions_end_for_user(*, user: Any) -> int:
    """Delete every unexpired session of this person from the session store; return how many.

    Works with the database-backed engines (`db`, `cached_db`, the default here). A store
    that keeps sessions only in the browser (signed cookies) cannot be emptied from the server;
    there an inactive account is still refused on its next request, because Django's
    authentication backend loads no inactive user.
    """
    store_class: Any = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store_class, "get_model_class"):
        logger.warning("session engine %s keeps no server-side sessions", settings.SESSION_ENGINE)
        return 0
    model = store_class.get_model_class()
    wanted = str(user.pk)
    keys = [
        session.session_key
        for session in model.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get("_auth_user_id") == wanted
    ]
    for key in keys:
        # Through the store, so a cached_db engine drops its cached copy too.
        store_class(session_key=key).delete()
    return len(keys)
