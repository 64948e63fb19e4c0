from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from governance.accounts.permissions import TokenScopes, permissions_of


class MeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()
    name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    permissions = serializers.ListField(child=serializers.CharField())
    token_scopes = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="The scopes of the token this call was made with (null for a session)",
    )


@extend_schema(responses=MeSerializer)
@api_view(["GET"])
@permission_classes([IsAuthenticated, TokenScopes])
def me(request: Request) -> Response:
    """Who the token or session belongs to, with roles and what they allow (needs `read`)."""
    user = request.user
    scopes = getattr(request.auth, "scope_set", None)
    return Response(
        {
            "id": str(user.pk),
            "username": user.get_username(),
            "name": user.display_name,  # type: ignore[union-attr]
            "roles": sorted(user.roles),  # type: ignore[union-attr]
            "permissions": sorted(p.value for p in permissions_of(user)),
            "token_scopes": sorted(scopes) if scopes is not None else None,
        }
    )


urlpatterns = [path("me/", me, name="api-me")]
