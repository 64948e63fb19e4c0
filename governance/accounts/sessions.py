"""Ending a person's sessions, wherever they are signed in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.utils import timezone


def sessions_end_for_user(*, user: Any) -> int:
    """Delete every unexpired session signed in as this person; returns how many ended.

    Sessions live in the database (Django's default engine) and carry the user's id only in
    their encoded data, so each unexpired session is decoded once.
    """
    wanted = str(user.pk)
    ended: list[str] = []
    unexpired = Session.objects.filter(expire_date__gt=timezone.now())
    for session in unexpired.iterator(chunk_size=500):
        if str(session.get_decoded().get(SESSION_KEY, "")) == wanted:
            ended.append(session.session_key)
    Session.objects.filter(session_key__in=ended).delete()
    return len(ended)
