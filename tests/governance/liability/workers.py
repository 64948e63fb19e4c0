"""Child-process entry points for the PostgreSQL concurrency tests.

Spawned children import this module before Django is set up, so nothing of Django or the
project is imported at module level.
"""

from __future__ import annotations

from typing import Any


def accept_offer(
    database_name: str, offer_id: str, password: str, barrier: Any, results: Any
) -> None:
    from tests.helpers.processes import setup_django

    setup_django(database_name)
    from django.conf import settings
    from django.test import RequestFactory

    # The suite hashes passwords with MD5 for speed (tests/conftest.py); check them alike.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    from governance.core.errors import DomainError
    from governance.liability import services
    from governance.liability.models import OwnershipOffer

    offer = OwnershipOffer.objects.select_related("to_user", "deployment").get(pk=offer_id)
    request = RequestFactory().post("/")
    barrier.wait()
    try:
        ownership = services.ownership_offer_accept(
            offer=offer,
            actor=offer.to_user,
            statement="I accept accountability for this deployment.",
            password=password,
            request=request,
        )
    except DomainError as exc:
        results.put((offer_id, "refused", type(exc).__name__, exc.message))
    else:
        results.put((offer_id, "accepted", str(ownership.pk), ""))
