from __future__ import annotations

from django.contrib import admin

from governance.core.admin import ReadOnlyAdmin
from governance.ledger.models import LedgerCheck, LedgerCheckpoint, LedgerEvent, LedgerHead


@admin.register(LedgerEvent)
class LedgerEventAdmin(ReadOnlyAdmin):
    list_display = ("seq", "ts", "actor_name", "action", "subject_type", "subject_id")
    list_filter = ("action",)
    search_fields = ("action", "actor_name", "subject_id", "deployment_id")
    show_full_result_count = False


@admin.register(LedgerHead)
class LedgerHeadAdmin(ReadOnlyAdmin):
    list_display = ("seq", "hash")


@admin.register(LedgerCheck)
class LedgerCheckAdmin(ReadOnlyAdmin):
    list_display = ("checked_at", "ok", "event_count", "first_bad_seq", "seconds")


@admin.register(LedgerCheckpoint)
class LedgerCheckpointAdmin(ReadOnlyAdmin):
    list_display = ("seq", "ts", "head_hash", "algorithm", "certificate_sha256")
