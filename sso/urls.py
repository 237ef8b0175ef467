"""SAML service provider URLs, one set per organization slug."""

from django.urls import path

from sso import link_views, views

app_name = "sso"

urlpatterns = [
    path("saml/<slug:slug>/metadata/", views.metadata, name="metadata"),
    path("saml/<slug:slug>/login/", views.login_start, name="login"),
    path("saml/<slug:slug>/acs/", views.acs, name="acs"),
    path("saml/<slug:slug>/link/", link_views.link_confirm, name="link"),
]
