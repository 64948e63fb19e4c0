from django.urls import path

from governance.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("incidents/", views.incident_list, name="incident_list"),
    path("incidents/<uuid:pk>/", views.incident_detail, name="incident_detail"),
]
