"""/scim/v2/ routes. Anything not matched below is a SCIM 404, never Django's HTML page.

Each route takes a trailing slash, and extra leading ones: an admin who pastes the SCIM URL
with a trailing slash makes clients send ``/scim/v2//Users``."""

from django.urls import re_path

from scim import views

app_name = "scim"


def route(pattern: str, view: type, name: str):  # noqa: ANN201
    return re_path(rf"^(?:/*){pattern}/?$", view.as_view(), name=name)


urlpatterns = [
    route("ServiceProviderConfig", views.ServiceProviderConfigView, "service-provider-config"),
    route("ResourceTypes", views.ResourceTypesView, "resource-types"),
    route(r"ResourceTypes/(?P<doc_id>[^/]+)", views.ResourceTypesView, "resource-type"),
    route("Schemas", views.SchemasView, "schemas"),
    route(r"Schemas/(?P<doc_id>[^/]+)", views.SchemasView, "schema"),
    route("Users", views.UsersView, "users"),
    route(r"Users/\.search", views.UsersSearchView, "users-search"),
    route(r"Users/(?P<resource_id>[^/]+)", views.UserView, "user"),
    route("Groups", views.GroupsView, "groups"),
    route(r"Groups/\.search", views.GroupsSearchView, "groups-search"),
    route(r"Groups/(?P<resource_id>[^/]+)", views.GroupView, "group"),
    route(r"\.search", views.RootSearchView, "search"),
    route("(?:Bulk|Me)", views.NotImplementedView, "not-implemented"),
    re_path(r"^.*$", views.NotFoundView.as_view(), name="not-found"),
]
