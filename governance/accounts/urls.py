from django.urls import path

from governance.accounts import views

app_name = "accounts"

urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/tokens/", views.token_create, name="token_create"),
    path("accounts/tokens/<uuid:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("accounts/invitation/", views.invite_accept, name="invite_accept"),
    path("accounts/users/", views.user_list, name="user_list"),
    path("accounts/users/invite/", views.user_invite, name="user_invite"),
    path("accounts/users/<uuid:pk>/", views.user_detail, name="user_detail"),
    path("accounts/users/<uuid:pk>/roles/", views.user_roles, name="user_roles"),
    path("accounts/users/<uuid:pk>/deactivate/", views.user_deactivate, name="user_deactivate"),
    path("accounts/users/<uuid:pk>/reactivate/", views.user_reactivate, name="user_reactivate"),
    path(
        "accounts/users/<uuid:pk>/invitation/",
        views.user_invite_resend,
        name="user_invite_resend",
    ),
]
