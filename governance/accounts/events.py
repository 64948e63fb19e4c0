"""How the accounts room's ledger events read, and how people are named in them."""

from __future__ import annotations

from governance.accounts.models import User
from governance.ledger.describe import (
    USER_TYPE,
    queryset_namer,
    register_event_sentences,
    register_subject_namer,
)


def person_name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def register() -> None:
    register_subject_namer(USER_TYPE, queryset_namer(User.objects.all(), person_name))
    register_event_sentences(
        {
            "user.created": "{actor} created the account of {subject}",
            "user.deactivated": "{actor} deactivated the account of {subject}",
            "user.reactivated": "{actor} reactivated the account of {subject}",
            "user.invited": "{actor} invited {subject} to the system",
            "user.invitation_sent": "{actor} sent {subject} a new invitation link",
            "user.invitation_accepted": "{actor} accepted the invitation and chose a password",
            "user.provisioned": "{actor} created the account of {subject} from the identity "
            "provider ({source})",
            "user.details_changed": "{actor} changed the name or e-mail of {subject}",
            "user.roles_changed": "{actor} changed the roles of {subject}",
            "user.unlocked": "{actor} unlocked the account of {subject}",
            "api_token.created": "{actor} created the API token “{name}”",
            "api_token.revoked": "{actor} revoked an API token",
            "security.reauthentication_failed": (
                "{actor} failed to confirm their identity to sign for {target}"
            ),
        },
        emitted_by={"governance.accounts.services": ["user.invited", "user.provisioned"]},
    )
