from django.urls import path

from governance.ledger import views

app_name = "ledger"

urlpatterns = [path("audit-log/", views.event_list, name="event_list")]
