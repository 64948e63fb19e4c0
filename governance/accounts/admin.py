from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from governance.accounts.lockout import account_unlock
from governance.accounts.models import ApiToken, RoleGrant, User


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    fk_name = "user"
    extra = 0
    fields = ("role", "granted_at", "granted_by")
    readonly_fields = ("role", "granted_at", "granted_by")

    # Roles change through the user_roles_set service so that the change is ledgered and
    # accountable ownership reacts; the admin only shows them.
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = (RoleGrantInline,)
    list_display = ("username", "email", "first_name", "last_name", "is_active", "is_staff")
    readonly_fields = ("is_active", "last_login", "date_joined")
    actions = ("unlock",)

    # People are invited, changed and deactivated on the user pages (and by SCIM), through
    # the services that ledger each change; the admin only looks and unlocks.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Unlock sign-in (clear lockouts and slow-downs)")
    def unlock(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            account_unlock(user=user, actor=cast(User, request.user), reason="Django admin")
        self.message_user(request, f"Unlocked {queryset.count()} account(s).")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = (
        "prefix",
        "user",
        "name",
        "scopes",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    readonly_fields = (
        "user",
        "name",
        "prefix",
        "key_hash",
        "scopes",  # what a token may do is set once, by api_token_create, and ledgered
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
