from django.urls import re_path

from governance.accounts.scim import views

app_name = "scim"

# Providers differ on a trailing slash; both forms answer.
urlpatterns = [
    re_path(r"^Users/?$", views.users, name="users"),
    re_path(r"^Users/(?P<pk>[^/]+)/?$", views.user, name="user"),
    re_path(r"^Groups/?$", views.groups_view, name="groups"),
    re_path(r"^Groups/(?P<pk>[^/]+)/?$", views.group, name="group"),
    re_path(
        r"^ServiceProviderConfig/?$",
        views.service_provider_config,
        name="service_provider_config",
    ),
    re_path(r"^ResourceTypes/?$", views.resource_types, name="resource_types"),
    re_path(r"^ResourceTypes/(?P<name>[^/]+)/?$", views.resource_types, name="resource_type"),
    re_path(r"^Schemas/?$", views.schemas, name="schemas"),
    re_path(r"^Schemas/(?P<urn>[^/]+)/?$", views.schemas, name="schema"),
    re_path(r"^(?P<rest>.*)$", views.unknown, name="unknown"),
]
