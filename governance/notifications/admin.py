from __future__ import annotations

from django.contrib import admin

from governance.core.admin import ReadOnlyAdmin
from governance.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "recipient", "kind", "title", "read_at")
    list_filter = ("kind",)
    search_fields = ("title", "subject_id", "recipient__username")
    show_full_result_count = False
