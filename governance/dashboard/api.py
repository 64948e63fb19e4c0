"""The dashboard adds no API of its own: its figures are readings of the rooms' records,
which the rooms' endpoints already serve."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
