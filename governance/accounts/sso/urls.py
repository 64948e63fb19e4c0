from django.urls import path

from governance.accounts.sso import views

app_name = "sso"

urlpatterns = [
    path("oidc/login/", views.sso_login, name="login"),
    path("oidc/callback/", views.sso_callback, name="callback"),
]
