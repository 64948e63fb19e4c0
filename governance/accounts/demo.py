"""Demo users, one per role (two where a quorum needs two people)."""

from __future__ import annotations

import os

from governance.accounts.models import User
from governance.accounts.roles import Role
from governance.accounts.services import user_create

DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "governance-demo")

DEMO_USERS: list[tuple[str, str, list[str]]] = [
    ("requester", "Maya Patel", [Role.REQUESTER]),
    ("engineer2", "Tom Becker", [Role.REQUESTER]),
    ("reviewer", "Ravi Iyer", [Role.REVIEWER]),
    ("reviewer2", "Lena Novak", [Role.REVIEWER]),
    ("compliance", "Chloé Martin", [Role.COMPLIANCE_OFFICER]),
    ("compliance2", "Daniel Osei", [Role.COMPLIANCE_OFFICER]),
    ("legal", "Laura Schmidt", [Role.LEGAL]),
    ("executive", "Evelyn Carter", [Role.EXECUTIVE]),
    ("auditor", "Aaron Kim", [Role.AUDITOR]),
    ("admin", "Ada Admin", [Role.ADMIN]),
]


def ensure_demo_users() -> dict[str, User]:
    users: dict[str, User] = {}
    for username, full_name, roles in DEMO_USERS:
        existing = User.objects.filter(username=username).first()
        if existing is None:
            first, _, last = full_name.partition(" ")
            existing = user_create(
                username=username,
                password=DEMO_PASSWORD,
                roles=[str(r) for r in roles],
                email=f"{username}@example.com",
                first_name=first,
                last_name=last,
            )
            if username == "admin":
                User.objects.filter(pk=existing.pk).update(is_staff=True, is_superuser=True)
        users[username] = existing
    return users
