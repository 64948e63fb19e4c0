from __future__ import annotations

from typing import Any

from rest_framework import mixins, serializers, viewsets
from rest_framework.routers import SimpleRouter

from governance.accounts.permissions import Perm, can
from governance.ledger.filters import LedgerEventFilter
from governance.ledger.models import LedgerEvent


class LedgerEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = LedgerEvent
        fields = (
            "seq",
            "ts",
            "actor_id",
            "actor_name",
            "action",
            "subject_type",
            "subject_id",
            "deployment_id",
            "prev_hash",
            "hash",
        )

    def to_representation(self, instance: LedgerEvent) -> dict[str, Any]:
        representation = dict(super().to_representation(instance))
        representation["data"] = instance.payload
        return representation


class LedgerEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The audit trail, read-only. Hashes are included so anyone can re-check the chain."""

    serializer_class = LedgerEventSerializer
    filterset_class = LedgerEventFilter
    ordering_fields = ("seq",)
    ordering = ("-seq",)
    lookup_field = "seq"
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> Any:
        if not can(self.request.user, Perm.VIEW):
            return LedgerEvent.objects.none()
        return LedgerEvent.objects.all()


router = SimpleRouter()
router.register("ledger", LedgerEventViewSet, basename="ledger-event")
urlpatterns = router.urls
