"""The person's own notifications over the API: list, mark one read, mark all read.

Everyone sees only their own: the queryset is the caller's inbox, so another person's
notification is a 404 like one that does not exist. Reading and marking read need only VIEW,
which every role holds (auditors too: marking their own inbox read changes no governance
record).
"""

from __future__ import annotations

from typing import Any, cast

import django_filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from governance.accounts.models import User
from governance.accounts.permissions import Perm
from governance.core.api import UUIDLookup
from governance.notifications import services
from governance.notifications.models import Notification
from governance.notifications.selectors import notifications_for


class NotificationSerializer(serializers.ModelSerializer):
    action = serializers.CharField(read_only=True, help_text="What the link lets you do")
    unread = serializers.BooleanField(source="is_unread", read_only=True)

    class Meta:
        model = Notification
        fields = (
            "id",
            "kind",
            "title",
            "link",
            "action",
            "subject_type",
            "subject_id",
            "deployment",
            "created_at",
            "read_at",
            "unread",
        )
        read_only_fields = fields


class ReadAllInputSerializer(serializers.Serializer):
    before = serializers.DateTimeField(
        required=False,
        help_text="Mark read only notifications created up to this moment (default: all)",
    )


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", label="Only unread (true) or only read"
    )

    class Meta:
        model = Notification
        fields = ("unread", "kind")


class NotificationViewSet(UUIDLookup, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Your notifications, unread first and newest first."""

    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    ordering = None  # the selector's order: unread first, newest first
    ordering_fields = ("created_at",)
    search_fields: tuple[str, ...] = ()
    action_perms = {"read": Perm.VIEW, "read_all": Perm.VIEW}

    def get_queryset(self) -> Any:
        return notifications_for(self.request.user)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        """Mark one of your notifications read (again: nothing changes)."""
        notification = self.get_object()
        updated = services.notification_mark_read(
            user=cast(User, request.user), notification_id=notification.pk
        )
        return Response(NotificationSerializer(updated).data)

    @extend_schema(
        request=ReadAllInputSerializer,
        responses=inline_serializer("ReadAllResult", {"marked": serializers.IntegerField()}),
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        """Mark all your unread notifications read; returns how many were marked."""
        payload = ReadAllInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        marked = services.notification_mark_all_read(
            user=cast(User, request.user), before=payload.validated_data.get("before")
        )
        return Response({"marked": marked})


router = SimpleRouter()
router.register("notifications", NotificationViewSet, basename="notification")
urlpatterns = router.urls
