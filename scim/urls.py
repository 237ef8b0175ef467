"""/scim/v2/ routes. Anything not matched below is a SCIM 404, never Django's HTML page.

Each route takes a trailing slash, and extra leading ones: an admin who pastes the SCIM URL
with a trailing slash makes clients send ``/scim/v2//Users``."""

from django.urls import re_path

from scim import views

app_name = "scim"

urlpatterns = [
    re_path(r"^(?:/*)ServiceProviderConfig/?$", views.ServiceProviderConfigView.as_view(),
            name="service-provider-config"),
    re_path(r"^(?:/*)ResourceTypes/?$", views.ResourceTypesView.as_view(), name="resource-types"),
    re_path(r"^(?:/*)ResourceTypes/(?P<type_id>[^/]+)/?$", views.ResourceTypesView.as_view(),
            name="resource-type"),
    re_path(r"^(?:/*)Schemas/?$", views.SchemasView.as_view(), name="schemas"),
    re_path(r"^(?:/*)Schemas/(?P<schema_id>[^/]+)/?$", views.SchemasView.as_view(), name="schema"),
    re_path(r"^(?:/*)Users/?$", views.UsersView.as_view(), name="users"),
    re_path(r"^(?:/*)Users/(?P<resource_id>[^/]+)/?$", views.UsersView.as_view(), name="user"),
    re_path(r"^(?:/*)Groups/?$", views.GroupsView.as_view(), name="groups"),
    re_path(r"^(?:/*)Groups/(?P<resource_id>[^/]+)/?$", views.GroupsView.as_view(), name="group"),
    re_path(r"^(?:/*)\.search/?$", views.RootSearchView.as_view(), name="search"),
    re_path(r"^(?:/*)(?:Bulk|Me)/?$", views.NotImplementedView.as_view(), name="not-implemented"),
    re_path(r"^.*$", views.NotFoundView.as_view(), name="not-found"),
]
