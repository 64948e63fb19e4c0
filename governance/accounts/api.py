from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from governance.accounts.permissions import permissions_of


class MeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()
    name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    permissions = serializers.ListField(child=serializers.CharField())


@extend_schema(responses=MeSerializer)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def me(request: Request) -> Response:
    """Who the token or session belongs to, with roles and what they allow."""
    user = request.user
    return Response(
        {
            "id": str(user.pk),
            "username": user.get_username(),
            "name": user.display_name,  # type: ignore[union-attr]
            "roles": sorted(user.roles),  # type: ignore[union-attr]
            "permissions": sorted(p.value for p in permissions_of(user)),
        }
    )


urlpatterns = [path("me/", me, name="api-me")]
